"""Slicing large scenes into tiles and merging tile detections back (sar_mm.datasets.slicing)."""
import json

import numpy as np
import pytest
import tifffile

from sar_mm.datasets.slicing import (boxes_in_window, merge_tile_detections, shift_boxes,
                                     slice_coco_scenes, tile_windows)
from sar_mm.fileio import read_sar


def _covered(windows, height, width):
    hits = np.zeros((height, width), int)
    for x0, y0, x1, y1 in windows:
        hits[y0:y1, x0:x1] += 1
    return hits


def test_ls_ssdd_scene_gives_its_600_sub_images():
    windows = tile_windows(16000, 24000, 800)
    assert len(windows) == 600
    assert {(x1 - x0, y1 - y0) for x0, y0, x1, y1 in windows} == {(800, 800)}
    assert windows[0] == (0, 0, 800, 800) and windows[-1] == (23200, 15200, 24000, 16000)


def test_overlap_stride_and_borders():
    windows = tile_windows(700, 1000, 400, overlap=0.25)  # stride 300
    xs = sorted({w[0] for w in windows})
    ys = sorted({w[1] for w in windows})
    assert xs == [0, 300, 600] and ys == [0, 300]  # last ones end at the border (600+400=1000)
    assert all(x1 - x0 == 400 and y1 - y0 == 400 for x0, y0, x1, y1 in windows)
    hits = _covered(windows, 700, 1000)
    assert hits.min() >= 1 and hits.max() == 4  # every pixel covered, overlaps counted
    # a stride that does not divide: the last tile is moved back, never cut short
    assert tile_windows(
        500, 500, (200, 300),
        stride=(150, 250)) == [(x, y, x + 300, y + 200) for y in (0, 150, 300) for x in (0, 200)]
    # a scene smaller than the tile is one window of the scene's size
    assert tile_windows(50, 60, 800) == [(0, 0, 60, 50)]
    with pytest.raises(ValueError, match='larger than the tile'):
        tile_windows(100, 100, 32, stride=40)
    with pytest.raises(ValueError, match=r'overlap must be in \[0, 1\)'):
        tile_windows(100, 100, 32, overlap=1.0)


def test_boxes_round_trip_and_every_small_box_whole_in_some_tile():
    rng = np.random.default_rng(0)
    height, width, tile = 700, 1000, 300
    xy = rng.uniform(0, [width - 60, height - 60], size=(200, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(4, 60, size=(200, 2))], 1)
    windows = tile_windows(height, width, tile, overlap=0.25)  # 75 px overlap > 60 px boxes
    whole_somewhere = np.zeros(len(boxes), bool)
    for window in windows:
        index, local, visible = boxes_in_window(boxes, window)
        inside = visible == 1
        # slice then un-offset gives the original boxes back (exactly, for whole boxes)
        np.testing.assert_array_equal(shift_boxes(local[inside], window[:2]), boxes[index[inside]])
        assert (local[:, [0, 1]] >= 0).all() and (local[:, 2] <= window[2] - window[0]).all()
        assert ((visible > 0) & (visible <= 1)).all()
        whole_somewhere[index[inside]] = True
    assert whole_somewhere.all()


def test_visible_fraction_of_a_cut_box():
    index, local, visible = boxes_in_window(
        [[90, 10, 110, 20], [200, 200, 210, 210], [50, 50, 50, 60]], (0, 0, 100, 100))
    assert index.tolist() == [0]  # the outside and the zero-area box are not there
    np.testing.assert_allclose(local, [[90, 10, 100, 20]])
    np.testing.assert_allclose(visible, [0.5])


