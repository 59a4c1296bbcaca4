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

Images: the SAR files of a folder (recursively, MSTAR raw files included) or of a list file
(``path [label]`` lines, relative to ``--data-root`` or to the list's folder); ``--max-images`` of
them, drawn with ``--seed`` and interleaved over the labels. Each is loaded with CONFIG's test
pipeline (up to its Pack step, e.g. ``LoadSARImage`` + ``CenterCrop``), optionally centre-cropped
to ``--crop`` and normalised by the model's data preprocessor. Target/shadow regions: ``--masks``
(region maps 0/1/2 named ``<image stem>.png``), ``--boxes`` (JSON) or SAR-HUB's MSTAR heuristic
(options with ``--heuristic``); cells are labelled target > shadow > background.

Writes to ``--out-dir``: ``kp_metrics.md`` / ``kp_metrics.csv`` (per model and b: mean KPs in
target, shadow, background, foreground ratio lambda = N_fg / (N_fg + N_bg)), ``kp_per_image.csv``,
``entropy_<label>.npz`` (the maps and cell labels) and ``kp_figure.png`` (per image and model:
the SAR image, the entropy map, the region map and the KP overlay at ``--b``; see
``sar_mm.visualization.draw_kp_figure``). The steps are functions of ``sar_mm.apis.kp_analysis``.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config, DictAction

#: The options of --method per_image, passed to PerImageKPExplainer.
PER_IMAGE_OPTIONS = ('alpha', 'steps', 'lr', 'init_sigma', 'num_samples', 'sample_mode', 'seed')


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
        '--crop', type=int, help="centre-crop images to this size after the config's pipeline")
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
        '--masks', help='folder of region maps <image stem>.png (0 background, 1 target, 2 shadow)')
    parser.add_argument(
        '--boxes', help='JSON {image name: {"target": [[x0,y0,x1,y1]], "shadow": [...]}}')
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


def main(argv=None):
    args = parse_args(argv)
    from mmengine.registry import init_default_scope

    import sar_mm  # noqa: F401  (registers the explainers)
    from sar_mm.apis import list_sar_samples
    from sar_mm.apis.kp_analysis import explain_images, load_kp_images
    from sar_mm.datasets import select_interleaved
    from sar_mm.evaluation.metrics import write_kp_tables
    from sar_mm.models.explainers import build_kp_explainer
    from sar_mm.visualization import draw_kp_figure
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    os.makedirs(args.out_dir, exist_ok=True)

    items = list_sar_samples(args.data, args.data_root)
    items = [
        items[i] for i in select_interleaved([lab for _, lab in items], args.max_images, args.seed)
    ]
    print(f'{len(items)} images from {args.data}; {len(args.checkpoints)} models; '
          f'method {args.method}; cell {args.cell} px')
    # checked before any model runs: a region map without background cells raises here
    images = load_kp_images(items, cfg, args.cell, args.crop, args.masks, args.boxes,
                            args.heuristic)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    per_image_cfg = {k: getattr(args, k) for k in PER_IMAGE_OPTIONS}
    maps, per_image, summary = {}, {}, {}
    for m, (label, ckpt) in enumerate(zip(args.labels, args.checkpoints)):
        print(f'[{m + 1}/{len(args.labels)}] {label}: {ckpt}')
        explainer_ckpt = args.explainer_checkpoint[m] if args.method == 'amortised' else None
        model = build_kp_explainer(args.config, ckpt, args.method, args.explainer_config,
                                   explainer_ckpt, args.feature_layer, args.cell, args.cfg_options,
                                   args.device, **per_image_cfg)
        maps[label], per_image[label], summary[label] = explain_images(
            model, images, args.thresholds, args.batch_size, args.device)
        np.savez_compressed(
            osp.join(args.out_dir, f'entropy_{label}.npz'),
            images=np.array([im['path'] for im in images]),
            entropy=np.stack(maps[label]),
            cell_labels=np.stack([im['cell_labels'] for im in images]),
            cell_size=args.cell)
        del model
    text = write_kp_tables(summary, per_image, args.thresholds, args.out_dir)
    figure = osp.join(args.out_dir, 'kp_figure.png')
    draw_kp_figure(images, maps, args.cell, args.b, figure, args.figure_images)
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
