"""Turn command-line options into config changes (``tools/train.py``, ``tools/test.py``).

One entry point serves mmpretrain, mmdet and mmseg configs: the config's ``default_scope`` picks
the registries, and the options below mean the same thing for all three codebases.
"""
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from .distributed import prepare_cpu_distributed


def add_runner_args(parser):
    """Options every tool that builds a Runner takes: work dir, config overrides, launcher,
    channels-last."""
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and metrics')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. train_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='store convolution weights channels-last (NHWC): faster conv nets on CPUs '
        '(oneDNN) and on GPUs with --amp (benchmarks/channels_last.py)')
    # torch.distributed.launch passes --local_rank / --local-rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def parse_runner_args(parser, argv=None):
    """Parse, and export ``LOCAL_RANK`` when the launcher passed it as an argument."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(config, cfg_options=None, launcher='none', work_dir=None):
    """Read a config, merge ``--cfg-options`` and choose the work dir.

    The work dir is, in order: ``work_dir``, the config's own ``work_dir``, or
    ``./work_dirs/<config name>``.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


#: ``--amp-dtype`` choices: ``auto`` is bfloat16 where the device computes it natively (CPUs,
#: NVIDIA GPUs of compute capability >= 8.0: A100, H100, H200, RTX 30xx and later), else float16.
AMP_DTYPES = ('auto', 'bfloat16', 'float16')


def cuda_supports_bf16():
    """Whether the current CUDA GPU computes bfloat16 natively (compute capability >= 8.0).

    ``torch.cuda.is_bf16_supported()`` also answers True for GPUs that only emulate it (much
    slower than float16 there), so the capability is read instead.
    """
    if not torch.cuda.is_available():
        return False
    if torch.version.hip is not None:  # ROCm GPUs that torch runs support bf16
        return torch.cuda.is_bf16_supported()
    return torch.cuda.get_device_capability()[0] >= 8


def resolve_amp_dtype(dtype='auto', device_type=None):
    """The autocast dtype (``'bfloat16'`` or ``'float16'``) for ``dtype`` on ``device_type``
    (``'cuda'`` or ``'cpu'``; default: cuda when available)."""
    if dtype not in AMP_DTYPES:
        raise ValueError(f'AMP dtype must be one of {AMP_DTYPES}, got {dtype!r}')
    if device_type is None:
        device_type = 'cuda' if torch.cuda.is_available() else 'cpu'
    if dtype != 'auto':
        return dtype
    if device_type == 'cuda':
        return 'bfloat16' if cuda_supports_bf16() else 'float16'
    return 'bfloat16'


def _amp_wrapper_fields(dtype, on_cuda):
    """Optim-wrapper type and arguments of mixed precision in ``dtype`` on CUDA or CPU."""
    if not on_cuda:
        return dict(type='CPUAutocastOptimWrapper', dtype=dtype)
    # float16 needs mmengine's dynamic loss scaling; bfloat16 has float32's exponent range and
    # needs none: a static scale of 1 leaves the loss as it is, and the GradScaler still skips
    # the update of a step whose gradients are not finite (as it does for float16)
    loss_scale = 'dynamic' if dtype == 'float16' else 1.0
    return dict(type='AmpOptimWrapper', dtype=dtype, loss_scale=loss_scale)


def enable_amp(cfg, dtype='auto'):
    """Mixed precision for training (``tools/train.py --amp [--amp-dtype ...]``).

    Replaces a plain ``OptimWrapper`` of ``cfg.optim_wrapper`` by

    * on a CUDA GPU: mmengine's ``AmpOptimWrapper`` with ``dtype`` bfloat16 where the GPU
      supports it natively (static loss scale 1: no scaling, but steps with non-finite
      gradients are skipped), else float16 with dynamic loss scaling;
    * without one: :class:`~sar_mm.engine.optim_wrappers.CPUAutocastOptimWrapper` (bfloat16
      CPU autocast, or float16 when asked).

    Parameters, gradients and optimizer states stay float32; the SAR target generators and the
    losses of sar_mm compute in float32 under autocast. A config that already uses one of the
    two AMP wrappers keeps it (``dtype`` other than ``'auto'`` then overrides its dtype).

    Args:
        cfg (Config): The config, changed in place.
        dtype (str): ``'auto'``, ``'bfloat16'`` or ``'float16'``.

    Returns:
        str: The autocast dtype used.
    """
    optim_wrapper = cfg.optim_wrapper
    current = optim_wrapper.get('type', 'OptimWrapper')
    on_cuda = torch.cuda.is_available()
    if current in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
        if dtype != 'auto':
            optim_wrapper.update(_amp_wrapper_fields(dtype, current == 'AmpOptimWrapper'))
            optim_wrapper.type = current
        print_log(
            f'AMP is already enabled ({current}, dtype {optim_wrapper.get("dtype")}).',
            logger='current')
        return optim_wrapper.get('dtype') or ('float16' if on_cuda else 'bfloat16')
    if current != 'OptimWrapper':
        raise ValueError(f'--amp only applies to OptimWrapper, got {current}')
    resolved = resolve_amp_dtype(dtype, 'cuda' if on_cuda else 'cpu')
    optim_wrapper.update(_amp_wrapper_fields(resolved, on_cuda))
    where = f'GPU {torch.cuda.get_device_name()}' if on_cuda else 'no GPU: CPU autocast'
    print_log(f'--amp: {optim_wrapper.type} with {resolved} autocast ({where}).', logger='current')
    return resolved


