"""Check that converted SARATR-X weights compute what the release code computes.

    python tools/analysis_tools/check_saratr_x_equivalence.py --reference-dir SARATR-X \
        [--seed 0] [--batch 2]

``--reference-dir`` is a clone of github.com/waterdisappear/SARATR-X (nothing of it is copied
here; its ``pre-training/models`` and ``classification/model/hivit.py`` are imported from
there). The release needs timm 0.5.4 (``Mlp``, ``DropPath``, ``trunc_normal_``,
``to_2tuple``); install it beside sar_mm without touching its environment, e.g.
``pip install --target /tmp/timm054 --no-deps timm==0.5.4`` and ``PYTHONPATH=/tmp/timm054``.
Without timm, stand-ins are put in ``sys.modules`` (``Mlp`` as timm's: ``fc1``, GELU, ``fc2``;
the dropouts and drop path are 0 here) and the output says so. numpy's removed ``np.float``
alias (the release's ``util/pos_embed.py``) is set to ``float``.

Random weights are put into the release's pretraining model (``mae_hivit_base_dec512d6b`` of
``pre-training/models/models_hivit_mae.py``: HiViT-B, 3 channels, 224 px), whose state dict is
what ``checkpoint-*.pth`` holds under ``model``. It is converted with
``tools/model_converters/saratr_x_to_mmpretrain.py`` (1 input channel: the three patch filters
summed) and loaded strictly into mmpretrain's ``HiViT`` built from the config the converter
names. Printed: the largest absolute difference, on the same images (the release fed the band
three times, the converted model once), of (1) the main-stage tokens (``forward_features``,
14 x 14 x 512) of the release's pretraining model, (2) the same for the release's classifier
``HiViT`` (``classification/model/hivit.py``, built as its ``MIM_linear`` trainer builds it and
loaded from the same state dict with ``strict=False`` as the release loads it), and (3) the
stem tokens before each patch merge (the release's ``return_hifeat``: 196 tokens of 4 x 4 x 128
and of 2 x 2 x 256; read from mmpretrain's blocks by hooks, see :func:`main`). Exits 0 with a
message when ``--reference-dir`` does not exist.
"""
import argparse
import importlib.util
import os.path as osp
import sys
import types
from functools import partial

import torch
from torch import nn

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'saratr_x_to_mmpretrain.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--reference-dir', required=True, help='a clone of github.com/waterdisappear/SARATR-X')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch', type=int, default=2)
    return parser.parse_args(argv)


def _stand_ins():
    """Minimal timm modules for the names the release imports, where timm is missing.

    Returns:
        bool: whether stand-ins were installed.
    """
    try:
        import timm  # noqa: F401
        return False
    except ImportError:
        pass

    class Mlp(nn.Module):
        """timm's ``Mlp`` (fc1, activation, fc2) with dropout 0."""

        def __init__(self,
                     in_features,
                     hidden_features=None,
                     out_features=None,
                     act_layer=nn.GELU,
                     drop=0.):
            super().__init__()
            self.fc1 = nn.Linear(in_features, hidden_features or in_features)
            self.act = act_layer()
            self.fc2 = nn.Linear(hidden_features or in_features, out_features or in_features)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    class DropPath(nn.Identity):  # only built with drop_path > 0, never here
        pass

    names = dict(
        DropPath=DropPath,
        Mlp=Mlp,
        to_2tuple=lambda x: tuple(x) if isinstance(x, (tuple, list)) else (x, x),
        trunc_normal_=lambda t, mean=0., std=1., a=-2., b=2.: nn.init.trunc_normal_(
            t, mean, std, a, b))
    for name in ('timm', 'timm.models', 'timm.models.vision_transformer', 'timm.models.layers'):
        module = types.ModuleType(name)
        module.__dict__.update(names)
        sys.modules[name] = module
    return True


def _import_release(reference_dir):
    """The release's pretraining package (without its ``__init__``, which imports the ViT
    models too) and its classifier module. numpy's removed ``np.float`` alias, which its
    ``util/pos_embed.py`` uses, is set to ``float``."""
    import numpy as np
    if not hasattr(np, 'float'):
        np.float = float
    pretraining = osp.join(reference_dir, 'pre-training')
    sys.path.append(pretraining)  # for its ``util.pos_embed``
    package = types.ModuleType('models')
    package.__path__ = [osp.join(pretraining, 'models')]
    sys.modules['models'] = package
    mae = importlib.import_module('models.models_hivit_mae')
    spec = importlib.util.spec_from_file_location(
        'saratr_x_classifier_hivit', osp.join(reference_dir, 'classification', 'model', 'hivit.py'))
    classifier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(classifier)
    return mae, classifier


