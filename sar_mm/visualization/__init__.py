from .cam_grid import draw_cam_grid, grid_size_px
from .display import sar_to_display
from .kp_figure import draw_kp_figure

__all__ = ['sar_to_display', 'draw_cam_grid', 'grid_size_px', 'draw_kp_figure']
