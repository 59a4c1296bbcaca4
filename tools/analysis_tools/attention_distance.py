"""Mean attention distance per layer and head of an mmpretrain VisionTransformer.

    python tools/analysis_tools/attention_distance.py CONFIG CHECKPOINT
        [--img IMG ... | --num-random N] [--out attn.png] [--out-json attn.json]
        [--cfg-options k=v ...]

For every block, the attention weights are recomputed from the input of its ``attn`` module
(``softmax(q k^T * scale)`` from ``attn.qkv``, exactly as mmpretrain's ``MultiheadAttention``
computes them). The distance of a query patch is ``sum_k a_qk * ||c_q - c_k||`` over the key
*patches* ``k``, with ``c`` the patch centres in input pixels and ``a_qk`` the attention weights
renormalised over patches (the class / extra tokens are left out as queries and keys). It is
averaged over query patches and images, giving one number per layer and head: small values
mean local (convolution-like) heads, large values global ones.

Images are ``--img`` files run through the config's test pipeline and data preprocessor, or
``--num-random`` N(0, 1) images at the backbone's ``img_size`` (default: 8 random images).
Writes a PNG (layers on x, one point per head, the head mean as a line), a JSON with the numbers
(``--out-json``, default: ``--out`` with ``.json``) and prints the table. CHECKPOINT may hold the
whole model or only the backbone (e.g. from ``tools/model_converters/extract_backbone.py``).
"""
import argparse
import json
import os.path as osp
import sys
from functools import partial

