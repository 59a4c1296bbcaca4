"""Few-shot MSTAR: random init vs SimCLR vs SAR-JEPA pretraining under the linear probe.

    python benchmarks/fewshot_mstar.py [--data-root DIR] [--work-dir DIR] [--img-size 64]
        [--epochs 3] [--batch 64] [--shots 10] [--seeds 0 1] [--probe-epochs 20]
        [--pool-limit N] [--synthetic] [--[no-]probe-norm] [--quick]

The claim measured: self-supervised pretraining on SAR chips gives better features for
few-shot target recognition than random initialisation. Evaluation follows the SAR-JEPA
protocol (tools/fewshot_eval.py --mode linear-runner): a linear head is trained on `--shots` chips
per class on the frozen backbone, for every seed of the draw, and tested on every other chip.
By default the probe normalises the frozen features with an affine-free BatchNorm, as MAE's
linear probing does (`--probe-norm`): without it, features whose scale varies little between
images (measured: the SAR-JEPA ViT after 3 epochs) leave a plain linear head at chance.
Printed: top-1 and mean per-class accuracy (mean ± std over seeds) for each backbone and
initialisation, with the gain over the random initialisation of the same backbone.

Backbones, all small:
- ResNet-18 (1 channel): random init, and SimCLR
  (configs/simclr/simclr_resnet18-1ch_1xb256-lars-200e_sar-chips-128px.py);
- the 6-block ViT of width 192 with 8-px patches (configs/_base_/models/vit_tiny_p8_1ch.py):
  random init, and SAR-JEPA (configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb64-200e_sar-chips-128px.py).
Both pretrainings get the same budget: `--epochs` passes over the same pool of chips at the
same batch size and image size (the output states it with the wall time of each). The
recognition side uses configs/recognition/{resnet18,vit-tiny-p8}-1ch_1xb32-100e_mstar-soc10.py.
Every config is the repo's, changed only in data location, image size, epochs and batch size,
and written to <work-dir>/configs/ before it runs.

Cost: small backbones, 64 px crops and 3 pretraining epochs keep the default run to about 25
minutes on a 2-core CPU. Measured per step of batch 64 on this project's shared machine:
SimCLR 2.1 s, SAR-JEPA 4.5 s, a probe forward 1.0 s. That makes 3 x 43 steps of each
pretraining (about 14 min) and 8 probe runs of about 85 s (about 11 min). Such a short
pretraining checks the pipeline and the direction of the effect; it is not the papers'
hundreds of epochs (raise --epochs and --seeds on a GPU).

Data: the real MSTAR SOC-10 17 deg JPEG chips when `--data-root` (default
../shared/data/mstar_soc10 beside the repo, if present) holds train.txt. The chips are
centre-cropped to `--img-size`, and the pool is every chip of the list. The pretraining
therefore sees the test chips without labels (transductive; the output says so). Without MSTAR,
or with `--synthetic`, the generated set of `make demo` is used
(tools/misc/generate_synthetic_sar.py, written to <work-dir>/synthetic_sar_demo if missing):
its 5 vehicle classes for recognition and its unlabelled chips as the pool. `--quick` is a
smoke run (32 px, one epoch over 64 chips, 2 shots, one seed; the 'tiny' generated set when
the data is generated).

Writes <work-dir>/fewshot_mstar.md and .csv. Each stage has its own work dir and log.
"""
import argparse
import copy
import csv
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

