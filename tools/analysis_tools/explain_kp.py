"""SAR knowledge points of several classifiers on the same images: table and figure.

    python tools/analysis_tools/explain_kp.py CONFIG --checkpoints A.pth B.pth ...
        --labels random sar-pretrained ... --data DIR_OR_LIST [--data-root DIR]
        [--method per_image|amortised] [--explainer-config CFG --explainer-checkpoint E_A E_B]
        [--cell 8] [--crop N] [--masks DIR | --boxes JSON] [--max-images 16] [--out-dir DIR]

For models of the same architecture (CONFIG) fine-tuned on the same set from different
initialisations (random, SAR-pretrained, ImageNet-style), each image's cell entropies ``H`` are
computed per model, either by optimising the noise of each image (``per_image``, Cheng et al.,
CVPR 2020: ``--alpha --steps --lr --init-sigma --num-samples --sample-mode``) or with a trained
U-Net (``amortised``, SAR-HUB: one explainer checkpoint per model, trained with
``tools/train.py`` on ``--explainer-config``, which must see the input CONFIG gives). A cell is
a knowledge point (KP) when ``mean(H over background) - H > b``.

Images: the files of a folder (recursively) or of a list file (``path [label]`` lines, relative
to ``--data-root`` or to the list's folder); ``--max-images`` of them, drawn with ``--seed`` and
interleaved over the labels. Each is loaded with CONFIG's test pipeline (up to its Pack step,
e.g. ``LoadSARImage`` + ``CenterCrop``), optionally centre-cropped to ``--crop`` and normalised by
the model's data preprocessor. Target/shadow regions: ``--masks`` (region maps 0/1/2 named
``<image stem>.png``), ``--boxes`` (JSON) or SAR-HUB's MSTAR heuristic (options with
``--heuristic``); cells are labelled target > shadow > background.

Writes to ``--out-dir``: ``kp_metrics.md`` / ``kp_metrics.csv`` (per model and b: mean KPs in
target, shadow, background, foreground ratio lambda = N_fg / (N_fg + N_bg)), ``kp_per_image.csv``,
``entropy_<label>.npz`` (the maps and cell labels) and ``kp_figure.png`` (per image and model:
the SAR image, the entropy map, the region map and the KP overlay at ``--b``: 0.7 x the image +
0.3 x the KP colours). Images are shown with ``sar_to_display`` (dB and a percentile stretch; a
pipeline output already tone-mapped by DRAA or ``SARLogNormalize`` is stretched as it is).
"""
import argparse
import csv
import math
import os
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config, DictAction

METRIC_COLUMNS = ('num_target', 'num_shadow', 'num_background', 'num_foreground', 'fg_ratio',
                  'target_ratio', 'num_images_without_kp')
# pipeline steps whose output is shown as it is (percentile stretch, no dB conversion)
TONE_MAPPINGS = ('DRAAToneMapping', 'DRAAPercentileTruncation', 'SARLogNormalize')
REGION_COLOURS = {0: (255, 255, 255), 1: (230, 140, 40), 2: (70, 110, 200)}


