"""Self-supervised algorithms: SAR-JEPA and its local window masking."""
from .masking import (local_window_masking, num_masked_per_window, sample_window_masks,
                      sample_window_positions, window_patch_indices)
from .sar_jepa import SARJEPA

__all__ = [
    'SARJEPA', 'local_window_masking', 'num_masked_per_window', 'sample_window_masks',
    'sample_window_positions', 'window_patch_indices'
]
