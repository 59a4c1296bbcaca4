"""Few-shot MSTAR: random init vs SimCLR vs SAR-JEPA vs pixel-MAE, linear / kNN / fine-tune.

    python benchmarks/fewshot_mstar.py [--data-root DIR] [--test-list FILE] [--work-dir DIR]
        [--methods random_resnet simclr random_vit sar_jepa pixel_mae]
        [--checkpoint NAME=PATH ...] [--pretrain-epochs N] [--modes linear knn finetune]
        [--shots 10 20 40] [--seeds 0 1 2] [--finetune-epochs N] [--synthetic] [--quick]

The claim measured: self-supervised pretraining on SAR chips gives better features for few-shot
target recognition than the strongest random initialisation. Two backbone families at 64 px (the
128-px centre of each chip resized to 64 px, DRAA tone mapping):

* SARResNet-18 (3x3 stride-2 stem, no max-pool), random init and SimCLR
  (configs/simclr/simclr_sar-resnet18-1ch_1xb128-adamw-35e_mstar-64px.py), recognised by
  configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py;
* the small ViT (6 blocks, width 192, 8-px patches: an 8 x 8 grid), random init, SAR-JEPA
  (configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb128-40e_mstar-64px.py) and its pixel-target
  ablation, i.e. MAE's target in the same windows (..._target-pixel.py), recognised by
  configs/recognition/vit-tiny-p8-1ch_1xb32-100e_mstar-soc10-64px.py.

Each pretraining is the repo's config run by tools/train.py (``--pretrain-epochs`` shortens all
of them alike; ``--checkpoint NAME=PATH`` uses a finished one instead), each evaluation
tools/fewshot_eval.py on the recognition config: ``linear`` (L-BFGS logistic regression on
standardised frozen features, C cross-validated on the shots), ``knn`` (DINO's weighted cosine
kNN, k 20, T 0.07), both on features extracted once, and ``finetune`` (the whole network through
the Runner with the config's recipe), at every ``--shots`` x ``--seeds``. Test set: every 17 deg
chip not drawn (``--test-split rest``), or the list given by ``--test-list`` (e.g. the 15 deg
chips, a ``train.txt``-style list relative to the data root). The pretraining pool is every chip
of the 17 deg list: with the held-out rest as test set, pretraining has seen the test chips
without labels (transductive); the report says so. The generated set of ``make demo`` stands
in without MSTAR (or with ``--synthetic``); ``--quick`` is a smoke run on the tiny generated set.

Writes to the work dir: ``fewshot_mstar.md`` / ``.csv`` (per method, mode and shots: top-1
mean ± std over seeds, the gain over the best random init of the same mode and shots, and
whether it exceeds the seed spread, i.e. the sum of both standard deviations),
``fewshot_mstar.png`` (top-1 against shots with error bars, one panel per mode), the derived
configs and each stage's log and work dir. Cost on a 2-core CPU at the defaults (measured
here): SimCLR about an hour (4.4-4.8 s per step of 128, 735 steps), each ViT pretraining about
2 s per step of 128 on one core (840 steps); linear + kNN a few minutes per method; one
10-shot fine-tune about 3.5 min, so 10/20/40 shots x 3 seeds is over half an hour per method.
"""
import argparse
import copy
import csv
import os
import os.path as osp
import sys
import time
from collections import OrderedDict

