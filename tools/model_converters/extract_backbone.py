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
embedding to the new patch grid (:func:`convert_backbone_checkpoint`, built on
``sar_mm/engine/checkpoint/``: ``layouts.py`` and ``surgery.py``).
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.logging import print_log

import sar_mm  # noqa: F401  (safe checkpoint loader)
from sar_mm.engine.checkpoint import (adapt_input_channels, checkpoint_state_dict, extract_backbone,
                                      find_first_layer_key, interpolate_pos_embed,
                                      load_checkpoint_file, mmpretrain_vit_to_mmseg, pos_embed_grid)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='source checkpoint (whole model or backbone)')
    parser.add_argument('out', help='output checkpoint (.pth)')
    parser.add_argument(
        '--prefix', default='backbone.', help="sub-module to extract ('' keeps every key)")
    parser.add_argument('--in-channels', type=int, help='new number of input channels')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='new image size of a ViT (resizes pos_embed)')
    parser.add_argument(
        '--patch-size', type=int, help='ViT patch size (default: that of the checkpoint)')
    parser.add_argument('--first-layer-key', help='name of the input layer weight, if unusual')
    parser.add_argument(
        '--num-extra-tokens',
        type=int,
        help='extra tokens of pos_embed (default: 1 per cls/dist token)')
    parser.add_argument(
        '--key-format',
        default='mmpretrain',
        choices=['mmpretrain', 'mmseg'],
        help="key names: 'mmpretrain' (mmpretrain/mmdet) or 'mmseg' "
        "(mmseg VisionTransformer)")
    args = parser.parse_args(argv)
    if args.patch_size is not None and args.img_size is None:
        parser.error('--patch-size only makes sense with --img-size')
    return args


def convert_backbone_checkpoint(checkpoint,
                                prefix='backbone.',
                                in_channels=None,
                                img_size=None,
                                patch_size=None,
                                first_layer_key=None,
                                num_extra_tokens=None,
                                key_format='mmpretrain'):
    """Make a backbone-only state dict from a (whole-model) checkpoint, adapted as asked.

    Args:
        checkpoint (dict): A loaded checkpoint (with ``state_dict``) or a state dict.
        prefix (str): Sub-module to extract (``extract_backbone``); ``''`` keeps all keys.
        in_channels (int, optional): New input channels (``adapt_input_channels``: 1->3 keeps
            the response to grey images).
        img_size (tuple[int, int], optional): New image size (H, W) of a ViT; its position
            embedding is resized to the grid ``(H // P, W // P)`` (``interpolate_pos_embed``).
        patch_size (int, optional): Patch size ``P``; defaults to the stride of the patch
            projection. A patch size other than the checkpoint's is refused.
        first_layer_key (str, optional): Input layer's weight name if not a known one.
        num_extra_tokens (int, optional): Extra tokens of the position embedding; default: one
            per ``cls_token`` / ``dist_token`` in the state dict.
        key_format (str): ``'mmpretrain'`` (keys as they are: mmpretrain, and mmdet configs
            using ``mmpretrain.VisionTransformer`` or any mmpretrain/mmdet CNN) or ``'mmseg'``
            (``mmpretrain_vit_to_mmseg``).

    Returns:
        tuple[dict, list[str]]: ``{key: contiguous tensor}`` and the list of what was done.
    """
    if key_format not in ('mmpretrain', 'mmseg'):
        raise ValueError(f"key_format must be 'mmpretrain' or 'mmseg', got {key_format!r}")
    source = checkpoint_state_dict(checkpoint)
    state_dict = extract_backbone(source, prefix) if prefix else dict(source)
    done = [
        f'kept {len(state_dict)} of {len(source)} entries' +
        (f' under {prefix!r} (prefix removed)' if prefix else '')
    ]
    skipped = [k for k, v in state_dict.items() if not torch.is_tensor(v)]
    if skipped:
        done.append(f'dropped non-tensor entries {skipped}')
    state_dict = {k: v for k, v in state_dict.items() if torch.is_tensor(v)}

    if in_channels is not None:
        key = find_first_layer_key(state_dict, first_layer_key)
        old = state_dict[key]
        state_dict[key] = adapt_input_channels(old, in_channels)
        msg = f'{key}: input channels {old.shape[1]} -> {in_channels}'
        print_log(f'adapted {msg}', logger='current')
        done.append(msg)

    if img_size is not None:
        if 'pos_embed' not in state_dict:
            raise KeyError('img_size given but the backbone has no pos_embed; keys: '
                           f'{list(state_dict)[:20]}')
        proj = state_dict.get('patch_embed.projection.weight',
                              state_dict.get('patch_embed.proj.weight'))
        ckpt_patch = int(proj.shape[-1]) if proj is not None else None
        if patch_size is None:
            if ckpt_patch is None:
                raise ValueError('cannot tell the patch size from the checkpoint: pass it')
            patch_size = ckpt_patch
        elif ckpt_patch is not None and (proj.shape[-2], proj.shape[-1]) != (patch_size,
                                                                             patch_size):
            raise ValueError(f'the checkpoint\'s patch projection is {tuple(proj.shape[-2:])}; '
                             f'changing the patch size to {patch_size} is not supported')
        h, w = (img_size, img_size) if isinstance(img_size, int) else img_size
        if h % patch_size or w % patch_size:
            raise ValueError(f'img_size {h}x{w} is not a multiple of the patch size {patch_size}')
        if num_extra_tokens is None:
            num_extra_tokens = sum(name in state_dict for name in ('cls_token', 'dist_token'))
        old = state_dict['pos_embed']
        src_hw = pos_embed_grid(old.shape[1], num_extra_tokens)
        new_hw = (h // patch_size, w // patch_size)
        if src_hw != new_hw:
            state_dict['pos_embed'] = interpolate_pos_embed(old, new_hw, num_extra_tokens, src_hw)
            done.append(f'pos_embed: patch grid {src_hw[0]}x{src_hw[1]} -> '
                        f'{new_hw[0]}x{new_hw[1]} (image {h}x{w}, patch {patch_size}, '
                        f'{num_extra_tokens} extra token(s))')
        else:
            done.append(f'pos_embed: already a {new_hw[0]}x{new_hw[1]} grid')

    if key_format == 'mmseg':
        renamed = mmpretrain_vit_to_mmseg(state_dict)
        changed = len(set(renamed) - set(state_dict))
        state_dict = renamed
        done.append(f'renamed {changed} keys to mmseg VisionTransformer names')
    # Own, contiguous storage: no view of a larger tensor gets saved.
    state_dict = {k: v.detach().clone().contiguous() for k, v in state_dict.items()}
    return state_dict, done


def _builtin(value):
    return isinstance(value, (str, int, float, bool)) or value is None


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_checkpoint_file(args.checkpoint, map_location='cpu')
    try:
        state_dict, done = convert_backbone_checkpoint(
            checkpoint,
            prefix=args.prefix,
            in_channels=args.in_channels,
            img_size=tuple(args.img_size) if args.img_size else None,
            patch_size=args.patch_size,
            first_layer_key=args.first_layer_key,
            num_extra_tokens=args.num_extra_tokens,
            key_format=args.key_format)
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
        source_meta={
            k: v
            for k, v in source_meta.items() if _builtin(v)
        },
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