def parse_args(argv=None):
    from sar_mm.models.explainers.knowledge_points import DEFAULT_THRESHOLDS, REFERENCE_ALPHA
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config of the explained classifiers (model, pipeline)')
    parser.add_argument(
        '--checkpoints',
        nargs='+',
        required=True,
        help='one fine-tuned checkpoint per model to compare')
    parser.add_argument('--labels', nargs='+', help='model names (default: file stems)')
    parser.add_argument('--data', required=True, help='a folder of images or a list file')
    parser.add_argument('--data-root', help='root of the list file paths (default: its folder)')
    parser.add_argument(
        '--max-images', type=int, default=16, help='images to explain, 0 for all (default 16)')
    parser.add_argument('--method', choices=['per_image', 'amortised'], default='per_image')
    parser.add_argument('--explainer-config', help='config of the amortised explainer')
    parser.add_argument(
        '--explainer-checkpoint', nargs='+', help='trained amortised explainer, one per checkpoint')
    parser.add_argument('--cell', type=int, default=8, help='cell size in pixels (default 8)')
    parser.add_argument(
        '--crop', type=int, help='centre-crop images to this size after the '
        "config's pipeline")
    parser.add_argument(
        '--feature-layer',
        help='explained feature (default: last backbone '
        "stage; 'neck', 'pre_logits' or a module name such as backbone.layer3)")
    parser.add_argument(
        '--alpha',
        type=float,
        default=REFERENCE_ALPHA,
        help=f'per_image: entropy weight per image (default {REFERENCE_ALPHA:g})')
    parser.add_argument('--steps', type=int, default=200, help='per_image: Adam steps')
    parser.add_argument('--lr', type=float, default=0.05, help='per_image: Adam learning rate')
    parser.add_argument(
        '--init-sigma',
        type=float,
        default=1.0,
        help='per_image: starting sigma (units of the normalised input)')
    parser.add_argument('--num-samples', type=int, default=1, help='per_image: noise draws S')
    parser.add_argument(
        '--sample-mode',
        choices=['mean_loss', 'mean_input'],
        default='mean_loss',
        help='per_image: how the S draws are averaged')
    parser.add_argument(
        '--masks',
        help='folder of region maps <image stem>.png (0 background, '
        '1 target, 2 shadow)')
    parser.add_argument(
        '--boxes', help='JSON {image name: {"target": [[x0,y0,x1,y1]], '
        '"shadow": [...]}}')
    parser.add_argument(
        '--heuristic',
        nargs='+',
        action=DictAction,
        default={},
        help='options of the MSTAR heuristic (mstar_target_shadow_masks), e.g. '
        'shadow_box="(8,72,32,96)" shadow_percentile=25 min_count=25')
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        default=list(DEFAULT_THRESHOLDS),
        help='values of b in the table')
    parser.add_argument('--b', type=float, default=0.3, help='b of the figure (default 0.3)')
    parser.add_argument('--figure-images', type=int, default=4, help='images in the figure')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0, help='image draw and noise seed')
    parser.add_argument('--out-dir', default='work_dirs/explain_kp')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='overrides of CONFIG')
    args = parser.parse_args(argv)
    if args.labels is None:
        args.labels = [osp.splitext(osp.basename(c))[0] for c in args.checkpoints]
    if len(args.labels) != len(args.checkpoints):
        parser.error(f'--labels gives {len(args.labels)} names for {len(args.checkpoints)} '
                     'checkpoints')
    if args.method == 'amortised':
        if not args.explainer_config or not args.explainer_checkpoint:
            parser.error('--method amortised needs --explainer-config and '
                         '--explainer-checkpoint (one per checkpoint)')
        if len(args.explainer_checkpoint) != len(args.checkpoints):
            parser.error(f'--explainer-checkpoint gives {len(args.explainer_checkpoint)} files '
                         f'for {len(args.checkpoints)} checkpoints')
    if args.masks and args.boxes:
        parser.error('give --masks or --boxes, not both')
    return args


# ----------------------------------------------------------------------------- images
def list_images(data, data_root=None):
    """``[(path, label or None)]`` of a folder (recursive) or a list file."""
    from sar_mm.fileio import supported_extensions
    if osp.isdir(data):
        exts = tuple(e.lower() for e in supported_extensions())
        items = sorted(
            osp.join(d, f) for d, _, files in os.walk(data) for f in files
            if f.lower().endswith(exts))
        if not items:
            raise FileNotFoundError(f'--data {data}: no SAR image files ({", ".join(exts)})')
        return [(p, None) for p in items]
    if not osp.isfile(data):
        raise FileNotFoundError(f'--data {data}: no such folder or list file')
    root = data_root if data_root is not None else osp.dirname(data)
    items = []
    with open(data) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            parts = line.split('\t') if '\t' in line else line.rsplit(None, 1)
            path = parts[0] if len(parts) > 1 else line
            label = parts[1].strip() if len(parts) > 1 else None
            full = osp.join(root, path)
            if not osp.isfile(full):
                raise FileNotFoundError(f'{data}:{lineno}: image {full} not found')
            items.append((full, label))
    if not items:
        raise ValueError(f'--data {data}: the list file names no image')
    return items


def pick_images(items, max_images, seed):
    """``max_images`` items drawn with ``seed``, interleaved over the labels (all if 0)."""
    if not max_images or max_images >= len(items):
        return items
    rng = np.random.default_rng(seed)
    groups = {}
    for item in items:
        groups.setdefault(item[1], []).append(item)
    queues = [[g[i] for i in rng.permutation(len(g))]
              for _, g in sorted(groups.items(), key=lambda kv: str(kv[0]))]
    picked = []
    while len(picked) < max_images:
        for q in queues:
            if q and len(picked) < max_images:
                picked.append(q.pop(0))
    return picked


