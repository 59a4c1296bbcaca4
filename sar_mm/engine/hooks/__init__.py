"""Hooks registered in mmengine's root ``HOOKS`` (reachable from every codebase's configs)."""
from .freeze_modules_hook import FreezeModulesHook
from .knn_hook import KNNAccuracyHook, features_to_vectors, merge_shards, weighted_knn_predict
# codebase-specific: mmdet's and mmseg's HOOKS
from .sar_visualization_hook import (SARDetVisualizationHook, SARSegVisualizationHook,
                                    enable_show_dir, read_sar_for_display)

__all__ = ['FreezeModulesHook', 'KNNAccuracyHook', 'features_to_vectors', 'merge_shards',
           'weighted_knn_predict', 'SARDetVisualizationHook', 'SARSegVisualizationHook',
           'enable_show_dir', 'read_sar_for_display']