def adapt_amp_to_device(cfg):
    """Let a config written for GPU mixed precision run on a machine without CUDA.

    mmengine's ``AmpOptimWrapper`` refuses to be built without a GPU; a config (or
    ``--cfg-options optim_wrapper.type=AmpOptimWrapper``) that asks for it is switched to
    :class:`~sar_mm.engine.optim_wrappers.CPUAutocastOptimWrapper` with the config's dtype
    (bfloat16 when it names none) and without loss scaling. Returns whether it changed ``cfg``.
    """
    optim_wrapper = cfg.get('optim_wrapper')
    if (not optim_wrapper or optim_wrapper.get('type') != 'AmpOptimWrapper'
            or torch.cuda.is_available()):
        return False
    dtype = optim_wrapper.get('dtype') or 'bfloat16'
    dtype = str(dtype).replace('torch.', '')
    for key in ('loss_scale', 'use_fsdp'):
        optim_wrapper.pop(key, None)
    optim_wrapper.update(type='CPUAutocastOptimWrapper', dtype=dtype)
    print_log(
        f'No GPU: the config\'s AmpOptimWrapper runs as CPUAutocastOptimWrapper ({dtype}).',
        logger='current')
    return True


def enable_auto_scale_lr(cfg):
    """Scale the learning rate by (total batch size) / ``auto_scale_lr.base_batch_size``."""
    if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
        raise KeyError('--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=N)` in the '
                       f'config {cfg.filename}')
    cfg.auto_scale_lr.enable = True


def set_resume(cfg, resume):
    """``resume='auto'``: resume from the newest checkpoint of the work dir that loads
    (:func:`~sar_mm.engine.checkpoint.find_resumable_checkpoint`: truncated or corrupt ones are
    skipped and logged; none: start from scratch); a path: resume from that file."""
    if resume == 'auto':
        from .checkpoint import find_resumable_checkpoint
        cfg.resume = True
        found = find_resumable_checkpoint(cfg.work_dir) if cfg.get('work_dir') else None
        cfg.load_from = found
        if found is None:  # mmengine's auto-resume finds nothing either: a fresh start
            cfg.resume = False
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume


def add_rng_state_hook(cfg):
    """Add :class:`~sar_mm.engine.hooks.RNGStateHook` to a training config that asks for
    ``randomness.deterministic=True`` and does not list it, so a resumed run repeats the
    uninterrupted one (docs/reproducibility.md). Returns whether it was added."""
    if not (cfg.get('randomness') or {}).get('deterministic', False) or not cfg.get('train_cfg'):
        return False
    hooks = list(cfg.get('custom_hooks') or [])
    if any(h.get('type') in ('RNGStateHook', 'mmengine.RNGStateHook') for h in hooks):
        return False
    cfg.custom_hooks = hooks + [dict(type='RNGStateHook')]
    return True


def enable_channels_last(cfg):
    """Run the model channels-last (``--channels-last`` of the tools): add
    :class:`~sar_mm.engine.hooks.ChannelsLastHook` to ``cfg.custom_hooks`` unless it is there.

    Args:
        cfg (Config): The config, changed in place.
    """
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') in ('ChannelsLastHook', 'mmengine.ChannelsLastHook') for h in hooks):
        hooks.append(dict(type='ChannelsLastHook'))
    cfg.custom_hooks = hooks


def build_runner(cfg):
    """Build the runner the config asks for (``runner_type``) or mmengine's ``Runner``
    (with :func:`adapt_amp_to_device` and :func:`add_rng_state_hook` applied)."""
    prepare_cpu_distributed(cfg, cfg.launcher)
    adapt_amp_to_device(cfg)
    add_rng_state_hook(cfg)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)
