"""Ship detection transfer: FCOS-R18 from a sar_mm-pretrained backbone vs random init, and the
training speed of sar_mm's single-channel FCOS against mmdet's stock 3-channel ResNet-18 FCOS.

    python benchmarks/transfer_ssdd.py [--data-root DIR] [--pretrained CKPT] [--iters 300]
        [--batch 2] [--img-size 512] [--speed-iters 10] [--pretrain-iters 300] [--seed 0]
        [--threads 1] [--work-dir work_dirs/benchmarks/transfer_ssdd] [--quick]

Data: a real SAR ship set when there is one: ``--data-root`` (default ``../shared/data/
hrsid_mini`` beside the repo, if present: 36 HRSID 800 x 800 scenes as 8-bit JPEG with boxes in
``boxes_from_masks.json``) is converted to COCO in a temporary folder, split 28 train / 8 val
(seeded) and downscaled to ``--img-size`` (``sar_mm.datasets.converters.convert_hrsid_mini``,
also ``tools/dataset_converters/hrsid_to_coco.py``); otherwise generated speckled sea scenes
with ships (float32 amplitude TIFF, 60 train / 20 val at 256 px). Images enter the network in dB.

(1) Transfer: ``configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py`` (1-channel
    ResNet-18, FPN, GroupNorm head sized for CPUs) trained ``--iters`` iterations from random
    init and from the backbone of ``--pretrained`` (any sar_mm checkpoint with the ResNet-18
    under ``backbone.``: SimCLR, SupCon, a classifier), same seed, schedule and data, both
    through ``tools/train.py`` / ``tools/test.py``; prints COCO bbox mAP / mAP50 of both and the
    gain. Without ``--pretrained``, SimCLR (``configs/simclr/``) is first run for
    ``--pretrain-iters`` iterations on generated unlabelled chips, and the report says so.
(2) Speed: training iterations/s (data pipeline from the files, data preprocessor, forward,
    backward, SGD step: what the Runner does per iteration) of that FCOS with the 1-channel
    backbone and ``LoadSARImage`` (dB), against the same FCOS with mmdet's stock 3-channel
    ResNet-18, ``LoadImageFromFile`` on 8-bit PNGs of the same images and ImageNet
    normalisation; interleaved steps on the same batch, median times, ratio sar_mm / stock
    (goal: at most 1.05).
Results: printed, and ``<work-dir>/transfer_ssdd.md`` / ``.csv``; logs and checkpoints of every
run in the work dir. ``--quick`` shrinks everything (a smoke run of a few minutes).
``--threads`` sets torch's threads here and in the training runs (default 1: on a machine shared
with other jobs, two threads per process were 5-10x slower than one, from oversubscription).
"""
import argparse
import csv
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

