"""tools/model_converters/extract_backbone.py: a 1-channel 32 px ViT classifier's backbone,
adapted to 3 channels at 64 px, loaded by mmpretrain, mmdet and mmseg with init_cfg Pretrained."""
import subprocess
import sys

import pytest
import torch

import sar_mm  # noqa: F401  (safe checkpoint loader for CheckpointLoader)
from ..conftest import ROOT, build_in_scope, load_tool, run_tool

TOOL = 'tools/model_converters/extract_backbone.py'
ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    """A 1-channel ViT classifier checkpoint (img 32, patch 8) with non-trivial weights."""
    torch.manual_seed(0)
    model = build_in_scope(
        'mmpretrain',
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='VisionTransformer', arch=ARCH, img_size=32, patch_size=8, in_channels=1),
            head=dict(type='VisionTransformerClsHead', num_classes=3, in_channels=32)))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(std=0.1)
    path = tmp_path_factory.mktemp('extract') / 'vit_1ch.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model.eval(), path


@pytest.fixture(scope='module')
def extracted(source, tmp_path_factory):
    out = tmp_path_factory.mktemp('extract') / 'vit_3ch_64.pth'
    proc = run_tool([
        TOOL,
        str(source[1]),
        str(out), '--in-channels', '3', '--img-size', '64', '64', '--patch-size', '8'
    ])
    assert 'input channels 1 -> 3' in proc.stdout and 'grid 4x4 -> 8x8' in proc.stdout
    assert f'wrote {out}' in proc.stdout
    return out


def _same_params(module, state_dict):
    own = module.state_dict()
    assert set(state_dict) <= set(own)
    for key, value in state_dict.items():
        torch.testing.assert_close(own[key], value, msg=key)
    return own


def test_output_is_plain_and_adapted(source, extracted):
    ckpt = torch.load(extracted, map_location='cpu', weights_only=True)  # no allow-list needed
    sd = ckpt['state_dict']
    assert not any(k.startswith(('backbone.', 'head.')) for k in sd)
    assert sd['patch_embed.projection.weight'].shape == (32, 3, 8, 8)
    assert sd['pos_embed'].shape == (1, 65, 32)
    assert ckpt['meta']['in_channels'] == 3 and ckpt['meta']['img_size'] == [64, 64]
    src = source[0].backbone.state_dict()
    torch.testing.assert_close(sd['layers.1.attn.qkv.weight'], src['layers.1.attn.qkv.weight'])
    torch.testing.assert_close(sd['cls_token'], src['cls_token'])
    torch.testing.assert_close(sd['pos_embed'][:, :1], src['pos_embed'][:, :1])


def test_mmpretrain_classifier_loads_it(source, extracted):
    model = build_in_scope(
        'mmpretrain',
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='VisionTransformer',
                arch=ARCH,
                img_size=64,
                patch_size=8,
                in_channels=3,
                init_cfg=dict(type='Pretrained', checkpoint=str(extracted))),
            head=dict(type='VisionTransformerClsHead', num_classes=5, in_channels=32)))
    model.init_weights()
    sd = torch.load(extracted, map_location='cpu', weights_only=True)['state_dict']
    own = _same_params(model.backbone, sd)
    assert set(own) == set(sd)  # every backbone weight came from the file
    # a grey 3-channel image gives the patch features the 1-channel source gave
    grey = torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            model.backbone.patch_embed(grey.repeat(1, 3, 1, 1))[0],
            source[0].backbone.patch_embed(grey)[0],
            rtol=1e-4,
            atol=1e-5)
        assert model(grey.repeat(1, 3, 1, 1), mode='tensor').shape == (2, 5)


def test_mmdet_backbone_loads_it(extracted):
    backbone = build_in_scope(
        'mmdet',
        dict(
            type='mmpretrain.VisionTransformer',
            arch=ARCH,
            img_size=64,
            patch_size=8,
            in_channels=3,
            out_type='featmap',
            out_indices=[-1],
            init_cfg=dict(type='Pretrained', checkpoint=str(extracted))))
    assert type(backbone).__module__.startswith('mmpretrain')
    backbone.init_weights()
    sd = torch.load(extracted, map_location='cpu', weights_only=True)['state_dict']
    assert set(_same_params(backbone, sd)) == set(sd)
    backbone.eval()  # (mmpretrain's ViT.train() returns None)
    with torch.no_grad():
        feats = backbone(torch.rand(1, 3, 64, 64))
    assert feats[-1].shape == (1, 32, 8, 8)