def _randomise(model, seed):
    """Every tensor of the state dict random (LayerNorm weights around 1, so that the deep
    stack stays well scaled); the gradient-target buffers are left as they are."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.startswith('sarfeature'):
                continue
            noise = torch.randn(tensor.shape, generator=gen)
            if tensor.dim() > 1:
                tensor.copy_(0.02 * noise)
            elif name.endswith('weight'):
                tensor.copy_(1 + 0.1 * noise)
            else:
                tensor.copy_(0.02 * noise)


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.reference_dir):
        print(f'{args.reference_dir}: no such folder; clone github.com/waterdisappear/SARATR-X '
              'and pass its folder. Nothing checked.')
        return None
    stand_ins = _stand_ins()
    mae, classifier = _import_release(osp.abspath(args.reference_dir))
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import sar_mm  # noqa: F401
    spec = importlib.util.spec_from_file_location('saratr_x_to_mmpretrain', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    torch.manual_seed(args.seed)
    ref = mae.mae_hivit_base_dec512d6b().eval()
    _randomise(ref, args.seed)
    release_state = ref.state_dict()
    converted, meta = tool.convert(release_state, to='hivit', in_channels=1, check=True)
    cfg = meta['configs']['backbone']
    depths = cfg['arch']['depths']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ours = MODELS.build(cfg)
    ours.eval()  # (mmpretrain's backbones' train() returns None: no chaining)
    ours.load_state_dict(converted, strict=True)
    # The stem tokens before each PatchMerge, read by hooks: an out_indices entry in the stem
    # range of mmpretrain 1.2.0's HiViT replaces the running tokens by its output image, so
    # the forward could not go on (only main-stage outputs are usable there).
    stem, last = [], -1
    for depth in depths[:-1]:
        last += 2 * depth
        ours.blocks[last].register_forward_hook(lambda m, i, out: stem.append(out))
        last += 1
    # the release's classifier, as its linear-probe trainer builds and loads it
    probe = classifier.HiViT(
        embed_dim=512,
        depths=[2, 2, 20],
        num_heads=8,
        stem_mlp_ratio=3.,
        in_chans=3,
        mlp_ratio=4.,
        num_classes=10,
        ape=True,
        rpe=False,
        norm_layer=partial(nn.LayerNorm, eps=1e-6)).eval()
    missing, unexpected = probe.load_state_dict(release_state, strict=False)

    images = torch.rand(args.batch, 1, 224, 224, generator=torch.Generator().manual_seed(1))
    three = images.repeat(1, 3, 1, 1)  # what the release's forward does to the band
    with torch.no_grad():
        outs = ours(images)
        main_ours = outs[-1].flatten(2).transpose(1, 2)  # (B, side^2, 512)
        main_ref = ref.forward_features(three)
        main_probe = probe.forward_features(three)
        hifeat = ref.forward_features(three, return_hifeat=True)
    report = [('main-stage tokens vs the pretraining model', main_ours, main_ref),
              ('main-stage tokens vs the classifier HiViT', main_ours, main_probe)]
    for k, (feat, out) in enumerate(zip(hifeat[:-1], stem)):
        report.append((f'stem tokens before patch merge {k + 1} {tuple(out.shape[1:])}', out, feat))
    if stand_ins:
        print('timm not installed: stand-ins used for Mlp / DropPath / trunc_normal_ / '
              'to_2tuple (install timm 0.5.4 to check against the release exactly)')
    else:
        import timm
        print(f'timm {timm.__version__}')
    print(f'release state dict: {len(release_state)} tensors; converted: {len(converted)} '
          f'({len(meta["dropped"])} dropped); classifier load: {len(missing)} missing '
          f'({", ".join(missing)}), {len(unexpected)} unexpected')
    print(f'backbone config: {cfg}')
    result = {}
    for name, a, b in report:
        diff = (a - b).abs().max().item()
        scale = b.abs().max().item()
        result[name] = diff
        print(f'{name}: max abs diff {diff:.3e} (max abs value {scale:.3e})')
    return result


if __name__ == '__main__':
    main()