def build_loader(cfg):
    """The config's test pipeline up to (without) its Pack step."""
    from mmcv.transforms import Compose
    steps = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline
    steps = [s for s in steps if not str(s['type']).startswith('Pack')]
    if not any(s['type'] == 'LoadSARImage' for s in steps):
        steps = [dict(type='LoadSARImage')] + steps
    return Compose(steps)


def load_images(items, cfg, args):
    """Load, crop and check every image; returns a list of dicts (path, img, region, domain)."""
    from mmengine.registry import init_default_scope

    from sar_mm.datasets.transforms.foreground import SARTargetShadowRegions, center_crop
    from sar_mm.models.explainers import check_cell_grid
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    pipeline = build_loader(cfg)
    tone_mapped = any(str(t.__class__.__name__) in TONE_MAPPINGS for t in pipeline.transforms)
    if args.masks:
        regions = SARTargetShadowRegions('mask_file', mask_dir=args.masks)
    elif args.boxes:
        regions = SARTargetShadowRegions('boxes', boxes=args.boxes)
    else:
        regions = SARTargetShadowRegions('mstar', heuristic=args.heuristic)
    images = []
    for path, label in items:
        results = pipeline(dict(img_path=path))
        img = results['img']
        img = img[..., None] if img.ndim == 2 else img
        if args.crop:
            if min(img.shape[:2]) < args.crop:
                raise ValueError(f'{path}: image {img.shape[0]}x{img.shape[1]} is smaller than '
                                 f'--crop {args.crop}')
            img = center_crop(img, (args.crop, args.crop))
        sf = results.get('scale_factor')
        if (args.masks or args.boxes) and sf is not None and not np.allclose(sf, 1):
            raise ValueError(f'{path}: the pipeline resizes the image (scale {sf}); --masks / '
                             '--boxes are given in original coordinates and only centre crops '
                             'are supported')
        check_cell_grid(img.shape[0], img.shape[1], args.cell,
                        f'{path} (after the pipeline{" and --crop" if args.crop else ""})')
        region = regions.region_for(path, img, results.get('ori_shape'))
        domain = results.get('sar_meta', {}).get('domain', 'amplitude')
        if tone_mapped:  # already compressed for viewing: a plain percentile stretch
            domain = 'db'
        images.append(
            dict(
                path=path, label=label, img=np.ascontiguousarray(img), region=region,
                domain=domain))
    return images


# ----------------------------------------------------------------------------- explainers
def build_explainer(args, checkpoint, explainer_checkpoint=None):
    """The explainer of one model, with the explained weights loaded."""
    from mmengine.logging import print_log
    from mmpretrain.registry import MODELS

    from sar_mm.engine import load_weights_strictly
    from sar_mm.engine.checkpoint import checkpoint_state_dict
    common = dict(
        explained=args.config,
        explained_checkpoint=checkpoint,
        feature_layer=args.feature_layer,
        cell_size=args.cell,
        explained_cfg_options=args.cfg_options)
    if args.method == 'per_image':
        model = MODELS.build(
            dict(
                type='PerImageKPExplainer',
                alpha=args.alpha,
                steps=args.steps,
                lr=args.lr,
                init_sigma=args.init_sigma,
                num_samples=args.num_samples,
                sample_mode=args.sample_mode,
                seed=args.seed,
                **common))
        model.init_weights()
        return model.to(args.device).eval()
    ecfg = Config.fromfile(args.explainer_config).model
    ecfg.update(common)
    ecfg.pop('data_preprocessor', None)
    model = MODELS.build(ecfg)
    model.init_weights()
    # the explainer's own weights; the explained model keeps those of `checkpoint`
    state = checkpoint_state_dict(
        load_weights_strictly(
            model,
            explainer_checkpoint,
            target=f'--explainer-config {args.explainer_config}',
            exclude_prefixes=('explained.', )))
    explained = model.explained.model.state_dict()
    differs = [
        k for k, v in state.items()
        if k.startswith('explained.model.') and k[len('explained.model.'):] in explained
        and not torch.equal(v, explained[k[len('explained.model.'):]])
    ]
    if differs:
        print_log(
            f'{explainer_checkpoint} was trained on other weights than {checkpoint} '
            f'({len(differs)} tensors differ, e.g. {differs[0]}): is it the explainer '
            'of this model?',
            logger='current',
            level=30)
    return model.to(args.device).eval()


