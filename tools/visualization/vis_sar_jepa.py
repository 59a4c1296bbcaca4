"""What a SAR-JEPA model predicts for one image: windows, masks, target and predicted maps.

    python tools/visualization/vis_sar_jepa.py CONFIG CHECKPOINT --img IMG [--out vis.png]
        [--size H W] [--seed 0] [--cfg-options k=v ...]

Row 1: the image (dB, percentile stretch) and the same image with the local windows drawn and
their masked patches shaded. Row 2: the target generator's dense maps
(``model.target_generator.feature_maps``, one per channel and radius). Row 3: the predicted maps,
reassembled from the predictor output for the masked patches only (blank elsewhere; where
windows overlap the last one drawn wins), on the colour scale of the target map above.

The image is read with the config's ``LoadSARImage`` step (from ``test_pipeline`` or
``train_pipeline``), resized (bilinear) to ``--size`` (default: the backbone's ``img_size``) and
normalised by the model's data preprocessor; windows are drawn with ``--seed``.
"""
import argparse
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--img', required=True, help='a SAR image file')
    parser.add_argument('--out', default='vis_sar_jepa.png', help='output PNG')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='resize to this (default: the backbone img_size)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the windows and masks')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def predict_windows(model, inputs, generator):
    """``dict(indices, mask, pred)`` of one forward pass: (B, N, P), (B, N, P), (B, N, P, D).

    Uses ``model.predict_windows(inputs, generator=...)`` when the model has it, else SARJEPA's
    pieces ``sample_windows`` -> ``encode_windows`` -> ``predict``.
    """
    if hasattr(model, 'predict_windows'):
        return model.predict_windows(inputs, generator=generator)
    indices, mask = model.sample_windows(inputs, generator=generator)
    batch, windows, patches = indices.shape
    pred = model.predict(model.encode_windows(inputs, indices, mask))
    return dict(indices=indices, mask=mask, pred=pred.reshape(batch, windows, patches, -1))


def reassemble(pred, indices, mask, grid_w, num_maps, patch, hw):
    """Predicted per-patch vectors (N, P, K*p*p) of masked patches -> (K, H, W) maps (NaN
    elsewhere); each vector is K maps of p x p values, row-major (the targets' layout)."""
    canvas = np.full((num_maps, *hw), np.nan, dtype=np.float32)
    for n, k in zip(*np.nonzero(mask)):
        row, col = divmod(int(indices[n, k]), grid_w)
        canvas[:, row * patch:(row + 1) * patch, col * patch:(col + 1) * patch] = \
            pred[n, k].reshape(num_maps, patch, patch)
    return canvas


def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from mmcv.transforms import Compose
    from mmengine.dataset import default_collate
    from mmengine.registry import MODELS, init_default_scope

    import sar_mm  # noqa: F401  (registers SARJEPA and the target generators)
    from sar_mm.engine import load_weights_strictly
    from sar_mm.visualization import sar_to_display

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    load_weights_strictly(model, args.checkpoint)
    model.eval()

    steps = cfg.get('test_pipeline') or cfg.get('train_pipeline') or \
        cfg.train_dataloader.dataset.pipeline
    load = [s for s in steps if s['type'] == 'LoadSARImage'][:1] or [dict(type='LoadSARImage')]
    h, w = args.size or model.backbone.img_size
    pipeline = Compose(
        load +
        [dict(type='Resize', scale=(w, h), interpolation='bilinear'),
         dict(type='PackInputs')])
    data = model.data_preprocessor(default_collate([pipeline(dict(img_path=args.img))]), False)
    inputs = data['inputs'][0] if isinstance(data['inputs'], (list, tuple)) else data['inputs']

    with torch.no_grad():
        out = predict_windows(model, inputs, torch.Generator().manual_seed(args.seed))
        amplitude = model.amplitude(inputs)
        tg = model.target_generator
        maps = tg.feature_maps(amplitude)[0].numpy()  # (K, H, W)
        pred = out['pred'][0].float()
        if getattr(tg, 'norm_per_patch', False):  # predictions are standardised per patch
            from sar_mm.models.target_generators.sar_gradient import patchify
            raw = patchify(tg.feature_maps(amplitude), model.patch_size)
            idx = out['indices'][0]
            mean = raw.mean(-1, keepdim=True)[0][idx]
            std = (raw.var(-1, keepdim=True)[0][idx] + 1e-6).sqrt()
            pred = pred * std + mean
    patch = model.patch_size
    grid_w = w // patch
    indices, mask = out['indices'][0].numpy(), out['mask'][0].numpy()
    num_maps = maps.shape[0]
    predicted = reassemble(pred.numpy(), indices, mask, grid_w, num_maps, patch, (h, w))

    radii = getattr(tg, 'radii', None)
    per_channel = num_maps // inputs.shape[1]
    names = [
        f'ch {m // per_channel} r={radii[m % per_channel]}' if radii else f'map {m}'
        for m in range(num_maps)
    ]
    cols = max(2, num_maps)
    fig, axes = plt.subplots(3, cols, figsize=(2.3 * cols, 7.2), squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    shown = sar_to_display(amplitude[0].permute(1, 2, 0).numpy(), domain='amplitude')
    axes[0, 0].imshow(shown, cmap='gray')
    axes[0, 0].set_title(osp.basename(args.img), fontsize=8)
    axes[0, 1].imshow(shown, cmap='gray')
    axes[0,
         1].set_title(f'{indices.shape[0]} windows, {int(mask[0].sum())}/{mask.shape[1]} '
                      'masked',
                      fontsize=8)
    colours = plt.cm.tab10.colors
    side = int(round(indices.shape[1]**0.5))
    for n in range(indices.shape[0]):
        row, col = divmod(int(indices[n, 0]), grid_w)
        c = colours[n % len(colours)]
        axes[0, 1].add_patch(
            Rectangle((col * patch - .5, row * patch - .5),
                      side * patch,
                      side * patch,
                      fill=False,
                      ec=c,
                      lw=1.5))
        for k in np.nonzero(mask[n])[0]:
            r, q = divmod(int(indices[n, k]), grid_w)
            axes[0, 1].add_patch(
                Rectangle((q * patch - .5, r * patch - .5),
                          patch,
                          patch,
                          fc=c,
                          alpha=0.35,
                          ec='none'))
    for m in range(num_maps):
        vmin, vmax = np.percentile(maps[m], [1, 99])
        axes[1, m].imshow(maps[m], cmap='viridis', vmin=vmin, vmax=vmax)
        axes[1, m].set_title(f'target {names[m]}', fontsize=8)
        axes[2, m].imshow(np.zeros((h, w)), cmap='gray', vmin=0, vmax=1)
        axes[2, m].imshow(predicted[m], cmap='viridis', vmin=vmin, vmax=vmax)
        axes[2, m].set_title(f'predicted {names[m]}', fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    plt.close(fig)
    err = float(np.nanmean((predicted - np.where(np.isnan(predicted), np.nan, maps))**2))
    print(f'{args.img}: {indices.shape[0]} windows of {side}x{side} patches, '
          f'{int(mask.sum())} masked patches, {num_maps} target maps; MSE of the predicted '
          f'maps on masked patches {err:.4g}; wrote {args.out}')


if __name__ == '__main__':
    main()
