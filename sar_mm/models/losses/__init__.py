"""Losses of sar_mm (mmpretrain ``MODELS``); the hook that feeds them dataset class counts is
:class:`sar_mm.engine.hooks.ClassCountsHook`."""
from .mini_cbl import (ClassBalancedFocalLoss, MiniBatchClassBalancedLoss,
                       class_balanced_focal_loss, effective_number_weights)
from .supcon import SupConLoss, supcon_loss

__all__ = [
    'MiniBatchClassBalancedLoss', 'ClassBalancedFocalLoss', 'class_balanced_focal_loss',
    'effective_number_weights', 'SupConLoss', 'supcon_loss'
]
