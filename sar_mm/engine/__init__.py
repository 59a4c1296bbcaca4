"""Training-engine pieces: checkpoints (safe loading, adaptation, the strict loader), CPU
distributed set-up, CPU autocast."""
from .checkpoint import (CheckpointMismatchError, UnsafeCheckpointError, adapt_input_channels,
                         adapt_state_dict_to_model, allow_checkpoint_globals,
                         allowed_checkpoint_globals, extract_backbone, interpolate_pos_embed,
                         load_checkpoint_file, load_weights_strictly)
from .distributed import finish_distributed, prepare_cpu_distributed
from .hooks import FreezeModulesHook, KNNAccuracyHook  # noqa: F401  (register on import)
from .optim_wrappers import CPUAutocastOptimWrapper
from .runner_setup import (add_runner_args, build_runner, enable_amp, enable_auto_scale_lr,
                           load_config, parse_runner_args, set_resume)

__all__ = [
    'UnsafeCheckpointError', 'allow_checkpoint_globals', 'allowed_checkpoint_globals',
    'load_checkpoint_file', 'CheckpointMismatchError', 'adapt_input_channels',
    'adapt_state_dict_to_model', 'extract_backbone', 'interpolate_pos_embed',
    'load_weights_strictly', 'finish_distributed', 'prepare_cpu_distributed',
    'CPUAutocastOptimWrapper', 'add_runner_args', 'parse_runner_args', 'build_runner', 'enable_amp',
    'enable_auto_scale_lr', 'load_config', 'set_resume'
]
