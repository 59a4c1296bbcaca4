"""Extract a (SAR-)pretrained backbone from a checkpoint, optionally adapted to new inputs.

    python tools/model_converters/extract_backbone.py CKPT OUT [--prefix backbone.]
        [--in-channels N] [--img-size H W] [--patch-size P] [--first-layer-key KEY]
        [--num-extra-tokens N] [--key-format mmpretrain|mmseg]

Writes ``{'state_dict': backbone weights, 'meta': {...}}`` with plain tensors and builtin types
only (it loads with ``torch.load(weights_only=True)``). Any backbone of the same architecture
loads it with ``init_cfg=dict(type='Pretrained', checkpoint=OUT)`` and no ``prefix``: mmpretrain
classifiers, mmdet configs (e.g. ``type='mmpretrain.VisionTransformer'`` or a ResNet) and, with
``--key-format mmseg``, mmseg's ``VisionTransformer``. ``--in-channels`` adapts the first
layer (1->3 keeps the response to grey images), ``--img-size`` resizes a ViT's position
embedding to the new patch grid. See ``sar_mm/engine/checkpoint_adapters.py``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402

import sar_mm  # noqa: E402,F401  (safe checkpoint loader)
from sar_mm.engine.checkpoint import load_checkpoint_file  # noqa: E402
from sar_mm.engine.checkpoint_adapters import convert_backbone_checkpoint  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='source checkpoint (whole model or backbone)')
    parser.add_argument('out', help='output checkpoint (.pth)')
    parser.add_argument('--prefix', default='backbone.',
                        help="sub-module to extract ('' keeps every key)")
    parser.add_argument('--in-channels', type=int, help='new number of input channels')
    parser.add_argument('--img-size', type=int, nargs=2, metavar=('H', 'W'),
                        help='new image size of a ViT (resizes pos_embed)')
    parser.add_argument('--patch-size', type=int,
                        help='ViT patch size (default: that of the checkpoint)')
    parser.add_argument('--first-layer-key', help='name of the input layer weight, if unusual')
    parser.add_argument('--num-extra-tokens', type=int,
                        help='extra tokens of pos_embed (default: 1 per cls/dist token)')
    parser.add_argument('--key-format', default='mmpretrain', choices=['mmpretrain', 'mmseg'],
                        help="key names: 'mmpretrain' (mmpretrain/mmdet) or 'mmseg' "
                        "(mmseg VisionTransformer)")
    args = parser.parse_args(argv)
    if args.patch_size is not None and args.img_size is None:
        parser.error('--patch-size only makes sense with --img-size')
    return args


def _builtin(value):
    return isinstance(value, (str, int, float, bool)) or value is None


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_checkpoint_file(args.checkpoint, map_location='cpu')
    try:
        state_dict, done = convert_backbone_checkpoint(
            checkpoint, prefix=args.prefix, in_channels=args.in_channels,
            img_size=tuple(args.img_size) if args.img_size else None,
            patch_size=args.patch_size, first_layer_key=args.first_layer_key,
            num_extra_tokens=args.num_extra_tokens, key_format=args.key_format)
    except (KeyError, ValueError) as err:
        sys.exit(f'extract_backbone: {args.checkpoint}: {err.args[0] if err.args else err}')
    source_meta = checkpoint.get('meta') if isinstance(checkpoint.get('meta'), dict) else {}
    meta = dict(
        source=osp.abspath(args.checkpoint),
        prefix=args.prefix,
        key_format=args.key_format,
        in_channels=args.in_channels,
        img_size=list(args.img_size) if args.img_size else None,
        patch_size=args.patch_size,
        converted_by='sar_mm tools/model_converters/extract_backbone.py',
        conversions=list(done),
        source_meta={k: v for k, v in source_meta.items() if _builtin(v)},
    )
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(dict(state_dict=state_dict, meta=meta), args.out)
    # What we wrote must load without unpickling anything but tensors and builtins.
    torch.load(args.out, map_location='cpu', weights_only=True)
    num_params = sum(v.numel() for v in state_dict.values())
    print(f'read {args.checkpoint}')
    for line in done:
        print(f'  - {line}')
    print(f'wrote {args.out}: {len(state_dict)} tensors, {num_params:,} values; load it with '
          f"init_cfg=dict(type='Pretrained', checkpoint={args.out!r})")


if __name__ == '__main__':
    main()