def test_mmseg_backbone_loads_mapped_keys(source, extracted, tmp_path):
    """--key-format mmseg: mmseg's VisionTransformer computes what mmpretrain's does."""
    out = tmp_path / 'vit_mmseg.pth'
    proc = run_tool([
        TOOL,
        str(source[1]),
        str(out), '--in-channels', '3', '--img-size', '64', '64', '--key-format', 'mmseg'
    ])
    assert 'renamed 8 keys to mmseg' in proc.stdout
    seg = build_in_scope(
        'mmseg',
        dict(
            type='VisionTransformer',
            img_size=64,
            patch_size=8,
            in_channels=3,
            embed_dims=32,
            num_layers=2,
            num_heads=2,
            mlp_ratio=2,
            patch_bias=True,
            final_norm=True,
            norm_cfg=dict(type='LN', eps=1e-6),
            out_indices=-1,
            init_cfg=dict(type='Pretrained', checkpoint=str(out))))
    assert type(seg).__module__.startswith('mmseg')
    seg.init_weights()
    sd = torch.load(out, map_location='cpu', weights_only=True)['state_dict']
    assert set(_same_params(seg, sd)) == set(sd)

    ref = build_in_scope(
        'mmpretrain',
        dict(
            type='VisionTransformer',
            arch=ARCH,
            img_size=64,
            patch_size=8,
            in_channels=3,
            out_type='featmap',
            init_cfg=dict(type='Pretrained', checkpoint=str(extracted))))
    ref.init_weights()
    x = torch.randn(2, 3, 64, 64)
    seg.eval()
    ref.eval()
    with torch.no_grad():
        torch.testing.assert_close(seg(x)[-1], ref(x)[-1], rtol=1e-4, atol=1e-4)


def test_cnn_backbone_and_errors(tmp_path):
    from mmpretrain.models.backbones import ResNet
    torch.manual_seed(0)
    net = ResNet(depth=18, in_channels=1)
    src = tmp_path / 'r18.pth'
    torch.save(
        {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in net.state_dict().items()
            },
            'meta': {
                'epoch': 3
            }
        }, src)
    out = tmp_path / 'r18_3ch.pth'
    run_tool([TOOL, str(src), str(out), '--in-channels', '3'])
    ckpt = torch.load(out, map_location='cpu', weights_only=True)
    assert ckpt['meta']['source_meta'] == {'epoch': 3}
    torch.testing.assert_close(ckpt['state_dict']['conv1.weight'],
                               net.conv1.weight.detach().repeat(1, 3, 1, 1) / 3)

    proc = subprocess.run(
        [sys.executable, TOOL, str(src),
         str(out), '--prefix', 'encoder.'],
        cwd=ROOT,
        capture_output=True,
        text=True)
    assert proc.returncode != 0 and "'backbone.' (" in proc.stderr
    proc = subprocess.run(
        [sys.executable, TOOL, str(src),
         str(out), '--img-size', '64', '64'],
        cwd=ROOT,
        capture_output=True,
        text=True)
    assert proc.returncode != 0 and 'no pos_embed' in proc.stderr


def test_convert_backbone_checkpoint_refuses_patch_size_change():
    from mmpretrain.models.backbones import VisionTransformer
    tool = load_tool(TOOL)
    vit = VisionTransformer(arch=ARCH, img_size=32, patch_size=8, in_channels=1)
    ckpt = {'state_dict': {f'backbone.{k}': v for k, v in vit.state_dict().items()}}
    sd, done = tool.convert_backbone_checkpoint(ckpt, img_size=(48, 64))
    assert sd['pos_embed'].shape == (1, 1 + 6 * 8, 32) and 'pos_embed' in done[-1]
    with pytest.raises(ValueError, match='patch size'):
        tool.convert_backbone_checkpoint(ckpt, img_size=(64, 64), patch_size=16)
    with pytest.raises(ValueError, match='multiple'):
        tool.convert_backbone_checkpoint(ckpt, img_size=(60, 64))


# tools/analysis_tools/attention_distance.py (same tiny ViT family) --------------------------

ATTN_TOOL = 'tools/analysis_tools/attention_distance.py'


def _attn_module():
    return load_tool(ATTN_TOOL)


def _uniform_distance(grid_hw, patch):
    import numpy as np
    ys, xs = np.meshgrid(
        (np.arange(grid_hw[0]) + 0.5) * patch, (np.arange(grid_hw[1]) + 0.5) * patch, indexing='ij')
    c = np.stack([ys.ravel(), xs.ravel()], 1)
    return float(np.linalg.norm(c[:, None] - c[None], axis=-1).mean())


def test_mean_attention_distance_geometry():
    tool = _attn_module()
    grid, n = (3, 4), 12
    eye = torch.eye(n + 1).view(1, 1, n + 1, n + 1)
    assert tool.mean_attention_distance(eye, grid, (8, 8), 1).item() == 0
    # every query looks at the patch below it (or itself on the last row), plus the cls token
    down = torch.zeros(1, 2, n + 1, n + 1)
    for q in range(n):
        down[0, :, 1 + q, 1 + (q + 4 if q + 4 < n else q)] = 0.5
        down[0, :, 1 + q, 0] = 0.5  # dropped and renormalised
    d = tool.mean_attention_distance(down, grid, (6, 10), 1)
    assert d.shape == (1, 2)
    torch.testing.assert_close(d, torch.full((1, 2), 6.0 * 8 / 12, dtype=torch.float64))
    uniform = torch.full((1, 1, n + 1, n + 1), 1 / (n + 1))
    assert abs(
        tool.mean_attention_distance(uniform, grid, (8, 8), 1).item() -
        _uniform_distance(grid, 8)) < 1e-9