def _scene_set(tmp_path, dtype=np.float32):
    """One 150 x 200 scene: a box inside a tile, one cut 75 % / 25 %, one cut 30 % / 70 %."""
    rng = np.random.default_rng(1)
    scene = rng.gamma(1.0, 1.0, (150, 200)).astype(np.float32)
    if dtype != np.float32:
        scene = (scene * 1000).astype(dtype)
    tifffile.imwrite(tmp_path / 'scene.tif', scene)
    boxes = [
        [10, 10, 30, 20],  # inside the first tile
        [85, 40, 105, 50],  # tile width 100, stride 100: 15 px in tile 0, 5 in tile 1
        [94, 80, 114, 90]
    ]  # 6 px in tile 0 (30 %), 14 in tile 1 (70 %)
    coco = dict(
        images=[dict(id=7, file_name='scene.tif', width=200, height=150)],
        annotations=[
            dict(
                id=i + 1,
                image_id=7,
                category_id=1,
                iscrowd=0,
                bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]],
                area=(b[2] - b[0]) * (b[3] - b[1])) for i, b in enumerate(boxes)
        ],
        categories=[dict(id=1, name='ship')])
    with open(tmp_path / 'scenes.json', 'w') as f:
        json.dump(coco, f)
    return scene, boxes


def test_slice_coco_scenes_writes_tiles_and_policy(tmp_path):
    scene, boxes = _scene_set(tmp_path)
    out = tmp_path / 'tiles'
    summary = slice_coco_scenes(
        str(tmp_path / 'scenes.json'), str(tmp_path), str(out), tile_size=100, progress=False)
    assert (summary['scenes'], summary['tiles']) == (1, 4)  # 2 x 2 tiles (y: 0 and 50)
    with open(summary['ann_file']) as f:
        tiles = json.load(f)
    assert tiles['scenes']['images'][0]['id'] == 7
    assert len(tiles['scenes']['annotations']) == 3
    for img in tiles['images']:
        assert img['scene_id'] == 7 and img['scene_file'] == 'scene.tif'
        x0, y0 = img['tile_offset']
        assert img['file_name'] == f'scene_x{x0}_y{y0}.tif'
        array, meta = read_sar(out / 'images' / img['file_name'])
        assert meta['dtype'] == 'float32' and array.shape == (100, 100, 1)
        np.testing.assert_array_equal(array[..., 0], scene[y0:y0 + 100, x0:x0 + 100])
    by_tile = {tuple(img['tile_offset']): img['id'] for img in tiles['images']}
    anns = {}
    for ann in tiles['annotations']:
        anns.setdefault(ann['image_id'], []).append(ann)

    def of(offset, scene_ann_id):
        return [a for a in anns.get(by_tile[offset], []) if a['scene_ann_id'] == scene_ann_id]

    # the whole box is copied unchanged (shifted), in both tiles that contain it
    (a, ) = of((0, 0), 1)
    assert a['bbox'] == [10, 10, 20, 10] and a['iscrowd'] == 0 and a['visible'] == 1
    # 75 % visible: kept and clipped; 25 %: an ignore region
    (a, ) = of((0, 0), 2)
    assert a['bbox'] == [85, 40, 15, 10] and a['iscrowd'] == 0 and a['visible'] == 0.75
    (a, ) = of((100, 0), 2)
    assert a['bbox'] == [0, 40, 5, 10] and a['iscrowd'] == 1 and a['visible'] == 0.25
    (a, ) = of((0, 50), 3)
    assert a['iscrowd'] == 1 and a['bbox'] == [94, 30, 6, 10]
    (a, ) = of((100, 50), 3)
    assert a['iscrowd'] == 0 and a['bbox'] == [0, 30, 14, 10]
    # box 3 lies in the rows of both tile rows (y 0-100 and 50-150): twice each way
    assert (summary['boxes'], summary['truncated'], summary['ignored']) == (4, 3, 3)

    # partial='drop': the 25 % and 30 % pieces are gone; min_visible 0.72 drops the 70 % ones
    summary = slice_coco_scenes(
        str(tmp_path / 'scenes.json'),
        str(tmp_path),
        str(out),
        tile_size=100,
        partial='drop',
        min_visible=0.72,
        out_name='dropped',
        progress=False)
    assert (summary['boxes'], summary['ignored'], summary['dropped']) == (2, 0, 5)


