"""init_cfg=dict(type='Pretrained') goes through sar_mm's adapters in mmpretrain, mmdet and mmseg:
channels and position embeddings adapted with a logged message, key layouts matched, and a
checkpoint that does not fit fails listing the missing and unexpected keys."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import WEIGHT_INITIALIZERS, DefaultScope

import sar_mm  # noqa: F401
from sar_mm.engine.checkpoint import (AdaptivePretrainedInit, CheckpointMismatchError,
                                      adapt_state_dict_to_model, interpolate_pos_embed)
from ..conftest import ROOT, build_in_scope

SEG_R18B = ('configs/deeplabv3/'
            'deeplabv3_r18b-d8-4ch_4xb2-20k_spacenet6-sar-512x512_simclr-pretrained.py')
SEG_R18 = 'configs/deeplabv3/deeplabv3_r18-d8-4ch_4xb2-20k_spacenet6-sar-512x512.py'
SEG_VIT = ('configs/upernet/'
           'upernet_vit-tiny-p8-4ch_mln_4xb2-20k_spacenet6-sar-512x512_sar-jepa-pretrained.py')
SAR_JEPA = 'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py'


def _build_config(path, checkpoint=None, init_cfg=None):
    cfg = Config.fromfile(osp.join(ROOT, path))
    model = cfg.model.copy()
    model['data_preprocessor'] = cfg.data_preprocessor
    if init_cfg is not None:
        model['backbone']['init_cfg'] = init_cfg
    elif checkpoint is not None:
        model['backbone']['init_cfg']['checkpoint'] = str(checkpoint)
    return build_in_scope(cfg.default_scope, model)


def _randomise(module, seed=0):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(std=0.1)
    return module


def _save(path, state_dict, prefix='backbone.', extra=None):
    sd = {prefix + k: v for k, v in state_dict.items()}
    sd.update(extra or {})
    torch.save({'state_dict': sd, 'meta': {}}, path)
    return str(path)


def _in_log(logs, *parts):
    return any(all(p in m for p in parts) for m in logs)


def test_pretrained_is_sar_mm_in_every_scope():
    for scope in ('mmpretrain', 'mmdet', 'mmseg'):
        with DefaultScope.overwrite_default_scope(scope):
            with WEIGHT_INITIALIZERS.switch_scope_and_registry(scope) as registry:
                assert registry.get('Pretrained') is AdaptivePretrainedInit
    with pytest.raises(ValueError, match="missing must be 'raise' or 'warn'"):
        AdaptivePretrainedInit('x.pth', missing='ignore')


def test_1ch_resnet_checkpoint_into_4ch_deeplabv3(tmp_path, logs):
    """The SimCLR-pretrained DeepLabv3 config: a 1-channel classifier's backbone into 4 bands."""
    from mmpretrain.models.backbones import ResNet
    src = _randomise(ResNet(depth=18, in_channels=1))
    src.eval()  # (mmpretrain's ResNet.train() returns None)
    ckpt = _save(
        tmp_path / 'simclr.pth', src.state_dict(), extra={'neck.mlp.0.weight': torch.ones(2, 2)})
    model = _build_config(SEG_R18B, checkpoint=ckpt)
    model.init_weights()
    assert _in_log(logs, 'conv1.weight: input channels 1 -> 4')
    assert _in_log(logs, 'loaded', 'into ResNet')
    own = model.backbone.state_dict()
    torch.testing.assert_close(own['conv1.weight'], src.conv1.weight.repeat(1, 4, 1, 1) / 4)
    for key, value in src.state_dict().items():
        if key != 'conv1.weight':
            torch.testing.assert_close(own[key], value, msg=key)
    # the 4 identical bands of a grey image give the features the 1-channel network gave
    grey = torch.rand(1, 1, 64, 64)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            model.backbone.conv1(grey.repeat(1, 4, 1, 1)), src.conv1(grey), rtol=1e-5, atol=1e-5)
        logits = model.encode_decode(grey.repeat(1, 4, 1, 1), [dict(img_shape=(64, 64))])
    assert logits.shape == (1, 2, 64, 64)