FCOS_R18 = osp.join(ROOT, 'configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py')
SIMCLR = osp.join(ROOT, 'configs/simclr/simclr_resnet18-1ch_1xb32-8e_synthetic-sar.py')
DEFAULT_REAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'hrsid_mini')
# --quick: iterations, image size, SimCLR iterations, timed speed steps
QUICK = (6, 256, 4, 3)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--data-root',
        default=None,
        help=f'hrsid_mini-style folder (default: {DEFAULT_REAL} if present, '
        'else generated scenes)')
    parser.add_argument(
        '--synthetic',
        action='store_true',
        help='use generated scenes even when real data is there')
    parser.add_argument(
        '--pretrained',
        help='sar_mm checkpoint with a 1-channel ResNet-18 under '
        "'backbone.' (default: a short SimCLR run on generated chips)")
    parser.add_argument('--iters', type=int, default=300, help='fine-tuning iterations per run')
    parser.add_argument('--batch', type=int, default=2, help='images per iteration')
    parser.add_argument('--lr', type=float, default=0.005, help='SGD learning rate')
    parser.add_argument(
        '--img-size',
        type=int,
        default=512,
        help='real scenes are downscaled to this size (default 512)')
    parser.add_argument(
        '--pretrain-iters',
        type=int,
        default=300,
        help='SimCLR iterations (batch 32, 64 px) when --pretrained is absent')
    parser.add_argument(
        '--speed-iters',
        type=int,
        default=10,
        help='timed training steps per model (after 2 warm-up steps)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads', type=int, default=1, help='CPU threads of every run (default 1)')
    parser.add_argument(
        '--work-dir', default=osp.join(ROOT, 'work_dirs', 'benchmarks', 'transfer_ssdd'))
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run: 6 iterations, 256 px, tiny pretraining, 3 speed steps')
    args = parser.parse_args(argv)
    if args.quick:
        args.iters, args.img_size, args.pretrain_iters, args.speed_iters = QUICK
    for name in ('iters', 'batch', 'pretrain_iters', 'speed_iters', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1')
    if args.img_size < 64 or args.img_size % 32:
        parser.error(f'--img-size must be a multiple of 32, at least 64; got {args.img_size}')
    return args


# --- data -------------------------------------------------------------------------------------


def write_png8_copies(root):
    """8-bit PNG renderings (dB, percentile stretch) of generated float scenes, with their json
    (for the stock 3-channel pipeline, which reads 8-bit images only)."""
    import cv2

    from sar_mm.fileio import read_sar
    from sar_mm.visualization import sar_to_display
    for split in ('train', 'val'):
        with open(osp.join(root, 'annotations', f'{split}.json')) as f:
            coco = json.load(f)
        os.makedirs(osp.join(root, 'png8', split), exist_ok=True)
        for img in coco['images']:
            array, _ = read_sar(osp.join(root, 'images', split, img['file_name']))
            img['file_name'] = osp.splitext(img['file_name'])[0] + '.png'
            cv2.imwrite(
                osp.join(root, 'png8', split, img['file_name']), sar_to_display(array, 'amplitude'))
        with open(osp.join(root, 'annotations', f'{split}_png8.json'), 'w') as f:
            json.dump(coco, f)


def prepare_data(args, tmp):
    """Returns a dict describing the data (root, kind, db_floor, splits)."""
    from sar_mm.datasets.converters import convert_hrsid_mini
    from sar_mm.datasets.synthetic import make_ship_scenes
    real = args.data_root or (DEFAULT_REAL if osp.isdir(DEFAULT_REAL) else None)
    root = osp.join(tmp, 'ships')
    if real and not args.synthetic:
        splits = convert_hrsid_mini(real, root, args.img_size, seed=args.seed)
        kind = (f'real: {osp.abspath(real)} (HRSID 800 x 800 8-bit scenes, boxes from masks), '
                f'downscaled to {args.img_size} px')
        png8 = dict(train=('images/train/', 'annotations/train.json'))
        db_floor = 1.0  # 8-bit grey values: 0 -> 0 dB rather than -100 dB
    else:
        counts = dict(train=8, val=4) if args.quick else dict(train=60, val=20)
        size = 128 if args.quick else 256
        splits = make_ship_scenes(root, counts, size=size, seed=args.seed)
        write_png8_copies(root)
        kind = (f'generated: speckled sea scenes with ships, float32 amplitude TIFF, {size} px' +
                ('' if real is None else ' (--synthetic)'))
        png8 = dict(train=('png8/train/', 'annotations/train_png8.json'))
        db_floor = 1e-10
    return dict(
        root=root + '/',
        kind=kind,
        splits=splits,
        png8=png8,
        db_floor=db_floor,
        real=bool(real and not args.synthetic))


def db_statistics(root, db_floor):
    """Mean and std of the training images in dB (the network's input domain)."""
    import numpy as np

    from sar_mm.datasets.transforms import LoadSARImage
    load = LoadSARImage(to='db', bands=[0], db_floor=db_floor)
    with open(osp.join(root, 'annotations', 'train.json')) as f:
        names = [img['file_name'] for img in json.load(f)['images']]
    values = np.concatenate(
        [load(dict(img_path=osp.join(root, 'images', 'train', n)))['img'].ravel() for n in names])
    return float(values.mean()), float(values.std())


# --- configs and runs -------------------------------------------------------------------------

FCOS_BODY = """
img_scale = ({size}, {size})
data_preprocessor = dict(mean=[{mean:.4f}], std=[{std:.4f}])
train_pipeline = [
    dict(type='LoadSARImage', to='db', bands=[0], db_floor={db_floor}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='db', bands=[0], db_floor={db_floor}),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor')),
]
train_dataloader = dict(batch_size={batch}, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}', pipeline=train_pipeline))
# no validation while training: tools/test.py evaluates the last checkpoint on the val split
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={iters})
val_cfg = None
val_dataloader = None
val_evaluator = None
test_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                       dataset=dict(data_root='{root}', pipeline=test_pipeline))
test_evaluator = dict(ann_file='{root}annotations/val.json')
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end={warmup}),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end={iters},
         milestones=[{milestone}], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr={lr}))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval={iters}, max_keep_ckpts=1),
                     logger=dict(interval=max(1, {iters} // 20)))
log_processor = dict(by_epoch=False)
randomness = dict(seed={seed})
model = dict(test_cfg=dict(score_thr={score_thr}))
"""

SIMCLR_BODY = """
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}'))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={iters})
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=max(1, {iters} // 10)),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=max(1, {iters} // 10), end={iters}),
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval={iters}, max_keep_ckpts=1),
                     logger=dict(interval=max(1, {iters} // 10)))
log_processor = dict(by_epoch=False)
randomness = dict(seed={seed})
"""


def write_config(path, base, body):
    with open(path, 'w') as f:
        f.write(f'_base_ = [{base!r}]\n' + body)
    return path


def run(cmd, log_path):
    """Run a repo tool with this Python, its output to ``log_path``; exit with the log's tail if
    it fails (:func:`sar_mm.utils.run_logged`). Returns its wall time in seconds."""
    from sar_mm.utils import CommandError, run_logged
    try:
        return run_logged([sys.executable] + cmd, log_path, cwd=ROOT)
    except CommandError as err:
        raise SystemExit(str(err)) from None


def pretrain_simclr(args, tmp):
    from sar_mm.datasets.synthetic import make_unlabeled_set
    chips = osp.join(tmp, 'unlabeled')
    make_unlabeled_set(chips, 64 if args.quick else 1500, size=64, seed=args.seed)
    work = osp.join(args.work_dir, 'simclr_pretrain')
    config = write_config(
        osp.join(args.work_dir, 'simclr_pretrain.py'), SIMCLR,
        SIMCLR_BODY.format(root=chips + '/', iters=args.pretrain_iters, seed=args.seed))
    seconds = run(['tools/train.py', config, '--work-dir', work],
                  osp.join(args.work_dir, 'simclr_pretrain.log'))
    return osp.join(work, f'iter_{args.pretrain_iters}.pth'), seconds


def finetune(name, config, args):
    work = osp.join(args.work_dir, name)
    train_s = run(['tools/train.py', config, '--work-dir', work],
                  osp.join(args.work_dir, f'{name}_train.log'))
    ckpt = osp.join(work, f'iter_{args.iters}.pth')
    test_s = run(['tools/test.py', config, ckpt, '--work-dir', work],
                 osp.join(args.work_dir, f'{name}_test.log'))
    with open(osp.join(work, 'test_metrics.json')) as f:
        metrics = json.load(f)
    return metrics, train_s, test_s


# --- speed ------------------------------------------------------------------------------------


def _train_step_fn(cfg, pipeline, data_root, img_dir, ann_file, batch):
    """A closure doing one training iteration as the Runner does (load, collate, train_step)."""
    import copy

    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, DefaultScope

    import sar_mm  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(
            copy.deepcopy(dict(cfg.model, data_preprocessor=cfg.data_preprocessor)))
        model.init_weights()
        model.train()
        optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        transforms = Compose(copy.deepcopy(pipeline))
    with open(osp.join(data_root, ann_file)) as f:
        coco = json.load(f)
    anns = {}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        anns.setdefault(ann['image_id'],
                        []).append(dict(bbox=[x, y, x + w, y + h], bbox_label=0, ignore_flag=0))
    infos = [
        dict(
            img_path=osp.join(data_root, img_dir, img['file_name']),
            img_id=img['id'],
            instances=anns[img['id']]) for img in coco['images'] if img['id'] in anns
    ]
    infos = infos[:batch]

    def step():
        with DefaultScope.overwrite_default_scope('mmdet'):
            data = pseudo_collate([transforms(copy.deepcopy(info)) for info in infos])
            model.train_step(data, optim)

    return step


def speed(args, data, config):
    """Median seconds per training iteration: sar_mm 1-channel FCOS and stock 3-channel FCOS."""
    import logging

    import torch
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(config)
    sar_step = _train_step_fn(cfg, cfg.train_pipeline, data['root'], 'images/train/',
                              'annotations/train.json', args.batch)
    stock = Config.fromfile(config)
    stock.model.backbone.in_channels = 3
    stock.data_preprocessor = dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32)
    scale = cfg.img_scale
    stock_pipeline = [
        dict(type='LoadImageFromFile'),  # mmcv: 8-bit, 3 channels (BGR)
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackDetInputs'),
    ]
    img_dir, ann_file = data['png8']['train']
    stock_step = _train_step_fn(stock, stock_pipeline, data['root'], img_dir, ann_file, args.batch)
    steps = dict(sar_mm=sar_step, stock=stock_step)
    for step in steps.values():  # warm-up
        step()
        step()
    times = dict(sar_mm=[], stock=[])
    for i in range(args.speed_iters):
        order = ('sar_mm', 'stock') if i % 2 == 0 else ('stock', 'sar_mm')
        for name in order:
            start = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