def test_attention_distance_tool(source, tmp_path):
    """q = k = 0 makes every head attend uniformly: distance = mean patch-pair distance."""
    import json

    import numpy as np
    model = source[0]
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    for i in range(ARCH['num_layers']):
        sd[f'backbone.layers.{i}.attn.qkv.weight'][:64] = 0  # q and k rows (2 x embed_dims)
        sd[f'backbone.layers.{i}.attn.qkv.bias'][:64] = 0
    ckpt = tmp_path / 'uniform.pth'
    torch.save({'state_dict': sd, 'meta': {}}, ckpt)
    config = tmp_path / 'vit_cfg.py'
    config.write_text(
        "default_scope = 'mmpretrain'\n"
        f"model = dict(type='ImageClassifier', backbone=dict(type='VisionTransformer', "
        f"arch={ARCH!r}, img_size=32, patch_size=8, in_channels=1), "
        "head=dict(type='VisionTransformerClsHead', num_classes=3, in_channels=32), "
        "data_preprocessor=dict(type='ClsDataPreprocessor', mean=[1.0], std=[0.5]))\n"
        "test_pipeline = [dict(type='LoadSARImage'), dict(type='PackInputs')]\n")
    img = tmp_path / 'chip.npy'
    np.save(img, np.random.default_rng(0).gamma(1.0, 1.0, (48, 32)).astype(np.float32))

    out = tmp_path / 'attn.png'
    proc = run_tool([ATTN_TOOL, str(config), str(ckpt), '--img', str(img), '--out', str(out)])
    assert 'mean attention distance (pixels) over 1 image(s)' in proc.stdout
    result = json.loads((tmp_path / 'attn.json').read_text())
    assert (result['layers'], result['heads']) == (2, 2)
    np.testing.assert_allclose(result['distance'], _uniform_distance((6, 4), 8), rtol=1e-5)
    import matplotlib.image as mpimg
    assert mpimg.imread(str(out)).std() > 0.01

    # real (random) weights on random images at img_size: between 0 and the uniform distance
    # scale, and not all equal
    proc = run_tool([
        ATTN_TOOL,
        str(config),
        str(source[1]), '--num-random', '2', '--out',
        str(out), '--out-json',
        str(tmp_path / 'r.json')
    ])
    dist = np.array(json.loads((tmp_path / 'r.json').read_text())['distance'])
    assert dist.shape == (2, 2) and (dist > 0).all() and (dist < 32 * 1.5).all()
    assert dist.std() > 1e-3


def test_recomputed_attention_reproduces_the_module_output():
    from mmpretrain.models.utils import MultiheadAttention
    tool = _attn_module()
    torch.manual_seed(0)
    for qk_scale in (None, 0.5):
        attn = MultiheadAttention(embed_dims=16, num_heads=4, qk_scale=qk_scale).eval()
        x = torch.randn(2, 5, 16)
        weights = tool.attention_weights(attn, x)  # (B, heads, N, N)
        torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 5))
        v = attn.qkv(x).reshape(2, 5, 3, 4, 4).permute(2, 0, 3, 1, 4)[2]
        out = attn.proj((weights @ v).transpose(1, 2).reshape(2, 5, 16))
        with torch.no_grad():
            torch.testing.assert_close(out, attn(x), rtol=1e-5, atol=1e-5)


def test_attention_distance_loads_through_the_strict_loader(source, tmp_path):
    """Whole-model and backbone-only checkpoints load into the ViT; a partial one fails."""
    from sar_mm.engine import CheckpointMismatchError
    tool = _attn_module()
    backbone = source[0].backbone.state_dict()
    only = tmp_path / 'backbone_only.pth'
    torch.save({'state_dict': backbone}, only)
    for ckpt in (source[1], only):
        model = build_in_scope(
            'mmpretrain',
            dict(
                type='ImageClassifier',
                backbone=dict(
                    type='VisionTransformer', arch=ARCH, img_size=32, patch_size=8, in_channels=1),
                head=dict(type='VisionTransformerClsHead', num_classes=3, in_channels=32)))
        tool.load_weights(model, model.backbone, str(ckpt))
        _same_params(model.backbone, backbone)
    partial = tmp_path / 'no_layer1.pth'
    torch.save({'state_dict': {
        k: v
        for k, v in backbone.items() if not k.startswith('layers.1.')
    }}, partial)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'no_layer1.pth does not fit the backbone '
            r'\(VisionTransformer\)') as info:
        tool.load_weights(model, model.backbone, str(partial))
    assert 'missing keys' in str(info.value) and 'layers.1.attn.qkv.weight' in str(info.value)