def explain(model, images, args):
    """Entropy maps ``(gh, gw)`` of every image, in batches of equal image size."""
    import mmengine
    maps = [None] * len(images)
    bar = mmengine.ProgressBar(len(images))
    i = 0
    while i < len(images):
        j = i + 1
        while j < len(images) and j - i < args.batch_size and \
                images[j]['img'].shape == images[i]['img'].shape:
            j += 1
        batch = [torch.from_numpy(im['img']).permute(2, 0, 1).contiguous() for im in images[i:j]]
        data = model.data_preprocessor(dict(inputs=batch), False)
        with torch.no_grad():
            entropy = model.entropy_map(data['inputs'].to(args.device))
        for k in range(i, j):
            maps[k] = entropy[k - i].float().cpu().numpy()
            bar.update()
        i = j
    sys.stdout.write('\n')
    return maps


# ----------------------------------------------------------------------------- outputs
def write_tables(summary, per_image, thresholds, out_dir):
    """``kp_metrics.{csv,md}`` and ``kp_per_image.csv``; returns the markdown text."""
    header = ['model', 'b', 'images'] + list(METRIC_COLUMNS)
    rows = []
    for label, metrics in summary.items():
        for b in thresholds:
            key = f'b{b:g}'
            rows.append([label, f'{b:g}', metrics['num_images']] +
                        [metrics[f'{key}/{c}'] for c in METRIC_COLUMNS])
    with open(osp.join(out_dir, 'kp_metrics.csv'), 'w', newline='') as f:
        csv.writer(f).writerows([header] + rows)

    def fmt(v):
        if isinstance(v, float):
            return 'n/a' if math.isnan(v) else f'{v:.3f}'
        return str(v)

    names = [
        'model', 'b', 'images', 'KP target', 'KP shadow', 'KP background', 'KP foreground',
        'λ = N_fg/(N_fg+N_bg)', 'target ratio', 'images without KP'
    ]
    lines = ['| ' + ' | '.join(names) + ' |', '|' + ' --- |' * len(names)]
    lines += ['| ' + ' | '.join(fmt(v) for v in row) + ' |' for row in rows]
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out_dir, 'kp_metrics.md'), 'w', encoding='utf-8') as f:
        f.write('Mean knowledge points per image (cells with mean(H_bg) - H > b); lambda and '
                'the target ratio are averaged over images with at least one KP.\n\n' + text)
    with open(osp.join(out_dir, 'kp_per_image.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        keys = ('num_target', 'num_shadow', 'num_background', 'fg_ratio', 'target_ratio',
                'target_margin', 'shadow_margin')
        writer.writerow(['model', 'image', 'b'] + list(keys))
        for label, entries in per_image.items():
            for path, counts in entries:
                for b in thresholds:
                    writer.writerow([label, path, f'{b:g}'] + [counts[float(b)][k] for k in keys])
    return text


def _upsample(cell_map, cell):
    return np.repeat(np.repeat(cell_map, cell, axis=0), cell, axis=1)


def draw_figure(images, labels, maps, cell_labels_list, args, out):
    """Rows: (image, model); columns: SAR image, entropy map, region map, KP overlay."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from sar_mm.models.explainers import kp_colour_map, select_knowledge_points
    from sar_mm.models.explainers.knowledge_points import KP_COLOURS
    from sar_mm.visualization import sar_to_display
    shown = list(range(min(args.figure_images, len(images))))
    rows = len(shown) * len(labels)
    fig, axes = plt.subplots(rows, 4, figsize=(10.5, 2.6 * rows + 0.8), squeeze=False)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for n, i in enumerate(shown):
        im = images[i]
        domain = im['domain'] if im['domain'] in ('db', 'amplitude', 'intensity') \
            else 'amplitude'
        grey = sar_to_display(im['img'][..., 0], domain=domain)
        labels_i = cell_labels_list[i]
        region_rgb = np.zeros(labels_i.shape + (3, ), np.uint8)
        for value, colour in REGION_COLOURS.items():
            region_rgb[labels_i == value] = colour
        for m, label in enumerate(labels):
            r = n * len(labels) + m
            h = maps[label][i]
            kp = select_knowledge_points(h, labels_i, args.b, im['path'])
            colours = _upsample(kp_colour_map(labels_i, kp), args.cell).astype(np.float64)
            overlay = 0.7 * np.repeat(grey[..., None], 3, axis=2) + 0.3 * colours
            axes[r, 0].imshow(grey, cmap='gray')
            axes[r, 0].set_ylabel(label, fontsize=9)
            axes[r, 0].set_title(osp.basename(im['path']), fontsize=8)
            e = axes[r, 1].imshow(_upsample(h, args.cell), cmap='viridis')
            fig.colorbar(e, ax=axes[r, 1], fraction=0.046, pad=0.02)
            axes[r, 1].set_title('entropy H (nats; low = KP)', fontsize=8)
            axes[r, 2].imshow(_upsample(region_rgb, args.cell))
            axes[r, 2].set_title('regions', fontsize=8)
            axes[r, 3].imshow(overlay.round().astype(np.uint8))
            kp_lab = labels_i[kp]
            axes[r, 3].set_title(
                f'KP b={args.b:g}: {int((kp_lab == 1).sum())} tgt, '
                f'{int((kp_lab == 2).sum())} sh, {int((kp_lab == 0).sum())} bg',
                fontsize=8)
    handles = [
        Patch(color=np.array(KP_COLOURS[k]) / 255, label=t)
        for k, t in (('kp_target', 'KP in target'), ('kp_shadow', 'KP in shadow'),
                     ('kp_background', 'KP in background'))
    ]
    handles += [
        Patch(color=np.array(REGION_COLOURS[v]) / 255, label=t, ec='k')
        for v, t in ((1, 'target region'), (2, 'shadow region'), (0, 'background region'))
    ]
    fig.legend(handles=handles, loc='lower center', ncol=6, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.5 / (2.6 * rows + 0.8), 1, 1))
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.registry import init_default_scope

    import sar_mm  # noqa: F401  (registers the explainers and the metric)
    from sar_mm.datasets.transforms.foreground import cell_labels
    from sar_mm.evaluation.metrics.sar_kp import aggregate_kp_counts
    from sar_mm.models.explainers import count_knowledge_points
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    os.makedirs(args.out_dir, exist_ok=True)

    items = pick_images(list_images(args.data, args.data_root), args.max_images, args.seed)
    print(f'{len(items)} images from {args.data}; {len(args.checkpoints)} models; '
          f'method {args.method}; cell {args.cell} px')
    images = load_images(items, cfg, args)
    labels_per_image = [cell_labels(im['region'], args.cell) for im in images]
    # checked before any model runs: the KP reference needs background cells
    from sar_mm.models.explainers import NoBackgroundCellsError
    for im, lab in zip(images, labels_per_image):
        if not (lab == 0).any():
            raise NoBackgroundCellsError(
                f'{im["path"]}: no background cell among the {lab.size} cells of '
                f'{args.cell} px, so mean(H over background) is undefined; give smaller '
                'masks/boxes, a larger --crop or a smaller --cell')

    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    maps, per_image, summary = {}, {}, {}
    for m, (label, ckpt) in enumerate(zip(args.labels, args.checkpoints)):
        print(f'[{m + 1}/{len(args.labels)}] {label}: {ckpt}')
        model = build_explainer(
            args, ckpt, args.explainer_checkpoint[m] if args.method == 'amortised' else None)
        maps[label] = explain(model, images, args)
        per_image[label] = [(im['path'], count_knowledge_points(h, lab, args.thresholds,
                                                                im['path']))
                            for im, h, lab in zip(images, maps[label], labels_per_image)]
        summary[label] = aggregate_kp_counts([c for _, c in per_image[label]], args.thresholds)
        np.savez_compressed(
            osp.join(args.out_dir, f'entropy_{label}.npz'),
            images=np.array([im['path'] for im in images]),
            entropy=np.stack(maps[label]),
            cell_labels=np.stack(labels_per_image),
            cell_size=args.cell)
        del model
    text = write_tables(summary, per_image, args.thresholds, args.out_dir)
    figure = osp.join(args.out_dir, 'kp_figure.png')
    draw_figure(images, args.labels, maps, labels_per_image, args, figure)
    print(text)
    print(f'wrote {args.out_dir}/kp_metrics.md, kp_metrics.csv, kp_per_image.csv, '
          f'entropy_*.npz and {figure}')
    return summary


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError, KeyError) as err:
        # CheckpointMismatchError and NoBackgroundCellsError are ValueErrors
        sys.exit(f'explain_kp.py: error: {err}')
