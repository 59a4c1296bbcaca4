"""Hooks registered in mmengine's root ``HOOKS`` (reachable from every codebase's configs)."""
from .channels_last_hook import ChannelsLastHook, to_channels_last
from .class_counts_hook import ClassCountsHook, dataset_class_counts
from .freeze_modules_hook import FreezeModulesHook
from .knn_hook import KNNAccuracyHook, merge_shards
from .rng_state_hook import RNGStateHook, get_process_rng_state, set_process_rng_state
# codebase-specific: mmdet's and mmseg's HOOKS
from .sar_visualization_hook import (SARDetVisualizationHook, SARSegVisualizationHook,
                                     enable_show_dir, read_sar_for_display)

__all__ = [
    'ChannelsLastHook', 'to_channels_last', 'ClassCountsHook', 'dataset_class_counts',
    'FreezeModulesHook', 'KNNAccuracyHook', 'merge_shards', 'RNGStateHook', 'get_process_rng_state',
    'set_process_rng_state', 'SARDetVisualizationHook', 'SARSegVisualizationHook',
    'enable_show_dir', 'read_sar_for_display'
]
