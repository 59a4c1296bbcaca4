"""Speed of the frozen-feature linear probe against the Runner-trained linear head, same run.

    python benchmarks/fewshot_linear_speed.py [--config CONFIG] [--data-root DIR]
        [--shots 10] [--seeds 0 1 2] [--runner-epochs N] [--work-dir DIR] [--synthetic]

Both protocols evaluate the same config (random init unless its ``init_cfg`` loads weights) on
the same draws (``--shots`` per class, each ``--seeds``), tested on every sample not drawn
(``--test-split rest``), through ``tools/fewshot_eval.py``:

* ``linear-runner`` (the reference, the older protocol): for every draw a Runner trains a
  linear head by SGD on the frozen backbone for the config's epochs (``--runner-epochs``
  overrides them), re-reading and re-encoding the images each epoch, then tests;
* ``linear``: the features of the whole training list are extracted **once**
  (:class:`sar_mm.evaluation.fewshot_protocol.FeatureBank`), then every draw fits an L-BFGS
  logistic regression with its L2 strength cross-validated on the shots.

Printed: the wall time of each command (start-up, data and model included), the linear mode's
one-off extraction and its time per draw, the top-1 of each (mean ± std over seeds), and the
**speed-up** = wall time of linear-runner / wall time of linear. Data: the MSTAR SOC-10 17 deg
chips with ``configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py`` when
``--data-root`` (default ../shared/data/mstar_soc10 beside the repo, if present) holds
train.txt; else (or with ``--synthetic``) the data of ``--config``, or without one the generated
vehicles of ``make demo`` with
``configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py``.
"""
import argparse
import csv
import os
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_MSTAR = osp.join(osp.dirname(ROOT), 'shared', 'data', 'mstar_soc10')
MSTAR_CONFIG = 'configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py'
SYNTHETIC_CONFIG = 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py'
EXTRACTION = re.compile(r'extracted once in ([0-9.]+) s')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Frozen-feature linear probe vs Runner-trained linear head: wall time')
    parser.add_argument(
        '--config',
        help='classification config (default: the MSTAR SARResNet '
        '64-px config, or the synthetic few-shot config on generated data)')
    parser.add_argument(
        '--data-root',
        default=DEFAULT_MSTAR,
        help='MSTAR SOC-10 folder with train.txt (default: %(default)s)')
    parser.add_argument(
        '--synthetic',
        action='store_true',
        help='use the generated vehicles even when MSTAR is present')
    parser.add_argument('--shots', type=int, default=10, help='shots per class (default: 10)')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[0, 1, 2],
        help='seeds of the draws (default: 0 1 2)')
    parser.add_argument(
        '--runner-epochs',
        type=int,
        help="epochs of each linear-runner run (default: the config's)")
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'fewshot_linear_speed'))
    args = parser.parse_args(argv)
    if args.shots < 1 or (args.runner_epochs is not None and args.runner_epochs < 1):
        parser.error('--shots and --runner-epochs must be >= 1')
    return args


def resolve(args):
    """(config, data root or None, description) of the run."""
    if not args.synthetic and args.data_root and osp.isfile(osp.join(args.data_root, 'train.txt')):
        root = osp.abspath(args.data_root)
        return args.config or MSTAR_CONFIG, root, f'MSTAR SOC-10 17 deg chips ({root})'
    if args.config:
        return args.config, None, f'the data of {args.config}'
    root = osp.join(osp.abspath(args.work_dir), 'synthetic_sar_demo')
    if not osp.isfile(osp.join(root, 'vehicles', 'meta', 'all.txt')):
        from sar_mm.datasets.synthetic import make_synthetic_sar
        print(f'generating the synthetic set in {root}', flush=True)
        make_synthetic_sar(root, preset='demo', seed=0)
    return (args.config or SYNTHETIC_CONFIG, osp.join(root, 'vehicles') + '/',
            f'generated SAR vehicles ({root})')


def run_mode(mode, config, data_root, args):
    """Run tools/fewshot_eval.py in one mode; returns wall time, log text, run rows and the
    (one) summary row of its results."""
    work_dir = osp.join(osp.abspath(args.work_dir), mode)
    cmd = [
        sys.executable, 'tools/fewshot_eval.py', config, '--mode', mode, '--shots',
        str(args.shots), '--seeds'
    ] + [str(s) for s in args.seeds] + ['--test-split', 'rest', '--work-dir', work_dir]
    if data_root:
        cmd += ['--data-root', data_root]
    if mode == 'linear-runner' and args.runner_epochs:
        cmd += ['--cfg-options', f'train_cfg.max_epochs={args.runner_epochs}']
    os.makedirs(work_dir, exist_ok=True)
    log_file = osp.join(work_dir, 'benchmark.log')
    from sar_mm.utils import run_logged
    seconds = run_logged(cmd, log_file, cwd=ROOT)  # CommandError with the log's tail on failure
    with open(log_file) as f:
        text = f.read()
    with open(osp.join(work_dir, 'fewshot_runs.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    from sar_mm.evaluation.fewshot_protocol import read_results
    summary, = read_results(osp.join(work_dir, 'fewshot_results.csv'))  # one mode, one shots
    return seconds, text, rows, summary


def main(argv=None):
    args = parse_args(argv)
    config, data_root, name = resolve(args)
    print(
        f'Data: {name}\nConfig: {config}\nDraws: {args.shots} shots x seeds {args.seeds}, '
        'tested on every sample not drawn',
        flush=True)
    results = {}
    for mode in ('linear-runner', 'linear'):
        print(f'running {mode} ...', flush=True)
        results[mode] = run_mode(mode, config, data_root, args)
    ref_s, _, ref_rows, ref_top1 = results['linear-runner']
    new_s, new_log, new_rows, new_top1 = results['linear']
    found = EXTRACTION.search(new_log)
    extraction = float(found.group(1)) if found else float('nan')
    per_draw = sum(float(r['seconds']) for r in new_rows) / len(new_rows)
    ref_draw = sum(float(r['seconds']) for r in ref_rows) / len(ref_rows)
    print(f'linear-runner (reference): {ref_s:.1f} s wall, {ref_draw:.1f} s per draw; '
          f'top-1 {ref_top1["top1"]:.2f} ± {ref_top1["top1_std"]:.2f} %')
    print(f'linear (features once):    {new_s:.1f} s wall, extraction {extraction:.1f} s once, '
          f'{per_draw:.2f} s per draw; top-1 {new_top1["top1"]:.2f} ± '
          f'{new_top1["top1_std"]:.2f} %')
    print(f'speed-up (wall time linear-runner / linear): {ref_s / new_s:.1f}x; per draw after '
          f'extraction: {ref_draw / max(per_draw, 1e-9):.0f}x')
    return dict(reference_s=ref_s, linear_s=new_s, ratio=ref_s / new_s)


if __name__ == '__main__':
    main()
