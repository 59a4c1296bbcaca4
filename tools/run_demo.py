"""The main job of ``make demo``: pretrain, few-shot recognition and transfer to ship detection.

    python tools/run_demo.py [--data-root data/synthetic_sar] [--work-dir work_dirs/demo]
                             [--preset demo|tiny] [--seed 0]

Stages, each a plain ``tools/train.py`` / ``tools/test.py`` run of a config in ``configs/``:
  1. self-supervised pretraining: SAR-JEPA (small setting: a 6-block ViT, 8-px patches, 64 px)
     on unlabelled SAR chips;
  2. few-shot (10 per class) vehicle recognition with that ViT, from random init and from the
     stage-1 backbone, under the frozen-feature protocol of ``tools/fewshot_eval.py --mode
     linear knn`` over seeds 0, 1, 2 (the held-out chips as test set): the gain of the
     pretraining in each mode and whether it exceeds the seed spread (the two standard
     deviations summed);
  3. FCOS ship detection with the stage-1 ViT through a simple feature pyramid, evaluated with
     the COCO metric.
Data: synthetic speckled SAR generated from ``--seed`` into ``--data-root`` (skipped when that
folder already holds the same preset and seed). Results: ``<work-dir>/summary.md`` and ``.json``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

# the repository: the tools and configs below are run from it
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(
    pretrain='configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py',
    fewshot_scratch='configs/fewshot/vit-tiny-p8-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py',
    fewshot_pretrained='configs/fewshot/'
    'vit-tiny-p8-1ch_1xb16-30e_synthetic-sar-vehicles-10shot_sar-jepa-pretrained.py',
    fcos_pretrained='configs/fcos/'
    'fcos_vit-tiny-p8-sar-jepa_sfp_gn-head_1xb4-12e_synthetic-sar-ships.py',
)
FEWSHOT_MODES = ('linear', 'knn')
FEWSHOT_SEEDS = (0, 1, 2)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='sar_mm end-to-end demo')
    parser.add_argument(
        '--data-root',
        default='data/synthetic_sar',
        help='where the synthetic data is (generated if missing)')
    parser.add_argument('--work-dir', default='work_dirs/demo', help='where results go')
    parser.add_argument('--preset', default='demo', help='synthetic data size: demo or tiny')
    parser.add_argument('--seed', type=int, default=0, help='seed of data and training')
    parser.add_argument(
        '--cfg-options',
        nargs='*',
        default=[],
        help='extra k=v options passed to every train/test run')
    return parser.parse_args(argv)


def run(cmd, log_path):
    """Run a tool, streaming its output to the console and to ``log_path``; fail loudly."""
    from sar_mm.utils import CommandError, run_logged
    print(f'\n[demo] $ {" ".join(cmd)}', flush=True)
    try:
        run_logged(cmd, log_path, cwd=ROOT, echo=True)
    except CommandError as err:
        raise SystemExit(f'[demo] failed (exit {err.returncode}): {" ".join(cmd)}\n'
                         f'[demo] full log: {log_path}') from None


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def ensure_data(args):
    stamp = osp.join(args.data_root, 'generated.json')
    if osp.isfile(stamp):
        with open(stamp) as f:
            info = json.load(f)
        if info.get('preset') == args.preset and info.get('seed') == args.seed:
            print(f'[demo] reusing synthetic data in {args.data_root}')
            return
    run([
        sys.executable, 'tools/misc/generate_synthetic_sar.py', '--out', args.data_root, '--preset',
        args.preset, '--seed',
        str(args.seed)
    ], osp.join(args.work_dir, 'generate_data.log'))


def fewshot_eval(name, config, args, options):
    """The 10-shot linear / kNN protocol over 3 seeds; ``{mode: (mean, std)}`` of top-1 (%)."""
    from sar_mm.evaluation.fewshot_protocol import read_results
    work_dir = osp.join(args.work_dir, name)
    run([
        sys.executable, 'tools/fewshot_eval.py', config, '--mode', *FEWSHOT_MODES, '--shots', '10',
        '--seeds', *map(str, FEWSHOT_SEEDS), '--test-split', 'rest', '--work-dir', work_dir,
        '--cfg-options', f'randomness.seed={args.seed}'
    ] + options + list(args.cfg_options), osp.join(args.work_dir, f'{name}.log'))
    return {
        row['mode']: (row['top1'], row['top1_std'])
        for row in read_results(osp.join(work_dir, 'fewshot_results.csv'))
    }


def train_and_test(name, config, args, options):
    """Train, then test the last checkpoint (predictions dumped to ``<work_dir>/preds.pkl``)."""
    work_dir = osp.join(args.work_dir, name)
    opts = [f'randomness.seed={args.seed}'] + options + list(args.cfg_options)
    run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--cfg-options'] + opts,
        osp.join(args.work_dir, f'{name}_train.log'))
    checkpoint = last_checkpoint(work_dir)
    run([
        sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', work_dir, '--out',
        osp.join(work_dir, 'preds.pkl'), '--cfg-options'
    ] + opts, osp.join(args.work_dir, f'{name}_test.log'))
    with open(osp.join(work_dir, 'test_metrics.json')) as f:
        return checkpoint, json.load(f)


def write_figure(data_root, det_preds, path, num_scenes=3, score_thr=0.3):
    """One chip per vehicle class, then validation scenes with true (green) and predicted (red)
    ship boxes, all with SAR display scaling."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from mmengine.fileio import load

    from sar_mm.datasets.transforms import LoadSARImage
    from sar_mm.visualization import sar_to_display
    loader = LoadSARImage(to='db')
    with open(osp.join(data_root, 'vehicles', 'meta', 'classes.txt')) as f:
        classes = f.read().split()
    with open(osp.join(data_root, 'vehicles', 'meta', 'all.txt')) as f:
        first = {}
        for line in f:
            rel, label = line.split()
            first.setdefault(int(label), rel)
    preds = load(det_preds)[:num_scenes]  # our own test.py output of this run
    cols = max(len(classes), len(preds))
    fig, axes = plt.subplots(2, cols, figsize=(2.6 * cols, 5.6))
    for ax in axes.ravel():
        ax.axis('off')
    for label, name in enumerate(classes):
        img = loader.transform(dict(img_path=osp.join(data_root, 'vehicles', first[label])))
        axes[0, label].imshow(sar_to_display(img['img']), cmap='gray')
        axes[0, label].set_title(name, fontsize=9)
    for i, pred in enumerate(preds):
        img = loader.transform(dict(img_path=pred['img_path']))['img']
        ax = axes[1, i]
        ax.imshow(sar_to_display(img), cmap='gray')
        gt = pred['gt_instances']['bboxes'] if 'gt_instances' in pred else []
        inst = pred['pred_instances']
        keep = inst['scores'] >= score_thr
        for boxes, colour in ((gt, 'lime'), (inst['bboxes'][keep], 'red')):
            for x0, y0, x1, y1 in [b.tolist() for b in boxes]:
                ax.add_patch(
                    plt.Rectangle((x0, y0),
                                  x1 - x0,
                                  y1 - y0,
                                  fill=False,
                                  edgecolor=colour,
                                  linewidth=1))
        ax.set_title(
            f'{osp.basename(pred["img_path"])}: {int(keep.sum())} ships '
            f'(score>={score_thr})',
            fontsize=8)
    fig.suptitle(
        'sar_mm demo: synthetic SAR vehicle chips (top); FCOS ship detections, '
        'green = truth, red = predicted (bottom)',
        fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    args.data_root = osp.abspath(args.data_root)
    args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.time()
    ensure_data(args)
    root = args.data_root
    unlabeled = [f'train_dataloader.dataset.data_root={root}/unlabeled/']
    vehicles = [
        f'{d}.dataset.data_root={root}/vehicles/'
        for d in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    ships = [
        f'{d}.dataset.data_root={root}/ships/'
        for d in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    ships += [
        f'{e}.ann_file={root}/ships/annotations/val.json'
        for e in ('val_evaluator', 'test_evaluator')
    ]

    stage_dir = osp.join(args.work_dir, '1_pretrain_sar_jepa')
    run([
        sys.executable, 'tools/train.py', CONFIGS['pretrain'], '--work-dir', stage_dir,
        '--cfg-options', f'randomness.seed={args.seed}'
    ] + unlabeled + list(args.cfg_options), osp.join(args.work_dir,
                                                     '1_pretrain_sar_jepa_train.log'))
    backbone = last_checkpoint(stage_dir)
    init = [f'model.backbone.init_cfg.checkpoint={backbone}']

    from sar_mm.evaluation.fewshot_protocol import gain_over
    results = {}
    scratch = fewshot_eval('2a_fewshot_random_init', CONFIGS['fewshot_scratch'], args, vehicles)
    pretrained = fewshot_eval('2b_fewshot_sar_jepa_init', CONFIGS['fewshot_pretrained'], args,
                              vehicles + init)
    results['fewshot'] = {
        mode:
        dict(
            random_init=dict(zip(('mean', 'std'), scratch[mode])),
            sar_jepa=dict(zip(('mean', 'std'), pretrained[mode])),
            **gain_over(*pretrained[mode], *scratch[mode]))
        for mode in FEWSHOT_MODES
    }
    _, results['fcos_pretrained'] = train_and_test('3_fcos_sar_jepa_init',
                                                   CONFIGS['fcos_pretrained'], args, ships + init)
    if 'coco/bbox_mAP' not in results['fcos_pretrained']:
        raise SystemExit('[demo] the FCOS test gave no COCO metric (test_metrics.json of '
                         f'{osp.join(args.work_dir, "3_fcos_sar_jepa_init")} is '
                         f'{results["fcos_pretrained"]}): no detection passed the score '
                         'threshold, which happens when the detector trained for too few '
                         'epochs (see train_cfg.max_epochs in --cfg-options)')
    figure = osp.join(args.work_dir, 'demo_results.png')
    write_figure(root, osp.join(args.work_dir, '3_fcos_sar_jepa_init', 'preds.pkl'), figure)
    minutes = (time.time() - start) / 60
    summary = dict(
        seed=args.seed,
        preset=args.preset,
        minutes=round(minutes, 2),
        pretrained_backbone=backbone,
        metrics=results)
    lines = [
        '# sar_mm demo results',
        '',
        f'Synthetic SAR data in `{args.data_root}` (preset {args.preset}, seed {args.seed}); '
        f'{minutes:.1f} min on this machine.',
        '',
        '| stage | config | metric | value |',
        '| --- | --- | --- | --- |',
        f'| 1. SAR-JEPA pretraining | `{CONFIGS["pretrain"]}` | checkpoint | `{backbone}` |',
    ] + [
        f'| 2{"ab"[i]}. 10-shot recognition, {mode} probe, random init → SAR-JEPA init '
        f'(seeds {", ".join(map(str, FEWSHOT_SEEDS))}) | `{CONFIGS["fewshot_scratch"]}`, '
        f'`{CONFIGS["fewshot_pretrained"]}` | top-1 (%), mean ± std | '
        f'{r["random_init"]["mean"]:.2f} ± {r["random_init"]["std"]:.2f} → '
        f'{r["sar_jepa"]["mean"]:.2f} ± {r["sar_jepa"]["std"]:.2f} ({r["gain"]:+.2f} points; '
        f'{"beyond" if r["beyond_spread"] else "within"} the seed spread) |'
        for i, (mode, r) in enumerate(results['fewshot'].items())
    ] + [
        f'| 3. FCOS ship detection, SAR-JEPA init | `{CONFIGS["fcos_pretrained"]}` | '
        f'COCO bbox mAP / mAP50 | {results["fcos_pretrained"]["coco/bbox_mAP"]:.3f} / '
        f'{results["fcos_pretrained"]["coco/bbox_mAP_50"]:.3f} |',
        '',
        f'Picture: `{figure}`',
    ]
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n' + '\n'.join(lines))
    print(f'\n[demo] results: {args.work_dir}/summary.md, summary.json and demo_results.png '
          '(per-stage work dirs hold checkpoints and logs)')


if __name__ == '__main__':
    main()
