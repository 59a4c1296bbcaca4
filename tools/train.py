"""Train a model from an mmpretrain, mmdet or mmseg config with sar_mm's modules registered.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                          [--amp-dtype auto|bfloat16|float16] [--auto-scale-lr]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

The config's ``default_scope`` (mmpretrain / mmdet / mmseg) decides which codebase builds it.
"""
import argparse

# importing sar_mm registers its modules and the safe checkpoint loader
from sar_mm.engine import (AMP_DTYPES, add_runner_args, build_runner, enable_amp,
                           enable_auto_scale_lr, enable_channels_last, finish_distributed,
                           load_config, parse_runner_args, set_resume)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a sar_mm / OpenMMLab model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a value from the latest checkpoint in '
        'the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: autocast with float32 weights (AmpOptimWrapper on GPU, '
        'CPUAutocastOptimWrapper on CPU); the dtype is chosen by --amp-dtype')
    parser.add_argument(
        '--amp-dtype',
        choices=AMP_DTYPES,
        default='auto',
        help='autocast dtype of --amp: auto (default) is bfloat16 on CPUs and on GPUs that '
        'compute it natively (compute capability >= 8.0, e.g. A100/H100/H200), float16 with '
        'dynamic loss scaling on older GPUs; bfloat16/float16 imply --amp')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the total batch size (auto_scale_lr in config)')
    parser.add_argument(
        '--no-validate', action='store_true', help='do not evaluate checkpoints during training')
    return parse_runner_args(add_runner_args(parser), argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    if args.amp or args.amp_dtype != 'auto':
        enable_amp(cfg, args.amp_dtype)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    set_resume(cfg, args.resume)
    if args.channels_last:
        enable_channels_last(cfg)
    runner = build_runner(cfg)
    runner.train()
    del runner  # the DDP reducer must not outlive the process group
    finish_distributed()


if __name__ == '__main__':
    main()