import numpy as np
import torch
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    src = parser.add_mutually_exclusive_group()
    src.add_argument('--img', nargs='+', help='image files (read with the test pipeline)')
    src.add_argument('--num-random', type=int, help='number of random N(0, 1) images')
    parser.add_argument('--out', default='attention_distance.png', help='output PNG')
    parser.add_argument('--out-json', help='numbers as JSON (default: OUT with .json)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.img is None and args.num_random is None:
        args.num_random = 8
    if args.num_random is not None and args.num_random < 1:
        parser.error('--num-random must be >= 1')
    return args


def patch_centres(grid_hw, patch_hw):
    """``[H*W, 2]`` (y, x) centres in pixels of a row-major patch grid."""
    ys = (torch.arange(grid_hw[0], dtype=torch.float64) + 0.5) * patch_hw[0]
    xs = (torch.arange(grid_hw[1], dtype=torch.float64) + 0.5) * patch_hw[1]
    return torch.stack(torch.meshgrid(ys, xs, indexing='ij'), -1).reshape(-1, 2)


def mean_attention_distance(attn, grid_hw, patch_hw, num_extra_tokens):
    """Mean distance (pixels) per image and head of attention weights ``[B, heads, N, N]``.

    The extra tokens are dropped as queries and keys and each query's weights over patches are
    renormalised to sum to 1; returns ``[B, heads]`` (averaged over query patches).
    """
    patches = attn[..., num_extra_tokens:, num_extra_tokens:].double()
    if patches.shape[-1] != grid_hw[0] * grid_hw[1]:
        raise ValueError(f'{patches.shape[-1]} patch tokens for a {grid_hw} grid')
    patches = patches / patches.sum(-1, keepdim=True).clamp_min(1e-12)
    centres = patch_centres(grid_hw, patch_hw)
    dist = torch.cdist(centres, centres)  # [Nq, Nk]
    return (patches * dist).sum(-1).mean(-1)


def attention_weights(module, x):
    """Attention weights ``[B, heads, N, N]`` mmpretrain's MultiheadAttention uses on ``x``."""
    b, n, _ = x.shape
    qkv = module.qkv(x).reshape(b, n, 3, module.num_heads, module.head_dims).permute(2, 0, 3, 1, 4)
    q, k = qkv[0], qkv[1]
    sdpa = module.scaled_dot_product_attention
    if isinstance(sdpa, partial) and 'scale' in sdpa.keywords:
        # qk_scale set: mmpretrain's python implementation divides by its `scale`
        logits = q @ k.transpose(-2, -1) / sdpa.keywords['scale']
    else:  # F.scaled_dot_product_attention: 1 / sqrt(head_dims)
        logits = q @ k.transpose(-2, -1) * module.head_dims**-0.5
    return logits.softmax(-1)


def find_vit(model):
    """The VisionTransformer of a model (its backbone, or the model itself)."""
    vit = getattr(model, 'backbone', model)
    layers = getattr(vit, 'layers', None)
    ok = (
        layers is not None and hasattr(vit, 'patch_embed') and len(layers) > 0 and all(
            hasattr(getattr(layer, 'attn', None), 'qkv') and hasattr(layer.attn, 'num_heads')
            for layer in layers))
    if not ok:
        raise TypeError(f'{type(vit).__name__} is not an mmpretrain VisionTransformer-like '
                        'backbone (layers[i].attn with qkv and num_heads)')
    return vit


def load_weights(model, vit, checkpoint):
    """Load a whole-model or backbone-only checkpoint; every backbone weight must be in it."""
    from sar_mm.engine import load_weights_strictly
    load_weights_strictly(
        vit,
        checkpoint,
        target='the backbone',
        prefix=('backbone.', '') if vit is not model else None,
        unexpected='warn')


def load_images(cfg, model, paths):
    from mmcv.transforms import Compose
    from mmengine.dataset import pseudo_collate
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline
    pipeline = Compose(pipeline)
    for path in paths:
        data = pseudo_collate([pipeline(dict(img_path=path))])
        yield path, model.data_preprocessor(data, False)['inputs']


def random_images(vit, num, seed):
    gen = torch.Generator().manual_seed(seed)
    proj = vit.patch_embed.projection
    grid = vit.patch_embed.init_out_size
    size = (grid[0] * proj.stride[0], grid[1] * proj.stride[1])
    for i in range(num):
        yield f'random {i}', torch.randn(1, proj.in_channels, *size, generator=gen)


def compute(vit, images, num):
    """``[layers, heads]`` mean attention distance over ``images`` (``num`` of them)."""
    from mmengine.utils import ProgressBar
    state = {}
    per_layer = [[] for _ in vit.layers]

    def on_patch_embed(module, args, output):
        state['grid'] = tuple(output[1])

    def on_attn(index, module, args, output):
        attn = attention_weights(module, args[0])
        per_layer[index].append(
            mean_attention_distance(attn, state['grid'], vit.patch_embed.projection.stride,
                                    vit.num_extra_tokens))

    handles = [vit.patch_embed.register_forward_hook(on_patch_embed)]
    handles += [
        layer.attn.register_forward_hook(partial(on_attn, i)) for i, layer in enumerate(vit.layers)
    ]
    progress = ProgressBar(num)
    try:
        with torch.no_grad():
            for _, inputs in images:
                vit(inputs)
                progress.update()
    finally:
        for handle in handles:
            handle.remove()
    sys.stdout.write('\n')
    return torch.stack([torch.cat(d).mean(0) for d in per_layer]).numpy()


def plot(distances, out, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    layers, heads = distances.shape
    fig, ax = plt.subplots(figsize=(1.2 + 0.45 * layers, 3.6))
    x = np.arange(1, layers + 1)
    for h in range(heads):
        ax.scatter(x, distances[:, h], s=14, alpha=0.8, label=f'head {h}' if heads <= 16 else None)
    ax.plot(x, distances.mean(1), color='k', lw=1, label='mean')
    ax.set_xlabel('layer')
    ax.set_ylabel('mean attention distance (px)')
    ax.set_xticks(x)
    ax.set_ylim(0, max(float(distances.max()) * 1.1, 1e-6))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, ncol=2, loc='best')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.registry import MODELS, init_default_scope

    import sar_mm  # noqa: F401  (sar_mm modules, safe checkpoint loader)

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    vit = find_vit(model)
    load_weights(model, vit, args.checkpoint)
    model.eval()
    if args.img:
        images, num = load_images(cfg, model, args.img), len(args.img)
    else:
        images, num = random_images(vit, args.num_random, args.seed), args.num_random
    distances = compute(vit, images, num)

    layers, heads = distances.shape
    source = f'{num} image(s)' if args.img else f'{num} random image(s)'
    print(f'mean attention distance (pixels) over {source}, '
          f'patch {tuple(vit.patch_embed.projection.stride)}:')
    print('layer | ' + ' | '.join(f'head {h}' for h in range(heads)) + ' | mean')
    for i, row in enumerate(distances):
        print(f'{i + 1:5d} | ' + ' | '.join(f'{v:6.2f}' for v in row) + f' | {row.mean():6.2f}')
    plot(distances, args.out, f'{osp.basename(args.checkpoint)}: {source}')
    out_json = args.out_json or osp.splitext(args.out)[0] + '.json'
    with open(out_json, 'w') as f:
        json.dump(
            dict(
                distance=distances.tolist(),
                layers=layers,
                heads=heads,
                num_images=num,
                images=args.img or 'random',
                patch_size=list(vit.patch_embed.projection.stride),
                checkpoint=args.checkpoint),
            f,
            indent=1)
    print(f'wrote {args.out} and {out_json}')


if __name__ == '__main__':
    main()
