"""sar_mm.visualization.cam_grid: the CAM figure's exact pixel size, its cells and bad input."""
import numpy as np
import pytest
from PIL import Image

from sar_mm.visualization import draw_cam_grid, grid_size_px
from sar_mm.visualization.cam_grid import CELL_PX, LEFT_PX, TOP_PX


def test_grid_size_and_cells(tmp_path):
    rows, cols = 2, 3
    assert grid_size_px(rows, cols) == (LEFT_PX + 3 * CELL_PX, TOP_PX + 2 * CELL_PX)
    picture = np.zeros((16, 16, 3), np.float32)  # black picture: the cell shows the map
    cams = [[np.full((16, 16), (r * cols + c) / 5, np.float32) for c in range(cols)]
            for r in range(rows)]
    notes = [['p=0.5', '', ''], ['', '', 'pred tank']]
    out = tmp_path / 'grid.png'
    draw_cam_grid([picture] * cols, cams, ['model a', 'model b'], ['x', 'y', 'z'], notes, str(out))
    img = np.asarray(Image.open(out).convert('RGB')).astype(int)
    assert img.shape[1::-1] == grid_size_px(rows, cols)
    # cell centres: the jet colour map runs from blue (map 0) to red (map 1)
    centre = [[
        img[TOP_PX + r * CELL_PX + CELL_PX // 2, LEFT_PX + c * CELL_PX + CELL_PX // 2]
        for c in range(cols)
    ] for r in range(rows)]
    assert centre[0][0][2] > centre[0][0][0]  # first cell bluish
    assert centre[1][2][0] > centre[1][2][2]  # last cell reddish


def test_mismatched_input_is_a_clear_error(tmp_path):
    picture = np.zeros((8, 8, 3), np.float32)
    cam = np.zeros((8, 8), np.float32)
    with pytest.raises(ValueError, match='1 row labels and 2 column titles need 2 pictures'):
        draw_cam_grid([picture], [[cam, cam]], ['a'], ['x', 'y'], [['', '']],
                      str(tmp_path / 'g.png'))