DEFAULT_MSTAR = osp.join(osp.dirname(ROOT), 'shared', 'data', 'mstar_soc10')
CONFIGS = dict(
    simclr='configs/simclr/simclr_resnet18-1ch_1xb256-lars-200e_sar-chips-128px.py',
    sar_jepa='configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb64-200e_sar-chips-128px.py',
    resnet18='configs/recognition/resnet18-1ch_1xb32-100e_mstar-soc10.py',
    vit='configs/recognition/vit-tiny-p8-1ch_1xb32-100e_mstar-soc10.py',
)
#: (name, backbone label, init label, recognition config key, pretraining key or None)
METHODS = (
    ('resnet18_random', 'ResNet-18', 'random', 'resnet18', None),
    ('resnet18_simclr', 'ResNet-18', 'SimCLR', 'resnet18', 'simclr'),
    ('vit_random', 'ViT 6x192 p8', 'random', 'vit', None),
    ('vit_sar_jepa', 'ViT 6x192 p8', 'SAR-JEPA', 'vit', 'sar_jepa'),
)
QUICK = dict(img_size=32, epochs=1, batch=16, shots=2, seeds=[0], probe_epochs=2, pool_limit=64)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Few-shot linear probe on MSTAR: random init vs SimCLR vs SAR-JEPA')
    parser.add_argument('--data-root', default=DEFAULT_MSTAR,
                        help='MSTAR SOC-10 folder with train.txt (default: %(default)s); the '
                        'generated set is used when it does not exist')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'fewshot_mstar'))
    parser.add_argument('--img-size', type=int, default=64,
                        help='centre crop side in pixels (default: 64)')
    parser.add_argument('--epochs', type=int, default=3,
                        help='pretraining epochs over the pool, for both methods (default: 3)')
    parser.add_argument('--batch', type=int, default=64, help='pretraining batch (default: 64)')
    parser.add_argument('--shots', type=int, default=10, help='shots per class (default: 10)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1],
                        help='seeds of the few-shot draws (default: 0 1)')
    parser.add_argument('--probe-epochs', type=int, default=20,
                        help='epochs of each linear probe (default: 20)')
    parser.add_argument('--pool-limit', type=int,
                        help='pretrain on the first N chips of the pool only (default: all)')
    parser.add_argument('--synthetic', action='store_true',
                        help='use the generated set even when MSTAR is present')
    parser.add_argument('--probe-norm', action=argparse.BooleanOptionalAction, default=True,
                        help="MAE's affine-free BatchNorm on the frozen features before the "
                        'linear head (tools/fewshot_eval.py --probe-norm; default: on)')
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: ' + ', '.join(f'{k.replace("_", "-")} {v}'
                                                       for k, v in QUICK.items()) +
                        ' (the tiny generated set when the data is generated)')
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    for name in ('img_size', 'epochs', 'batch', 'shots', 'probe_epochs', 'pool_limit'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    if args.img_size % 8:
        parser.error(f'--img-size must be a multiple of the ViT patch size 8, got '
                     f'{args.img_size}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds lists a value twice: {args.seeds}')
    return args


# ----------------------------------------------------------------------------------- data
def resolve_data(args):
    """Where the labelled chips and the pretraining pool are, as dataset settings."""
    root = args.data_root
    if not args.synthetic and root and osp.isfile(osp.join(root, 'train.txt')):
        root = osp.abspath(root)
        return dict(
            kind='mstar', name=f'MSTAR SOC-10, real 17 deg chips ({root})',
            labelled=dict(type='MSTAR', data_root=root, ann_file='train.txt'),
            pool=dict(data_root=root, roots=['train']), num_classes=10,
            transductive=True)
    preset = 'tiny' if args.quick else 'demo'
    reason = '--synthetic' if args.synthetic else f'no MSTAR train.txt in {args.data_root}'
    root = osp.join(osp.abspath(args.work_dir), f'synthetic_sar_{preset}')
    if not osp.isfile(osp.join(root, 'vehicles', 'meta', 'all.txt')):
        from sar_mm.datasets.synthetic import make_synthetic_sar
        print(f'{reason}: generating the {preset!r} synthetic set in {root}', flush=True)
        make_synthetic_sar(root, preset=preset, seed=0)
    return dict(
        kind='synthetic', name=f'generated SAR vehicle chips, 5 classes ({root}; {reason})',
        labelled=dict(type='SARClassificationDataset', data_root=osp.join(root, 'vehicles'),
                      ann_file='meta/all.txt'),
        pool=dict(data_root=osp.join(root, 'unlabeled'), roots=['']), num_classes=5,
        transductive=False)


def pool_files(pool):
    """Image files of the pretraining pool, as SARUnlabeledDataset lists them."""
    from sar_mm.datasets import SARUnlabeledDataset
    dataset = SARUnlabeledDataset(lazy_init=False, **pool)
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def draa_statistics(files, img_size, max_files=200):
    """Mean and std of the DRAA tone-mapped centre crops (the inputs of every model here)."""
    import numpy as np

    from sar_mm.datasets.transforms import DRAAToneMapping, LoadSARImage
    load, draa = LoadSARImage(to='amplitude', bands=[0]), DRAAToneMapping(test_mode=True)
    step = max(1, len(files) // max_files)
    values = []
    for path in files[::step][:max_files]:
        img = np.asarray(load(dict(img_path=path))['img'])[..., 0]
        top, left = max(0, (img.shape[0] - img_size) // 2), max(0, (img.shape[1] - img_size) // 2)
        crop = img[top:top + img_size, left:left + img_size]
        values.append(np.asarray(draa(dict(img=crop))['img'], np.float64).ravel())
    values = np.concatenate(values)
    return float(values.mean()), float(values.std())


# -------------------------------------------------------------------------------- configs
def set_image_size(pipeline, size):
    """Copy of a pipeline whose crops and resizes give ``size`` x ``size`` images."""
    out = []
    for step in pipeline:
        step = copy.deepcopy(step)
        kind = step.get('type')
        if kind == 'CenterCrop':
            step['crop_size'] = size
        elif kind == 'RandomResizedCrop':
            step['scale'] = size
        elif kind == 'Resize':
            step['scale'] = (size, size)
        if 'transforms' in step:  # MultiView: a list of view pipelines
            step['transforms'] = [set_image_size(p, size) for p in step['transforms']]
        out.append(step)
    return out


def _common(cfg, work_dir, seed=0):
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            cfg[key].update(num_workers=2, persistent_workers=True)


def pretrain_config(key, data, args, mean, std, work_dir):
    """The repo's pretraining config on the pool, at the benchmark's size, epochs and batch."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[key]))
    _common(cfg, work_dir)
    dataset = cfg.train_dataloader.dataset
    dataset.update(data['pool'], pipeline=set_image_size(dataset.pipeline, args.img_size))
    cfg.train_dataloader.batch_size = args.batch
    cfg.data_preprocessor.update(mean=[mean], std=[std])
    if key == 'sar_jepa':  # 4 windows of 4x4 patches: the patch grid is img_size / 8 wide
        cfg.model.backbone.img_size = args.img_size
        cfg.model.window_size = min(4, args.img_size // 8)
    base = cfg.auto_scale_lr.base_batch_size
    cfg.optim_wrapper.optimizer.lr *= args.batch / base  # linear scaling to this batch
    cfg.auto_scale_lr.base_batch_size = args.batch
    epochs, warmup = args.epochs, max(1, args.epochs // 10) if args.epochs > 1 else 0
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler = ([dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
                                 end=warmup, convert_to_iter_based=True)] if warmup else []) + [
        dict(type='CosineAnnealingLR', T_max=epochs - warmup, by_epoch=True, begin=warmup,
             end=epochs, convert_to_iter_based=True)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    return cfg


def probe_config(key, data, args, mean, std, work_dir, checkpoint=None):
    """The repo's MSTAR recognition config on the benchmark's data, size and probe epochs."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[key]))
    _common(cfg, work_dir)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        dataset = loader.dataset
        for field in ('type', 'data_root', 'ann_file'):
            dataset.pop(field, None)
        dataset.update(data['labelled'])
        dataset.pipeline = set_image_size(dataset.pipeline, args.img_size)
    cfg.data_preprocessor.update(num_classes=data['num_classes'], mean=[mean], std=[std])
    cfg.model.head.num_classes = data['num_classes']
    if key == 'vit':
        cfg.model.backbone.img_size = args.img_size
    if checkpoint:
        # the ViT's pooled-feature norm (ln2) is not in a SAR-JEPA encoder: 'warn' lists it
        cfg.model.backbone.init_cfg = dict(
            type='Pretrained', prefix='backbone.', checkpoint=checkpoint,
            missing='warn' if key == 'vit' else 'raise')
    epochs = args.probe_epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0,
                                end=epochs, convert_to_iter_based=True)]
    return cfg


# --------------------------------------------------------------------------------- runs
def run(cmd, log_file):
    """Run a repo tool, its output to ``log_file``; raise with the log's tail if it fails."""
    with open(log_file, 'w') as log:
        proc = subprocess.run([sys.executable] + cmd, cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log_file) as f:
            tail = f.read()[-4000:]
        raise RuntimeError(f'{" ".join(cmd)} failed ({proc.returncode}); log {log_file}:\n{tail}')


def read_summary(csv_file):
    """(top-1 mean, top-1 std, mean per-class mean, mean per-class std) of a fewshot_eval run."""
    with open(csv_file, newline='') as f:
        rows = list(csv.DictReader(f))
    if len(rows) != 1:
        raise ValueError(f'{csv_file}: expected one summary row (one mode, one shot count), '
                         f'found {len(rows)}')
    row = rows[0]
    std = (lambda v: float(v) if v not in ('', 'nan') else float('nan'))
    return (float(row['top1_mean']), std(row['top1_std']), float(row['mean_per_class_mean']),
            std(row['mean_per_class_std']))


def add_gains(results):
    """Each result with ``gain``: top-1 points over the random init of the same backbone."""
    random_top1 = {r['backbone']: r['top1'] for r in results if r['init'] == 'random'}
    out = []
    for r in results:
        r = dict(r)
        r['gain'] = None if r['init'] == 'random' else r['top1'] - random_top1[r['backbone']]
        out.append(r)
    return out


def format_table(results):
    """Markdown table of the results (with gains)."""
    lines = ['| backbone | init | top-1 (%) | mean per-class (%) | gain over random init |',
             '| --- | --- | --- | --- | --- |']
    for r in results:
        gain = '-' if r['gain'] is None else f"{r['gain']:+.2f} points"
        lines.append(f"| {r['backbone']} | {r['init']} | {r['top1']:.2f} ± {r['top1_std']:.2f} "
                     f"| {r['per_class']:.2f} ± {r['per_class_std']:.2f} | {gain} |")
    return '\n'.join(lines)


def write_report(work_dir, header, results):
    """``fewshot_mstar.md`` (header and table) and ``fewshot_mstar.csv``; returns both paths."""
    md, csv_path = osp.join(work_dir, 'fewshot_mstar.md'), osp.join(work_dir, 'fewshot_mstar.csv')
    with open(md, 'w', encoding='utf-8') as f:
        f.write('# Few-shot linear probe: random init vs SimCLR vs SAR-JEPA\n\n' + header +
                '\n\n' + format_table(results) + '\n')
    fields = ('backbone', 'init', 'top1', 'top1_std', 'per_class', 'per_class_std', 'gain',
              'pretrain_seconds')
    with open(csv_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction='ignore')
        writer.writeheader()
        for r in results:
            writer.writerow({k: ('' if r.get(k) is None else r.get(k)) for k in fields})
    return md, csv_path


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    work_dir = osp.abspath(args.work_dir)
    cfg_dir = osp.join(work_dir, 'configs')
    os.makedirs(cfg_dir, exist_ok=True)
    data = resolve_data(args)
    if args.pool_limit:
        data['pool']['indices'] = args.pool_limit  # the first N chips (smoke runs)
    files = pool_files(data['pool'])
    mean, std = draa_statistics(files, args.img_size)
    print(f'Data: {data["name"]}\nPretraining pool: {len(files)} chips; DRAA input statistics '
          f'mean {mean:.4f}, std {std:.4f}', flush=True)

    checkpoints, seconds = {}, {}
    for key in ('simclr', 'sar_jepa'):
        stage = osp.join(work_dir, f'pretrain_{key}')
        cfg_file = osp.join(cfg_dir, f'pretrain_{key}.py')
        pretrain_config(key, data, args, mean, std, stage).dump(cfg_file)
        print(f'Pretraining {key}: {args.epochs} epochs x {len(files)} chips, batch '
              f'{args.batch} ... (log {stage}.log)', flush=True)
        t0 = time.time()
        run(['tools/train.py', cfg_file, '--work-dir', stage], stage + '.log')
        seconds[key] = time.time() - t0
        checkpoints[key] = osp.join(stage, f'epoch_{args.epochs}.pth')
        if not osp.isfile(checkpoints[key]):
            raise FileNotFoundError(f'{key} pretraining wrote no {checkpoints[key]}')
        print(f'  done in {seconds[key] / 60:.1f} min', flush=True)

    results = []
    for name, backbone, init, key, pretrain in METHODS:
        stage = osp.join(work_dir, f'probe_{name}')
        cfg_file = osp.join(cfg_dir, f'probe_{name}.py')
        probe_config(key, data, args, mean, std, stage,
                     checkpoints.get(pretrain) if pretrain else None).dump(cfg_file)
        print(f'Linear probe {backbone} ({init} init): {args.shots} shots, seeds '
              f'{" ".join(map(str, args.seeds))} ... (log {stage}.log)', flush=True)
        t0 = time.time()
        run(['tools/fewshot_eval.py', cfg_file, '--mode', 'linear-runner'] +
            (['--probe-norm'] if args.probe_norm else []) + ['--shots', str(args.shots),
             '--seeds'] + [str(s) for s in args.seeds] + ['--work-dir', stage], stage + '.log')
        top1, top1_std, per_class, per_class_std = read_summary(
            osp.join(stage, 'fewshot_results.csv'))
        results.append(dict(backbone=backbone, init=init, top1=top1, top1_std=top1_std,
                            per_class=per_class, per_class_std=per_class_std,
                            pretrain_seconds=seconds.get(pretrain)))
        print(f'  top-1 {top1:.2f} % ({time.time() - t0:.0f} s)', flush=True)
    results = add_gains(results)

    header = '\n'.join([
        f'Data: {data["name"]}.',
        f'Protocol: linear probe (tools/fewshot_eval.py --mode linear-runner'
        + (' --probe-norm: feature BatchNorm before the head' if args.probe_norm else '')
        + ') on the frozen backbone, '
        f'{args.shots} shots per class, seeds {", ".join(map(str, args.seeds))} (mean ± std), '
        f'{args.probe_epochs} epochs; tested on every chip not drawn for training. Inputs: '
        f'{args.img_size} px centre crops, DRAA tone mapping, normalised with mean {mean:.4f}, '
        f'std {std:.4f}.',
        f'Pretraining budget, equal for both methods: {args.epochs} epochs over the same '
        f'{len(files)} chips ({args.epochs * len(files)} chip presentations), batch '
        f'{args.batch}, {args.img_size} px; wall time SimCLR (ResNet-18) '
        f'{seconds["simclr"] / 60:.1f} min, SAR-JEPA (ViT) {seconds["sar_jepa"] / 60:.1f} min.'
        + (' The pool holds the test chips without labels (transductive pretraining: only the '
           '17 deg chips are available).' if data['transductive'] else ''),
        'Small backbones (ResNet-18; a 6-block ViT of width 192 with 8-px patches) at small '
        'images keep the run on a 2-core CPU; the gain compares each pretraining with the '
        'random initialisation of the same backbone.',
        f'Total time: {(time.time() - start) / 60:.1f} min.'])
    md, csv_path = write_report(work_dir, header, results)
    print('\n' + header + '\n\n' + format_table(results) + f'\n\nWritten: {md}, {csv_path}')
    return results


if __name__ == '__main__':
    main()