# --- main -------------------------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):  # for the tools/*.py runs
        os.environ[var] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.time()
    timing = {}
    with tempfile.TemporaryDirectory(prefix='transfer_ssdd_') as tmp:
        data = prepare_data(args, tmp)
        mean, std = db_statistics(data['root'], data['db_floor'])
        size = args.img_size if data['real'] else (128 if args.quick else 256)
        warmup = max(1, min(100, args.iters // 10))
        body = FCOS_BODY.format(
            size=size,
            mean=mean,
            std=std,
            db_floor=data['db_floor'],
            batch=args.batch,
            root=data['root'],
            iters=args.iters,
            warmup=warmup,
            milestone=max(1, int(args.iters * 0.75)),
            lr=args.lr,
            seed=args.seed,
            score_thr=0.0 if args.quick else 0.05)
        random_cfg = write_config(osp.join(args.work_dir, 'fcos_r18_random.py'), FCOS_R18, body)

        print(f'data: {data["kind"]}\n      {data["splits"]}; input dB mean {mean:.2f}, '
              f'std {std:.2f}')
        print(
            f'budget: {torch.get_num_threads()} CPU threads; fine-tuning {args.iters} '
            f'iterations x {args.batch} images at {size} px, twice (random / pretrained); ' +
            ('SimCLR pretraining ' + f'{args.pretrain_iters} iterations x 32 chips at 64 px; '
             if not args.pretrained else '') +
            f'speed test {args.speed_iters} + 2 warm-up steps per model',
            flush=True)

        t = time.time()
        sec = speed(args, data, random_cfg)
        timing['speed test'] = time.time() - t
        ratio = sec['sar_mm'] / sec['stock']
        print(
            f'speed: sar_mm 1-channel FCOS-R18 {1 / sec["sar_mm"]:.3f} it/s '
            f'({sec["sar_mm"]:.3f} s/it), stock 3-channel {1 / sec["stock"]:.3f} it/s '
            f'({sec["stock"]:.3f} s/it): ratio {ratio:.3f} (goal <= 1.05)',
            flush=True)
        est = 2 * args.iters * sec['sar_mm'] / 60
        print(
            f'expected fine-tuning time: about {est:.1f} min (+ start-up and evaluation)',
            flush=True)

        pretrained, note = args.pretrained, 'given with --pretrained'
        if not pretrained:
            pretrained, seconds = pretrain_simclr(args, tmp)
            timing['SimCLR pretraining'] = seconds
            note = (f'no --pretrained given: SimCLR ({osp.relpath(SIMCLR, ROOT)}) run for '
                    f'{args.pretrain_iters} iterations on generated unlabelled chips')
            print(f'pretrained backbone: {note} -> {pretrained}', flush=True)
        pre_cfg = write_config(
            osp.join(args.work_dir, 'fcos_r18_pretrained.py'), random_cfg,
            "model = dict(backbone=dict(init_cfg=dict(type='Pretrained', prefix='backbone.', "
            f'checkpoint={osp.abspath(pretrained)!r})))\n')
        results = {}
        for name, config in (('random_init', random_cfg), ('pretrained', pre_cfg)):
            metrics, train_s, test_s = finetune(name, config, args)
            results[name] = metrics
            timing[f'{name} train'], timing[f'{name} test'] = train_s, test_s
            print(
                f'{name}: bbox mAP {metrics.get("coco/bbox_mAP", float("nan")):.4f}, mAP50 '
                f'{metrics.get("coco/bbox_mAP_50", float("nan")):.4f} '
                f'(train {train_s / 60:.1f} min)',
                flush=True)

    def m(name, key):
        return results[name].get(key, float('nan'))

    rows = [
        [
            'FCOS-R18 random init', f'{m("random_init", "coco/bbox_mAP"):.4f}',
            f'{m("random_init", "coco/bbox_mAP_50"):.4f}'
        ],
        [
            'FCOS-R18 sar_mm-pretrained', f'{m("pretrained", "coco/bbox_mAP"):.4f}',
            f'{m("pretrained", "coco/bbox_mAP_50"):.4f}'
        ],
        [
            'gain (pretrained - random)',
            f'{m("pretrained", "coco/bbox_mAP") - m("random_init", "coco/bbox_mAP"):+.4f}',
            f'{m("pretrained", "coco/bbox_mAP_50") - m("random_init", "coco/bbox_mAP_50"):+.4f}'
        ],
    ]
    total = (time.time() - start) / 60
    lines = [
        '# FCOS ship detection transfer (benchmarks/transfer_ssdd.py)',
        '',
        f'Data: {data["kind"]}; {data["splits"]}.',
        '',
        f'Pretrained backbone: `{pretrained}` ({note}).',
        '',
        f'Budget: {torch.get_num_threads()} CPU threads, {args.iters} iterations x {args.batch} '
        f'images at {size} px per run, seed {args.seed}; {total:.1f} min in all.',
        '',
        '| model | bbox mAP | bbox mAP50 |',
        '| --- | --- | --- |',
        *[f'| {" | ".join(r)} |' for r in rows],
        '',
        '| training iteration | it/s | s/it |',
        '| --- | --- | --- |',
        f'| sar_mm 1-channel FCOS-R18 (LoadSARImage, dB) | {1 / sec["sar_mm"]:.3f} | '
        f'{sec["sar_mm"]:.3f} |',
        f'| mmdet stock 3-channel FCOS-R18 (LoadImageFromFile, 8-bit) | '
        f'{1 / sec["stock"]:.3f} | {sec["stock"]:.3f} |',
        f'| ratio sar_mm / stock (goal <= 1.05) | | {ratio:.3f} |',
        '',
        'Time per stage (min): ' + ', '.join(f'{k} {v / 60:.1f}' for k, v in timing.items()),
    ]
    with open(osp.join(args.work_dir, 'transfer_ssdd.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(args.work_dir, 'transfer_ssdd.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['model', 'bbox_mAP', 'bbox_mAP50'])
        writer.writerows(rows)
        writer.writerow([])
        writer.writerow(['speed', 'sar_mm_s_per_it', 'stock_s_per_it', 'ratio'])
        writer.writerow(
            ['train iteration', f'{sec["sar_mm"]:.4f}', f'{sec["stock"]:.4f}', f'{ratio:.4f}'])
    print('\n' + '\n'.join(lines))
    print(f'\nwritten: {args.work_dir}/transfer_ssdd.md and .csv')


if __name__ == '__main__':
    main()
