from .cam_grid import draw_cam_grid, grid_size_px
from .display import sar_to_display

__all__ = ['sar_to_display', 'draw_cam_grid', 'grid_size_px']
