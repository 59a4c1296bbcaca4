"""Check that converted SAR-JEPA weights compute what the reference code computes.

    python tools/analysis_tools/check_sar_jepa_equivalence.py --reference-dir SAR-JEPA/Pretraining
        [--embed-dim 192 --depth 2 --num-heads 3 --decoder-dim 64 --decoder-depth 1
         --decoder-heads 16] [--seed 0]

``--reference-dir`` is the ``Pretraining`` folder of a clone of github.com/waterdisappear/SAR-JEPA
(nothing of it is copied here; it is imported from there). Random weights are put into the
reference ``MaskedAutoencoderViT`` (``models_lomar.py``, 1 channel, 224 px, 16-px patches),
converted with ``tools/model_converters/sar_jepa_to_mmpretrain.py`` and loaded into sar_mm's
SARJEPA (``SARJEPAViT`` with iRPE, ``SARJEPAPredictor``, per-batch windows, truncated mask
count). Printed: the largest absolute difference of (1) the encoder features of whole images
(reference ``blocks`` + ``norm`` on ``[cls, patches]`` vs the converted
``VisionTransformerIRPE``), (2) the window predictions and (3) the loss of one masked forward
pass of one image from the same seed (one image: the reference pairs sequence ``k`` with image
``k mod B``, see SARJEPA's docstring). The reference needs timm 0.3 and easydict; when they are
not installed, stand-ins for the few names it imports are put in ``sys.modules`` (the blocks
use no timm layer with drop path 0), and numpy's removed ``np.float`` alias is set to ``float``.
Exits 0 with a message when ``--reference-dir`` does not exist.
"""
import argparse
import importlib.util
import os.path as osp
import sys
import types
from functools import partial

import numpy as np
import torch
from torch import nn

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'sar_jepa_to_mmpretrain.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--reference-dir', required=True, help='the Pretraining folder of a SAR-JEPA clone')
    parser.add_argument('--embed-dim', type=int, default=768)
    parser.add_argument('--depth', type=int, default=12)
    parser.add_argument('--num-heads', type=int, default=12)
    parser.add_argument('--decoder-dim', type=int, default=512)
    parser.add_argument('--decoder-depth', type=int, default=8)
    parser.add_argument('--decoder-heads', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def _stand_ins():
    """Minimal modules for the names the reference imports, where the packages are missing."""
    try:
        import timm  # noqa: F401
    except ImportError:

        def module(name, **attrs):
            mod = types.ModuleType(name)
            mod.__dict__.update(attrs)
            sys.modules[name] = mod
            return mod

        def unavailable(*args, **kwargs):
            raise NotImplementedError('stand-in for a timm function the check does not use')

        class DropPath(nn.Identity):  # only built with drop_path > 0, never here
            pass

        module('timm')
        module(
            'timm.data',
            IMAGENET_DEFAULT_MEAN=(0.485, 0.456, 0.406),
            IMAGENET_DEFAULT_STD=(0.229, 0.224, 0.225))
        module('timm.models')
        module('timm.models.helpers', load_pretrained=unavailable)
        module(
            'timm.models.layers',
            DropPath=DropPath,
            to_2tuple=lambda x: tuple(x) if isinstance(x, (tuple, list)) else (x, x),
            trunc_normal_=lambda t, mean=0., std=1., a=-2., b=2.: nn.init.trunc_normal_(
                t, mean, std, a, b))
        module('timm.models.resnet', resnet26d=unavailable, resnet50d=unavailable)
        module('timm.models.registry', register_model=lambda fn: fn)
    try:
        import easydict  # noqa: F401
    except ImportError:

        class EasyDict(dict):
            __getattr__ = dict.__getitem__
            __setattr__ = dict.__setitem__

        mod = types.ModuleType('easydict')
        mod.EasyDict = EasyDict
        sys.modules['easydict'] = mod
    if not hasattr(np, 'float'):
        np.float = float  # the reference's pos_embed.py / irpe.py use the removed alias


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.reference_dir):
        print(f'{args.reference_dir}: no such folder; clone github.com/waterdisappear/SAR-JEPA '
              'and pass its Pretraining folder. Nothing checked.')
        return None
    _stand_ins()
    sys.path.append(osp.abspath(args.reference_dir))  # last: its profile.py shadows stdlib
    import models_lomar  # the reference code
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import sar_mm  # noqa: F401
    spec = importlib.util.spec_from_file_location('sar_jepa_to_mmpretrain', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    torch.manual_seed(args.seed)
    ref = models_lomar.MaskedAutoencoderViT(
        img_size=224,
        patch_size=16,
        in_chans=1,
        embed_dim=args.embed_dim,
        depth=args.depth,
        num_heads=args.num_heads,
        decoder_embed_dim=args.decoder_dim,
        decoder_depth=args.decoder_depth,
        decoder_num_heads=args.decoder_heads,
        mlp_ratio=4,
        norm_layer=partial(nn.LayerNorm, eps=1e-6)).eval()
    with torch.no_grad():  # iRPE tables start at zero: give every weight a random value
        for name, param in ref.named_parameters():
            if name != 'pos_embed':
                param.normal_(0, 0.05 if param.dim() > 1 else 0.5)
    converted, meta = tool.convert(ref.state_dict(), to='sar_jepa')
    cfg = dict(
        meta['configs']['sar_jepa'],
        data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0.], std=[1.], to_rgb=False))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
        backbone = MODELS.build(dict(meta['configs']['backbone'], out_type='raw'))
    model.eval()
    backbone.eval()  # (mmpretrain's ViT.train returns None: no chaining)
    model.load_state_dict(converted, strict=True)
    backbone.load_state_dict(
        {
            k[9:]: v
            for k, v in converted.items()
            if k.startswith('backbone.') and k != 'backbone.mask_token'
        },
        strict=True)

    images = torch.rand(2, 1, 224, 224, generator=torch.Generator().manual_seed(args.seed))
    with torch.no_grad():
        x = ref.patch_embed(images)
        x = torch.cat((ref.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        for blk in ref.blocks:
            x = blk(x)
        feats_ref = ref.norm(x)
        feats = backbone(images)[0]
        encoder_diff = (feats_ref - feats).abs().max().item()

        one = images[:1]
        torch.manual_seed(args.seed + 1)
        loss_ref, pred_ref, mask_ref = ref(one, window_size=7, num_window=4, mask_ratio=0.8)
        torch.manual_seed(args.seed + 1)
        out = model.predict_windows(one)
        pred_diff = (pred_ref - out['pred'][0]).abs().max().item()
        mask_same = torch.equal(mask_ref.bool(), out['mask'][0])
        torch.manual_seed(args.seed + 1)
        loss = model.loss(one)['loss']
    print(f'encoder features (2 x 197 x {args.embed_dim}): max |diff| {encoder_diff:.3g}')
    print(f'window predictions {tuple(pred_ref.shape)}: max |diff| {pred_diff:.3g}, '
          f'same masks: {mask_same}')
    print(f'loss: reference {loss_ref.item():.6f}, sar_mm {loss.item():.6f}, '
          f'|diff| {abs(loss_ref.item() - loss.item()):.3g}')
    return dict(
        encoder=encoder_diff,
        pred=pred_diff,
        mask_same=mask_same,
        loss=abs(loss_ref.item() - loss.item()))


if __name__ == '__main__':
    main()
