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
    """Options every tool that builds a Runner takes: work dir, config overrides, launcher."""
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


def enable_amp(cfg):
    """Mixed precision: mmengine's AmpOptimWrapper on GPU, bf16 CPU autocast otherwise."""
    optim_wrapper = cfg.optim_wrapper
    current = optim_wrapper.get('type', 'OptimWrapper')
    if current in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
        print_log(f'AMP is already enabled ({current}).', logger='current')
        return
    if current != 'OptimWrapper':
        raise ValueError(f'--amp only applies to OptimWrapper, got {current}')
    if torch.cuda.is_available():
        optim_wrapper.type = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        optim_wrapper.type = 'CPUAutocastOptimWrapper'
        optim_wrapper.setdefault('dtype', 'bfloat16')
        print_log('No GPU: --amp uses bfloat16 autocast on the CPU.', logger='current')


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


def build_runner(cfg):
    """Build the runner the config asks for (``runner_type``) or mmengine's ``Runner``
    (with :func:`add_rng_state_hook` applied)."""
    prepare_cpu_distributed(cfg, cfg.launcher)
    add_rng_state_hook(cfg)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)