def test_integer_scenes_keep_their_dtype_and_errors(tmp_path):
    scene, _ = _scene_set(tmp_path, np.uint16)
    out = tmp_path / 'png'
    summary = slice_coco_scenes(
        str(tmp_path / 'scenes.json'),
        str(tmp_path),
        str(out),
        tile_size=(150, 120),
        overlap=0.5,
        tile_format='png',
        skip_empty=True,
        progress=False)
    with open(summary['ann_file']) as f:
        tiles = json.load(f)
    assert [img['tile_offset'] for img in tiles['images']] == [[0, 0], [60, 0], [80, 0]]
    for img in tiles['images']:
        array, meta = read_sar(out / 'images' / img['file_name'])
        assert meta['dtype'] == 'uint16' and img['file_name'].endswith('.png')
        x0 = img['tile_offset'][0]
        np.testing.assert_array_equal(array[..., 0], scene[:, x0:x0 + 120])

    tifffile.imwrite(tmp_path / 'scene.tif', np.zeros((150, 200), np.float32))
    with pytest.raises(ValueError, match="format 'png' needs 8/16-bit"):
        slice_coco_scenes(
            str(tmp_path / 'scenes.json'),
            str(tmp_path),
            str(out),
            tile_format='png',
            progress=False)
    tifffile.imwrite(tmp_path / 'scene.tif', np.zeros((100, 200), np.float32))
    with pytest.raises(ValueError, match=r'150x200 in the json but 100x200 on disk'):
        slice_coco_scenes(str(tmp_path / 'scenes.json'), str(tmp_path), str(out), progress=False)
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        slice_coco_scenes(str(tmp_path / 'nothing.json'), str(tmp_path), str(out))
    with pytest.raises(ValueError, match="partial must be one of"):
        slice_coco_scenes(str(tmp_path / 'scenes.json'), str(tmp_path), str(out), partial='keep')


def test_merge_removes_duplicates_of_overlapping_tiles():
    # a ship at scene [130, 40, 160, 55] seen whole by the tiles at x=0 and x=100 (width 200)
    dets = [
        dict(
            offset=(0, 0),
            bboxes=np.array([[130., 40., 160., 55.], [10., 10., 20., 30.]]),
            scores=np.array([0.9, 0.8]),
            labels=np.array([0, 0])),
        dict(
            offset=(100, 0),
            bboxes=np.array([[30.5, 40., 60., 55.5], [30., 40., 60., 55.]]),
            scores=np.array([0.7, 0.6]),
            labels=np.array([0, 1])),
        dict(
            offset=(100, 100), bboxes=np.zeros((0, 4)), scores=np.zeros(0), labels=np.zeros(0,
                                                                                            int)),
    ]
    merged = merge_tile_detections(dets, iou_thr=0.5)
    # the lower-scoring duplicate (0.7) is gone; the other class's box stays
    np.testing.assert_allclose(merged['scores'], [0.9, 0.8, 0.6], rtol=1e-6)
    np.testing.assert_allclose(merged['bboxes'],
                               [[130, 40, 160, 55], [10, 10, 20, 30], [130, 40, 160, 55]])
    assert merged['labels'].tolist() == [0, 0, 1]
    agnostic = merge_tile_detections(dets, iou_thr=0.5, class_agnostic=True)
    np.testing.assert_allclose(agnostic['scores'], [0.9, 0.8], rtol=1e-6)
    # without suppression (IoU above 1 never happens) every shifted box is kept
    assert len(merge_tile_detections(dets, iou_thr=1.0)['scores']) == 4
    assert len(merge_tile_detections(dets, max_per_scene=1)['scores']) == 1
    empty = merge_tile_detections(dets[2:])
    assert empty['bboxes'].shape == (0, 4) and empty['labels'].dtype == np.int64
