"""Per-patch prediction targets for masked image modelling on SAR (SAR-JEPA and its baselines).

All share one interface: ``feature_maps(x)`` (B, K, H, W) dense maps, ``forward(x)`` (B, L, D)
row-major patch targets, ``out_dim(in_channels)`` = D; see :mod:`.sar_gradient`.
"""
from .baselines import HOGTarget, LowPassTarget, PixelTarget, SARHOGTarget
from .sar_gradient import SARGradientTarget

__all__ = ['SARGradientTarget', 'PixelTarget', 'LowPassTarget', 'SARHOGTarget', 'HOGTarget']
