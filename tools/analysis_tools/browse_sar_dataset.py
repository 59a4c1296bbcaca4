"""Render what the network sees: SAR samples as loaded and after the config's pipeline, to PNG.

    python tools/analysis_tools/browse_sar_dataset.py CONFIG [--phase train|val|test]
        [--num 8] [--views 3] [--out browse.png] [--seed 0] [--cfg-options k=v ...]

Each row is one sample: the image right after ``LoadSARImage`` (shown in dB with a percentile
stretch) and then ``--views`` draws of the random transforms that follow (DRAA, speckle, crops,
flips...; the packing step is left out), each shown with a linear percentile stretch. Works for
mmpretrain, mmdet and mmseg configs; multi-view pipelines (SimCLR) show their first view.
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--phase', default='train', choices=['train', 'val', 'test'])
    parser.add_argument('--num', type=int, default=8, help='number of samples (rows)')
    parser.add_argument('--views', type=int, default=3, help='augmented draws per sample')
    parser.add_argument('--out', default='browse_sar_dataset.png', help='output PNG')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def _first_image(results):
    img = results['img']
    if isinstance(img, (list, tuple)):  # MultiView
        img = img[0]
    return np.asarray(img)


def split_pipeline(pipeline_cfg):
    """(load part up to LoadSARImage, the transforms after it without the packer)."""
    types = [t['type'] for t in pipeline_cfg]
    if 'LoadSARImage' not in types:
        raise ValueError(f'the pipeline has no LoadSARImage step: {types}')
    cut = types.index('LoadSARImage') + 1
    rest = [t for t in pipeline_cfg[cut:] if not t['type'].startswith('Pack')]
    return pipeline_cfg[:cut], rest


def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from mmcv.transforms import Compose
    from mmengine.registry import DATASETS, DefaultScope
    from mmengine.utils import ProgressBar

    import sar_mm  # noqa: F401
    from sar_mm.visualization import sar_to_display

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset_cfg = cfg[f'{args.phase}_dataloader']['dataset'].copy()
    load_cfg, aug_cfg = split_pipeline(dataset_cfg.pop('pipeline'))
    domain = load_cfg[-1].get('to', 'amplitude')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        with DATASETS.switch_scope_and_registry(cfg.default_scope) as registry:
            dataset = registry.build(dict(dataset_cfg, pipeline=[]))
        load, augment = Compose(load_cfg), Compose(aug_cfg)
    num = min(args.num, len(dataset))
    rng = np.random.default_rng(args.seed)
    indices = sorted(rng.choice(len(dataset), num, replace=False).tolist())
    np.random.seed(args.seed)
    cols = 1 + args.views
    fig, axes = plt.subplots(num, cols, figsize=(2.4 * cols, 2.4 * num), squeeze=False)
    progress = ProgressBar(num)
    for row, index in enumerate(indices):
        loaded = load(dataset.get_data_info(index))
        shown = sar_to_display(loaded['img'], domain='db' if domain == 'db' else domain)
        axes[row, 0].imshow(shown, cmap='gray')
        axes[row, 0].set_title(f'#{index} loaded ({domain})', fontsize=8)
        for view in range(args.views):
            out = augment(dict(loaded, img=loaded['img'].copy()))
            img = _first_image(out)
            axes[row, 1 + view].imshow(
                sar_to_display(img, domain='db', low=0.5, high=99.5), cmap='gray')
            axes[row, 1 + view].set_title(
                f'augmented {view + 1} {img.shape[0]}x{img.shape[1]}', fontsize=8)
        progress.update()
    for ax in axes.ravel():
        ax.axis('off')
    steps = ', '.join(t['type'] for t in aug_cfg) or 'no transforms'
    fig.suptitle(f'{osp.basename(args.config)} ({args.phase}): {steps}', fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f'\nwrote {args.out} ({num} samples x {cols} columns)')


if __name__ == '__main__':
    main()
