"""Evaluate a checkpoint with an mmpretrain, mmdet or mmseg config (sar_mm modules registered).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
                         [--show-dir DIR [--show-score-thr 0.3]]
                         [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Prints the metrics and writes them to ``<work_dir>/test_metrics.json``. ``--show-dir`` (mmdet and
mmseg configs) draws ground truth and predictions on every test image, read as SAR and shown in
dB with a percentile stretch, into ``DIR/<image name>.png``.
"""
import argparse
import json
import os.path as osp

from mmengine.dist import is_main_process

# importing sar_mm registers its modules and the safe checkpoint loader
from sar_mm.engine import (add_runner_args, build_runner, enable_channels_last, finish_distributed,
                           load_config, parse_runner_args)
from sar_mm.engine.hooks import enable_show_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (evaluate) a sar_mm / OpenMMLab model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file (.pkl)')
    parser.add_argument(
        '--show-dir',
        help='draw ground truth and predictions on the SAR images '
        'and save them here as PNG (mmdet and mmseg configs)')
    parser.add_argument(
        '--show-score-thr',
        type=float,
        default=0.3,
        help='detections scoring below this are not drawn (default 0.3)')
    args = parse_runner_args(add_runner_args(parser), argv)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out must be a .pkl/.pickle file, got {args.out}')
    return args


def main(argv=None):
    args = parse_args(argv)

    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'{args.checkpoint}: checkpoint not found')
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.channels_last:
        enable_channels_last(cfg)
    if args.out is not None:
        dump = dict(type='DumpResults', out_file_path=args.out)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluator) if isinstance(evaluator,
                                                            (list,
                                                             tuple)) else [evaluator]) + [dump]
    if args.show_dir is not None:
        enable_show_dir(cfg, args.show_dir, args.show_score_thr)
    runner = build_runner(cfg)
    metrics = runner.test()
    if is_main_process():
        metrics = {k: (float(v) if hasattr(v, '__float__') else v) for k, v in metrics.items()}
        out = osp.join(cfg.work_dir, 'test_metrics.json')
        with open(out, 'w') as f:
            json.dump(metrics, f, indent=2)
        print(f'sar_mm test metrics ({out}): {json.dumps(metrics)}')
    del runner  # the DDP reducer must not outlive the process group
    finish_distributed()


if __name__ == '__main__':
    main()
