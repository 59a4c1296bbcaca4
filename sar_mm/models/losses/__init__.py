"""Losses of sar_mm (mmpretrain ``MODELS``) and the hook that feeds dataset class counts."""
from .class_counts_hook import ClassCountsHook, dataset_class_counts
from .mini_cbl import (ClassBalancedFocalLoss, MiniBatchClassBalancedLoss,
                       class_balanced_focal_loss, effective_number_weights)
from .supcon import SupConLoss, supcon_loss

__all__ = [
    'MiniBatchClassBalancedLoss', 'ClassBalancedFocalLoss', 'class_balanced_focal_loss',
    'effective_number_weights', 'ClassCountsHook', 'dataset_class_counts', 'SupConLoss',
    'supcon_loss'
]
