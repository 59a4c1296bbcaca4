"""Backbones of the configs/fcos/ SAR ship configs: initialised from an ImageNet-style 3-channel
ResNet (first conv adapted, logged), a sar_mm SimCLR checkpoint and a SAR-JEPA ViT; a checkpoint
of another architecture fails listing the keys; the other SAR-HUB archs of the README build."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import sar_mm  # noqa: F401
from sar_mm.engine import CheckpointMismatchError
from ..conftest import ROOT, build_in_scope

FCOS = osp.join(ROOT, 'configs', 'fcos')
IMAGENET = osp.join(FCOS, 'fcos_r18-1ch_fpn_gn-head_1xb4-12e_ssdd_imagenet-pretrained.py')
SAR = osp.join(FCOS, 'fcos_r18-1ch_fpn_gn-head_1xb4-12e_ssdd_sar-pretrained.py')
VIT = osp.join(FCOS, 'fcos_vit-tiny-p8-sar-jepa_sfp_gn-head_1xb4-12e_ssdd.py')


def _fcos(path, checkpoint):
    cfg = Config.fromfile(path)
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    return build_in_scope('mmdet', dict(cfg.model, data_preprocessor=cfg.data_preprocessor))


def test_imagenet_rgb_resnet_into_1ch_fcos(tmp_path, logs):
    from torchvision.models import resnet18
    torch.manual_seed(0)
    rgb = resnet18(num_classes=1000)  # torchvision layout: conv1 (64, 3, 7, 7) ... fc
    path = tmp_path / 'resnet18_imagenet.pth'
    torch.save(rgb.state_dict(), path)
    fcos = _fcos(IMAGENET, path)
    fcos.init_weights()
    assert any('adapted conv1.weight: input channels 3 -> 1' in m for m in logs), logs[-20:]
    assert any('unexpected keys (2): fc.weight, fc.bias' in m for m in logs)
    backbone = fcos.backbone
    assert backbone.conv1.weight.shape == (64, 1, 7, 7)
    # the grey image x fed as R = G = B gives the ImageNet network's conv1 response
    torch.testing.assert_close(backbone.conv1.weight, rgb.conv1.weight.sum(1, keepdim=True))
    torch.testing.assert_close(backbone.layer3[1].conv2.weight, rgb.layer3[1].conv2.weight)
    torch.testing.assert_close(backbone.bn1.running_var, rgb.bn1.running_var)
    # fine-tuning as mmdet: stage 1 frozen
    assert not any(p.requires_grad for p in backbone.layer1.parameters())


@pytest.fixture(scope='module')
def simclr_checkpoint(tmp_path_factory):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/simclr/simclr_resnet18-1ch_1xb32-8e_'
                 'synthetic-sar.py'))
    torch.manual_seed(1)
    model = build_in_scope('mmpretrain', cfg.model)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(std=0.05)
    path = tmp_path_factory.mktemp('simclr') / 'epoch_8.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 8}}, path)
    return model, path


def test_sar_mm_simclr_checkpoint_into_fcos(simclr_checkpoint, logs):
    model, path = simclr_checkpoint
    fcos = _fcos(SAR, path)
    fcos.init_weights()
    src = model.backbone.state_dict()
    own = fcos.backbone.state_dict()
    assert set(src) == set(own)
    for key, value in src.items():
        torch.testing.assert_close(own[key], value, msg=key)
    assert any('loaded' in m and 'into ResNet' in m for m in logs)


@pytest.fixture(scope='module')
def sar_jepa_checkpoint(tmp_path_factory):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_'
                 'synthetic-sar-64px.py'))
    model = build_in_scope('mmpretrain', cfg.model)
    model.init_weights()
    path = tmp_path_factory.mktemp('jepa') / 'epoch_20.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model, path


def test_checkpoint_of_another_architecture_fails_listing_keys(sar_jepa_checkpoint):
    _, path = sar_jepa_checkpoint
    fcos = _fcos(SAR, path)  # a ViT's weights offered to the ResNet-18
    with pytest.raises(CheckpointMismatchError) as info:
        fcos.init_weights()
    msg = str(info.value)
    assert str(path) in msg and 'does not fit ResNet' in msg
    assert 'missing keys' in msg and 'layer1.0.conv1.weight' in msg
    assert 'unexpected keys' in msg and 'layers.0.attn.qkv.weight' in msg


def test_sar_jepa_vit_into_ssdd_fcos(sar_jepa_checkpoint, logs):
    jepa, path = sar_jepa_checkpoint
    fcos = _fcos(VIT, path)
    fcos.init_weights()
    assert any('pos_embed: patch grid 8x8 -> 64x64' in m for m in logs), logs[-20:]
    src, own = jepa.backbone.state_dict(), fcos.backbone.state_dict()
    for key in ('layers.5.attn.qkv.weight', 'patch_embed.projection.weight', 'cls_token'):
        torch.testing.assert_close(own[key], src[key], msg=key)
    fcos.eval()
    with torch.no_grad():
        feats = fcos.extract_feat(torch.rand(1, 1, 64, 64))
    # strides 8, 16, 32 from the pyramid, 64 and 128 by pooling
    assert [tuple(f.shape[-2:]) for f in feats] == [(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)]
    assert all(f.shape[1] == 256 for f in feats)


# The other SAR-HUB backbones, as configs/fcos/README.md gives them (mmpretrain's, through the
# `mmpretrain.` scope). MobileNetV3 has no in_channels option: 3-channel input (repeat_to=3).
SAR_HUB_BACKBONES = {
    'DenseNet-121':
    (dict(type='mmpretrain.DenseNet', arch='121', in_channels=1,
          out_indices=(0, 1, 3)), [128, 256, 1024], 1),
    'SE-ResNet-50':
    (dict(type='mmpretrain.SEResNet', depth=50, in_channels=1,
          out_indices=(1, 2, 3)), [512, 1024, 2048], 1),
    'MobileNetV3-L': (dict(type='mmpretrain.MobileNetV3', arch='large',
                           out_indices=(6, 12, 16)), [40, 112, 960], 3),
}


@pytest.mark.parametrize('name', list(SAR_HUB_BACKBONES))
def test_other_sar_hub_backbones_in_fcos(name):
    backbone, channels, in_ch = SAR_HUB_BACKBONES[name]
    cfg = Config.fromfile(osp.join(FCOS, 'fcos_r50-1ch_fpn_gn-head_1xb4-12e_ssdd.py'))
    cfg.model.backbone = backbone
    cfg.model.neck.in_channels = channels
    fcos = build_in_scope(
        'mmdet',
        dict(
            cfg.model,
            data_preprocessor=dict(
                type='DetDataPreprocessor', mean=[19.1] * in_ch, std=[16.7] * in_ch)))
    fcos.eval()
    with torch.no_grad():
        feats = fcos.extract_feat(torch.rand(1, in_ch, 64, 64))
    assert [tuple(f.shape[-2:]) for f in feats] == [(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)]


def test_sar_resnet_keeps_resolution_and_resnet_keys():
    """SARResNet: 3x3 stem, no max-pool; ResNet's parameter names outside the stem."""
    import torch
    from mmpretrain.models.backbones import ResNet

    from sar_mm.models.backbones import SARResNet
    net = SARResNet(depth=18, in_channels=1, out_indices=(0, 3))
    outs = net(torch.rand(2, 1, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 32, 32), (2, 512, 4, 4)]
    assert net.conv1.kernel_size == (3, 3) and net.conv1.stride == (2, 2)
    stock = ResNet(depth=18, in_channels=1, out_indices=(0, 3))
    assert set(net.state_dict()) == set(stock.state_dict())
    assert tuple(stock(torch.rand(2, 1, 64, 64))[1].shape) == (2, 512, 2, 2)
    stride1 = SARResNet(depth=18, in_channels=1, stem_stride=1)
    assert tuple(stride1(torch.rand(1, 1, 64, 64))[0].shape) == (1, 512, 8, 8)
    with pytest.raises(ValueError, match='stem_stride'):
        SARResNet(depth=18, stem_stride=3)
    with pytest.raises(ValueError, match='deep_stem'):
        SARResNet(depth=18, deep_stem=True)
