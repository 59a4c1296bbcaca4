from .display import sar_to_display

__all__ = ['sar_to_display']
