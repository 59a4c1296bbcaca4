"""Training-engine pieces: checkpoints (safe loading, adaptation, the strict loader), CPU
distributed set-up, mixed precision (CPU autocast, the ``--amp`` switch, bfloat16 with mmcv's
CUDA focal loss)."""
from .amp_compat import patch_mmdet_focal_loss_for_bfloat16
from .checkpoint import (CheckpointMismatchError, UnsafeCheckpointError, adapt_input_channels,
                         adapt_state_dict_to_model, allow_checkpoint_globals,
                         allowed_checkpoint_globals, extract_backbone, interpolate_pos_embed,
                         load_checkpoint_file, load_weights_strictly)
from .distributed import finish_distributed, prepare_cpu_distributed
from .hooks import FreezeModulesHook, KNNAccuracyHook  # noqa: F401  (register on import)
from .optim_wrappers import CPUAutocastOptimWrapper
from .runner_setup import (AMP_DTYPES, adapt_amp_to_device, add_runner_args, build_runner,
                           cuda_supports_bf16, enable_amp, enable_auto_scale_lr,
                           enable_channels_last, load_config, parse_runner_args, resolve_amp_dtype,
                           set_resume)

patch_mmdet_focal_loss_for_bfloat16()

__all__ = [
    'UnsafeCheckpointError', 'allow_checkpoint_globals', 'allowed_checkpoint_globals',
    'load_checkpoint_file', 'CheckpointMismatchError', 'adapt_input_channels',
    'adapt_state_dict_to_model', 'extract_backbone', 'interpolate_pos_embed',
    'load_weights_strictly', 'finish_distributed', 'prepare_cpu_distributed',
    'CPUAutocastOptimWrapper', 'add_runner_args', 'parse_runner_args', 'build_runner', 'enable_amp',
    'enable_auto_scale_lr', 'enable_channels_last', 'load_config', 'set_resume', 'AMP_DTYPES',
    'adapt_amp_to_device', 'cuda_supports_bf16', 'resolve_amp_dtype',
    'patch_mmdet_focal_loss_for_bfloat16'
]