def test_mmpretrain_deep_stem_into_mmseg_resnetv1c(tmp_path, logs):
    """mmpretrain's ResNetV1c (ConvModule stem) loads into mmseg's (plain Sequential stem)."""
    from mmpretrain.models.backbones import ResNetV1c
    src = _randomise(ResNetV1c(depth=18, in_channels=1))
    ckpt = _save(tmp_path / 'v1c.pth', src.state_dict())
    model = _build_config(
        SEG_R18, init_cfg=dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.'))
    model.init_weights()
    assert _in_log(logs, 'renamed 18 checkpoint keys', 'mmpretrain deep stem')
    assert _in_log(logs, 'stem.0.weight: input channels 1 -> 4')
    own = model.backbone.state_dict()
    torch.testing.assert_close(own['stem.4.weight'], src.stem[1].bn.weight)
    torch.testing.assert_close(own['stem.6.weight'], src.stem[2].conv.weight)
    torch.testing.assert_close(own['layer4.1.conv2.weight'], src.layer4[1].conv2.weight)


def test_sar_jepa_checkpoint_into_upernet_vit(tmp_path, logs):
    """A SAR-JEPA checkpoint (1 channel, 64 px) into the 4-channel 512 px UPerNet ViT config."""
    cfg = Config.fromfile(osp.join(ROOT, SAR_JEPA))
    jepa = _randomise(build_in_scope('mmpretrain', cfg.model))
    ckpt = tmp_path / 'sar_jepa.pth'
    torch.save({'state_dict': jepa.state_dict(), 'meta': {'epoch': 20}}, ckpt)
    # the window encoder's mask token only serves pretraining: a plain ViT has no place for it
    src = {
        k[len('backbone.'):]: v
        for k, v in jepa.state_dict().items()
        if k.startswith('backbone.') and k != 'backbone.mask_token'
    }
    assert 'backbone.mask_token' in jepa.state_dict()

    model = _build_config(SEG_VIT, checkpoint=ckpt)
    assert type(model.backbone).__module__.startswith('mmpretrain')
    model.init_weights()
    assert _in_log(logs, 'patch_embed.projection.weight: input channels 1 -> 4')
    assert _in_log(logs, 'pos_embed: patch grid 8x8 -> 64x64')
    own = model.backbone.state_dict()
    assert set(own) == set(src)
    torch.testing.assert_close(own['patch_embed.projection.weight'],
                               src['patch_embed.projection.weight'].repeat(1, 4, 1, 1) / 4)
    torch.testing.assert_close(own['pos_embed'], interpolate_pos_embed(src['pos_embed'], (64, 64)))
    for key in ('cls_token', 'layers.5.attn.qkv.weight', 'layers.0.ffn.layers.1.bias',
                'ln1.weight'):
        torch.testing.assert_close(own[key], src[key], msg=key)
    model.eval()
    with torch.no_grad():
        logits = model.encode_decode(torch.rand(1, 4, 64, 64), [dict(img_shape=(64, 64))])
    assert logits.shape == (1, 2, 64, 64)


def test_mmdet_and_mmpretrain_backbones_adapt(tmp_path, logs):
    from mmpretrain.models.backbones import ResNet, VisionTransformer
    src = _randomise(ResNet(depth=18, in_channels=1))
    det = build_in_scope(
        'mmdet',
        dict(
            type='ResNet',
            depth=18,
            in_channels=3,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=_save(tmp_path / 'r18.pth', src.state_dict()),
                prefix='backbone.')))
    det.init_weights()
    assert type(det).__module__.startswith('mmdet')
    torch.testing.assert_close(det.conv1.weight, src.conv1.weight.repeat(1, 3, 1, 1) / 3)

    arch = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
    vit = _randomise(VisionTransformer(arch=arch, img_size=32, patch_size=8, in_channels=1))
    cls = build_in_scope(
        'mmpretrain',
        dict(
            type='VisionTransformer',
            arch=arch,
            img_size=48,
            patch_size=8,
            in_channels=1,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=_save(tmp_path / 'vit.pth', vit.state_dict(), prefix=''))))
    cls.init_weights()
    assert _in_log(logs, 'pos_embed: patch grid 4x4 -> 6x6')
    torch.testing.assert_close(cls.layers[1].attn.qkv.weight, vit.layers[1].attn.qkv.weight)