# the reader of tools/fewshot_eval.py's fewshot_results.csv, beside its writer
from sar_mm.evaluation.fewshot_protocol import read_results

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_MSTAR = osp.join(osp.dirname(ROOT), 'shared', 'data', 'mstar_soc10')
RECOGNITION = dict(
    sar_resnet='configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py',
    vit='configs/recognition/vit-tiny-p8-1ch_1xb32-100e_mstar-soc10-64px.py',
)
#: name -> backbone family, initialisation, recognition config key, pretraining config or None
METHODS = OrderedDict(
    random_resnet=('SARResNet-18', 'random init', 'sar_resnet', None),
    simclr=('SARResNet-18', 'SimCLR', 'sar_resnet',
            'configs/simclr/simclr_sar-resnet18-1ch_1xb128-adamw-35e_mstar-64px.py'),
    random_vit=('ViT 6x192 p8', 'random init', 'vit', None),
    sar_jepa=('ViT 6x192 p8', 'SAR-JEPA', 'vit',
              'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb128-40e_mstar-64px.py'),
    pixel_mae=('ViT 6x192 p8', 'pixel-MAE', 'vit',
               'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb128-40e_mstar-64px_target-pixel.py'),
)
MODES = ('linear', 'knn', 'finetune')
QUICK = dict(pretrain_epochs=1, finetune_epochs=1, shots=[2], seeds=[0])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Few-shot MSTAR: random init vs SimCLR vs SAR-JEPA vs pixel-MAE')
    parser.add_argument(
        '--data-root',
        default=DEFAULT_MSTAR,
        help='MSTAR SOC-10 folder with train.txt (default: %(default)s); the '
        'generated set is used when it does not exist')
    parser.add_argument(
        '--test-list',
        help='annotation list of a separate test set, relative to the data '
        'root (e.g. the 15 deg chips); default: every chip not drawn')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'fewshot_mstar'))
    parser.add_argument('--methods', nargs='+', choices=list(METHODS), default=list(METHODS))
    parser.add_argument(
        '--checkpoint',
        nargs='+',
        default=[],
        metavar='NAME=PATH',
        help='use a finished pretraining instead of running it')
    parser.add_argument(
        '--pretrain-epochs', type=int, help="epochs of every pretraining (default: each config's)")
    parser.add_argument('--modes', nargs='+', choices=MODES, default=list(MODES))
    parser.add_argument('--shots', type=int, nargs='+', default=[10, 20, 40])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--finetune-epochs',
        type=int,
        help="epochs of each fine-tuning (default: the recognition config's)")
    parser.add_argument(
        '--synthetic', action='store_true', help='use the generated set even when MSTAR is present')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run on the tiny generated set: ' + ', '.join(f'{k.replace("_", "-")} {v}'
                                                                 for k, v in QUICK.items()))
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
        args.synthetic = True
    for name in ('pretrain_epochs', 'finetune_epochs'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    for name in ('shots', 'seeds', 'methods', 'modes'):
        values = getattr(args, name)
        if len(set(values)) != len(values):
            parser.error(f'--{name} lists a value twice: {values}')
    if min(args.shots) < 1:
        parser.error(f'--shots must be >= 1, got {args.shots}')
    args.checkpoints = {}
    for item in args.checkpoint:
        name, sep, path = item.partition('=')
        if not sep or name not in METHODS or METHODS[name][3] is None:
            parser.error(f'--checkpoint takes NAME=PATH with NAME a pretrained method '
                         f'({", ".join(k for k, v in METHODS.items() if v[3])}), got {item!r}')
        if not osp.isfile(path):
            parser.error(f'--checkpoint {name}: no file {path}')
        args.checkpoints[name] = osp.abspath(path)
    return args


# ----------------------------------------------------------------------------------- data
def resolve_data(args):
    """Where the labelled chips and the pretraining pool are, as dataset settings."""
    root = args.data_root
    if not args.synthetic and root and osp.isfile(osp.join(root, 'train.txt')):
        root = osp.abspath(root)
        if args.test_list and not osp.isfile(osp.join(root, args.test_list)):
            raise FileNotFoundError(f'--test-list: no file {osp.join(root, args.test_list)}')
        return dict(
            kind='mstar',
            name=f'MSTAR SOC-10, real 17 deg chips ({root})',
            labelled=dict(type='MSTAR', data_root=root, ann_file='train.txt'),
            pool=dict(data_root=root, roots=['train']),
            num_classes=10,
            transductive=not args.test_list)
    if args.test_list:
        raise ValueError('--test-list needs the MSTAR data (a --data-root with train.txt)')
    preset = 'tiny' if args.quick else 'demo'
    reason = '--synthetic' if args.synthetic else f'no MSTAR train.txt in {args.data_root}'
    root = osp.join(osp.abspath(args.work_dir), f'synthetic_sar_{preset}')
    if not osp.isfile(osp.join(root, 'vehicles', 'meta', 'all.txt')):
        from sar_mm.datasets.synthetic import make_synthetic_sar
        print(f'{reason}: generating the {preset!r} synthetic set in {root}', flush=True)
        make_synthetic_sar(root, preset=preset, seed=0)
    return dict(
        kind='synthetic',
        name=f'generated SAR vehicle chips, 5 classes ({root}; {reason})',
        labelled=dict(
            type='SARClassificationDataset',
            data_root=osp.join(root, 'vehicles'),
            ann_file='meta/all.txt'),
        pool=dict(data_root=osp.join(root, 'unlabeled'), roots=['']),
        num_classes=5,
        transductive=False)


def _labelled(dataset, data):
    """A dataset config of the recognition / kNN sets moved onto the benchmark's data."""
    dataset = copy.deepcopy(dataset)
    for field in ('type', 'data_root', 'ann_file', 'metainfo'):
        dataset.pop(field, None)
    dataset.update(data['labelled'])
    return dataset


# -------------------------------------------------------------------------------- configs
def _epoch_schedule(cfg, epochs):
    """The config's schedule stretched or cut to ``epochs`` (warm-up kept at most a tenth)."""
    warmup = 0
    for step in cfg.param_scheduler:
        if step.get('type') == 'LinearLR':
            warmup = min(int(step.get('end', 0)), epochs // 10)
    schedule = []
    if warmup:
        schedule.append(
            dict(
                type='LinearLR',
                start_factor=1e-3,
                by_epoch=True,
                begin=0,
                end=warmup,
                convert_to_iter_based=True))
    schedule.append(
        dict(
            type='CosineAnnealingLR',
            T_max=epochs - warmup,
            eta_min=0.0,
            by_epoch=True,
            begin=warmup,
            end=epochs,
            convert_to_iter_based=True))
    cfg.param_scheduler = schedule
    cfg.train_cfg.max_epochs = epochs


def _common(cfg, work_dir, quick):
    cfg.work_dir = work_dir
    if quick:
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if cfg.get(key):
                cfg[key].update(num_workers=0, persistent_workers=False)
                if key == 'train_dataloader':
                    cfg[key].batch_size = min(cfg[key].batch_size, 16)


def pretrain_config(name, data, args, work_dir):
    """The repo's pretraining config of ``name`` on the benchmark's pool and kNN sets."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, METHODS[name][3]))
    _common(cfg, work_dir, args.quick)
    cfg.train_dataloader.dataset.update(data['pool'])
    for hook in cfg.get('custom_hooks') or []:
        if hook.get('type') == 'KNNAccuracyHook':
            for key in ('train_dataloader', 'val_dataloader'):
                dataset = _labelled(hook[key]['dataset'], data)
                dataset['num_shots'] = min(dataset.get('num_shots') or 1, min(args.shots))
                hook[key]['dataset'] = dataset
    if args.pretrain_epochs:
        _epoch_schedule(cfg, args.pretrain_epochs)
    epochs = cfg.train_cfg.max_epochs
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    return cfg


def recognition_config(name, data, args, work_dir, checkpoint=None):
    """The recognition config of ``name`` on the benchmark's data, with its initialisation."""
    from mmengine.config import Config
    family = METHODS[name][2]
    cfg = Config.fromfile(osp.join(ROOT, RECOGNITION[family]))
    _common(cfg, work_dir, args.quick)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset = _labelled(cfg[key].dataset, data)
    if args.test_list:
        for key in ('val_dataloader', 'test_dataloader'):
            dataset = cfg[key].dataset
            for field in ('num_shots', 'seed', 'fewshot_split'):
                dataset.pop(field, None)
            dataset.ann_file = args.test_list
    cfg.data_preprocessor.num_classes = data['num_classes']
    cfg.model.head.num_classes = data['num_classes']
    if checkpoint:
        # a ViT's pooled-feature norm (ln2) is not part of a SAR-JEPA encoder: 'warn' lists it
        cfg.model.backbone.init_cfg = dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint=checkpoint,
            missing='warn' if family == 'vit' else 'raise')
    if args.finetune_epochs:
        _epoch_schedule(cfg, args.finetune_epochs)
    return cfg


# --------------------------------------------------------------------------------- runs
def run(cmd, log_file):
    """Run a repo tool with this Python, its output to ``log_file``; raise
    :class:`~sar_mm.utils.CommandError` (a ``RuntimeError``) with the log's tail if it fails."""
    from sar_mm.utils import run_logged
    run_logged([sys.executable] + cmd, log_file, cwd=ROOT)


def last_checkpoint(work_dir):
    """The checkpoint mmengine's CheckpointHook last wrote in ``work_dir``."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise FileNotFoundError(f'{work_dir}: no last_checkpoint (did the pretraining finish?)')
    with open(pointer) as f:
        path = f.read().strip()
    if not osp.isfile(path):
        raise FileNotFoundError(f'{pointer} names {path}, which does not exist')
    return path


def add_gains(results):
    """Each pretrained result with ``gain`` over the best random init of the same (mode,
    shots), any family, and ``beyond_spread`` (:func:`~sar_mm.evaluation.fewshot_protocol.
    gain_over`: the mean ± std intervals do not overlap)."""
    from sar_mm.evaluation.fewshot_protocol import gain_over
    best_random = {}
    for r in results:
        if r['init'] == 'random init':
            key = (r['mode'], r['shots'])
            if key not in best_random or r['top1'] > best_random[key]['top1']:
                best_random[key] = r
    out = []
    for r in results:
        r = dict(r, gain=None, beyond_spread=None)
        ref = best_random.get((r['mode'], r['shots']))
        if r['init'] != 'random init' and ref is not None:
            r.update(gain_over(r['top1'], r['top1_std'], ref['top1'], ref['top1_std']))
        out.append(r)
    return out


TABLE_FIELDS = ('backbone', 'init', 'mode', 'shots', 'num_seeds', 'top1', 'top1_std', 'per_class',
                'per_class_std', 'gain', 'beyond_spread', 'pretrain_seconds')


def format_table(results):
    """Markdown table: one row per method, mode and shots."""
    lines = [
        '| backbone | init | mode | shots | top-1 (%) | mean per-class (%) | gain over '
        'best random init | beyond seed spread |', '| --- | --- | --- | --- | --- | --- '
        '| --- | --- |'
    ]
    for r in results:
        gain = '-' if r['gain'] is None else f"{r['gain']:+.2f}"
        spread = '-' if r['beyond_spread'] is None else ('yes' if r['beyond_spread'] else 'no')
        lines.append(f"| {r['backbone']} | {r['init']} | {r['mode']} | {r['shots']} | "
                     f"{r['top1']:.2f} ± {r['top1_std']:.2f} | {r['per_class']:.2f} ± "
                     f"{r['per_class_std']:.2f} | {gain} | {spread} |")
    return '\n'.join(lines)


def write_report(work_dir, header, results):
    """``fewshot_mstar.md`` (header and table), ``.csv`` and ``.png``; returns their paths."""
    from sar_mm.evaluation.fewshot_protocol import plot_accuracy_vs_shots
    paths = dict(
        md=osp.join(work_dir, 'fewshot_mstar.md'),
        csv=osp.join(work_dir, 'fewshot_mstar.csv'),
        png=osp.join(work_dir, 'fewshot_mstar.png'))
    with open(paths['md'], 'w', encoding='utf-8') as f:
        f.write('# Few-shot MSTAR: random init vs SAR pretraining\n\n' + header + '\n\n' +
                format_table(results) + f"\n\nFigure: `{osp.basename(paths['png'])}`.\n")
    with open(paths['csv'], 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=TABLE_FIELDS, extrasaction='ignore')
        writer.writeheader()
        for r in results:
            writer.writerow({k: ('' if r.get(k) is None else r.get(k)) for k in TABLE_FIELDS})
    curves = OrderedDict()
    for r in results:
        curves.setdefault(r['mode'],
                          OrderedDict()).setdefault(f"{r['backbone']}, {r['init']}", []).append(
                              (r['shots'], r['top1'], r['top1_std']))
    plot_accuracy_vs_shots(
        curves, paths['png'], title='Few-shot top-1 on the test chips (mean ± std over seeds)')
    return paths


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    work_dir = osp.abspath(args.work_dir)
    cfg_dir = osp.join(work_dir, 'configs')
    os.makedirs(cfg_dir, exist_ok=True)
    data = resolve_data(args)
    print(f'Data: {data["name"]}', flush=True)

    checkpoints, seconds = dict(args.checkpoints), {}
    for name in args.methods:
        if METHODS[name][3] is None or name in checkpoints:
            continue
        stage = osp.join(work_dir, f'pretrain_{name}')
        cfg = pretrain_config(name, data, args, stage)
        cfg_file = osp.join(cfg_dir, f'pretrain_{name}.py')
        cfg.dump(cfg_file)
        print(
            f'Pretraining {name}: {cfg.train_cfg.max_epochs} epochs ... (log {stage}.log)',
            flush=True)
        t0 = time.time()
        run(['tools/train.py', cfg_file, '--work-dir', stage], stage + '.log')
        seconds[name] = time.time() - t0
        checkpoints[name] = last_checkpoint(stage)
        print(f'  done in {seconds[name] / 60:.1f} min: {checkpoints[name]}', flush=True)

    results = []
    for name in args.methods:
        backbone, init, _, pretrain = METHODS[name]
        stage = osp.join(work_dir, f'eval_{name}')
        cfg_file = osp.join(cfg_dir, f'eval_{name}.py')
        recognition_config(name, data, args, stage, checkpoints.get(name)).dump(cfg_file)
        print(
            f'Evaluating {backbone} ({init}): {" ".join(args.modes)} at shots '
            f'{args.shots}, seeds {args.seeds} ... (log {stage}.log)',
            flush=True)
        t0 = time.time()
        run(['tools/fewshot_eval.py', cfg_file, '--mode'] + list(args.modes) + ['--shots'] +
            [str(s) for s in args.shots] + ['--seeds'] + [str(s) for s in args.seeds] +
            ['--test-split', 'config' if args.test_list else 'rest', '--work-dir', stage],
            stage + '.log')
        for row in read_results(osp.join(stage, 'fewshot_results.csv')):
            results.append(
                dict(row, backbone=backbone, init=init, pretrain_seconds=seconds.get(name)))
        print(f'  done in {time.time() - t0:.0f} s', flush=True)
    results = add_gains(results)

    budgets = ', '.join(f'{n} {seconds[n] / 60:.1f} min' for n in seconds) or 'none run here'
    header = '\n'.join([
        f'Data: {data["name"]}.',
        'Test set: ' + (f'the list {args.test_list}' if args.test_list else
                        'every chip not drawn for training (the held-out rest)') + '.',
        'Protocol: tools/fewshot_eval.py, modes ' + ', '.join(args.modes) + f'; shots '
        f'{", ".join(map(str, args.shots))}; seeds {", ".join(map(str, args.seeds))} (mean ± '
        'sample std); linear = L-BFGS logistic regression on standardised frozen features, C '
        'cross-validated on the shots only; knn = weighted cosine kNN (k 20, T 0.07); '
        'finetune = the recognition config\'s recipe' +
        (f' cut to {args.finetune_epochs} epochs' if args.finetune_epochs else '') + '.',
        f'Pretraining wall time: {budgets}' +
        (f' ({args.pretrain_epochs} epochs each)' if args.pretrain_epochs else '') +
        (f'; given checkpoints: {args.checkpoints}' if args.checkpoints else '') + '.',
        ('Pretraining saw the test chips without labels (transductive: its pool is every chip '
         'of the 17 deg list).'
         if data['transductive'] else 'Pretraining did not see the test chips.'),
        'Gain: top-1 points over the best random init (either family) of the same mode and '
        'shots; beyond seed spread: the gain exceeds the two standard deviations summed.',
        f'Total time: {(time.time() - start) / 60:.1f} min.'
    ])
    paths = write_report(work_dir, header, results)
    print('\n' + header + '\n\n' + format_table(results) +
          f"\n\nWritten: {paths['md']}, {paths['csv']}, {paths['png']}")
    return results


if __name__ == '__main__':
    main()