def test_checkpoint_of_another_architecture_fails_listing_keys(tmp_path):
    from mmpretrain.models.backbones import ResNet, VisionTransformer
    arch = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
    vit_ckpt = _save(tmp_path / 'vit.pth',
                     VisionTransformer(arch=arch, img_size=32, patch_size=8).state_dict())
    model = _build_config(SEG_R18B, checkpoint=vit_ckpt)
    with pytest.raises(CheckpointMismatchError) as info:
        model.init_weights()
    msg = str(info.value)
    assert vit_ckpt in msg and 'does not fit ResNet' in msg
    assert 'missing keys' in msg and 'conv1.weight' in msg
    assert 'unexpected keys' in msg and 'layers.0.attn.qkv.weight' in msg

    r18 = ResNet(depth=18, in_channels=1).state_dict()
    # a whole-model checkpoint without `prefix`: the error says which prefix to set
    model = _build_config(
        SEG_R18B, init_cfg=dict(type='Pretrained', checkpoint=_save(tmp_path / 'whole.pth', r18)))
    with pytest.raises(CheckpointMismatchError, match=r"\['backbone.'\]: set init_cfg prefix"):
        model.init_weights()
    # a prefix the checkpoint does not have: the error lists the prefixes it has
    model = _build_config(
        SEG_R18B,
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'whole.pth'), prefix='encoder.'))
    with pytest.raises(CheckpointMismatchError, match=r"'encoder\.'.*'backbone\.' \(\d+ keys\)"):
        model.init_weights()
    # ResNet-18 weights into a ResNet-50: shapes that differ always fail, whatever the policy
    r50 = build_in_scope(
        'mmseg',
        dict(
            type='ResNet',
            depth=50,
            in_channels=1,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=str(tmp_path / 'whole.pth'),
                prefix='backbone.',
                missing='warn')))
    with pytest.raises(CheckpointMismatchError, match='shape mismatches'):
        r50.init_weights()


def test_missing_and_unexpected_policies(tmp_path, logs):
    from mmpretrain.models.backbones import ResNet
    src = _randomise(ResNet(depth=18, in_channels=1)).state_dict()
    # a torchvision-style checkpoint: the classifier (fc) is unexpected, logged, not fatal
    tv = _save(
        tmp_path / 'tv.pth',
        src,
        prefix='',
        extra={
            'fc.weight': torch.ones(10, 512),
            'fc.bias': torch.ones(10)
        })
    seg = dict(
        type='ResNet', depth=18, in_channels=1, init_cfg=dict(type='Pretrained', checkpoint=tv))
    net = build_in_scope('mmseg', seg)
    net.init_weights()
    assert _in_log(logs, 'unexpected keys (2): fc.weight, fc.bias')
    torch.testing.assert_close(net.layer3[0].conv1.weight, src['layer3.0.conv1.weight'])
    seg['init_cfg']['unexpected'] = 'raise'
    with pytest.raises(CheckpointMismatchError, match='unexpected keys'):
        build_in_scope('mmseg', seg).init_weights()

    # a checkpoint without layer4: missing keys raise, unless missing='warn'
    partial = _save(
        tmp_path / 'partial.pth', {
            k: v
            for k, v in src.items() if not k.startswith('layer4.')
        },
        prefix='')
    seg = dict(
        type='ResNet',
        depth=18,
        in_channels=1,
        init_cfg=dict(type='Pretrained', checkpoint=partial))
    with pytest.raises(CheckpointMismatchError, match=r'missing keys \(\d+\): layer4\.0'):
        build_in_scope('mmseg', seg).init_weights()
    seg['init_cfg']['missing'] = 'warn'
    net = build_in_scope('mmseg', seg)
    net.init_weights()
    assert _in_log(logs, 'loaded with differences', 'missing keys')
    torch.testing.assert_close(net.layer1[0].conv1.weight, src['layer1.0.conv1.weight'])


def test_vit_layouts_are_matched(tmp_path):
    """mmpretrain ViT keys load into mmseg's ViT (and back) through adapt_state_dict_to_model."""
    from mmpretrain.models.backbones import VisionTransformer as PretrainViT
    from mmseg.models.backbones import VisionTransformer as SegViT
    arch = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
    src = _randomise(
        PretrainViT(arch=arch, img_size=32, patch_size=8, in_channels=1, final_norm=True))
    seg = SegViT(
        img_size=32,
        patch_size=8,
        in_channels=1,
        embed_dims=32,
        num_layers=2,
        num_heads=2,
        mlp_ratio=2,
        patch_bias=True,
        final_norm=True,
        norm_cfg=dict(type='LN', eps=1e-6))
    new, report = adapt_state_dict_to_model(src.state_dict(), seg)
    assert report['adapted'] == [
        'key names: mmpretrain VisionTransformer -> mmseg '
        'VisionTransformer'
    ]
    seg.load_state_dict(new)
    back, report = adapt_state_dict_to_model(seg.state_dict(), src)
    assert set(back) == set(src.state_dict()) and len(report['adapted']) == 1
