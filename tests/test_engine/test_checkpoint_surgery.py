"""sar_mm.engine.checkpoint surgery and layouts: backbone extraction, channel / pos-embed
adaptation, key layouts."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from sar_mm.engine.checkpoint import (CheckpointMismatchError, adapt_input_channels,
                                      adapt_state_dict_to_model, compare_state_dicts,
                                      extract_backbone, find_first_layer_key, interpolate_pos_embed,
                                      mmpretrain_vit_to_mmseg, mmseg_vit_to_mmpretrain)

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def tiny_vit(in_channels=1, img_size=32, **kwargs):
    from mmpretrain.models.backbones import VisionTransformer
    torch.manual_seed(0)
    vit = VisionTransformer(
        arch=ARCH, img_size=img_size, patch_size=8, in_channels=in_channels, **kwargs)
    with torch.no_grad():  # init_weights() would log every parameter; pos_embed starts at 0
        vit.pos_embed.normal_(std=0.02)
        vit.cls_token.normal_(std=0.02)
    vit.eval()
    return vit


def test_extract_backbone_strips_prefix_and_lists_prefixes():
    sd = {
        'backbone.conv1.weight': torch.ones(1),
        'backbone.bn1.bias': torch.zeros(1),
        'head.fc.weight': torch.ones(2),
        'neck.x': torch.ones(1)
    }
    assert list(extract_backbone(sd)) == ['conv1.weight', 'bn1.bias']
    assert list(extract_backbone({'state_dict': sd}, prefix='head')) == ['fc.weight']
    with pytest.raises(KeyError) as info:
        extract_backbone(sd, prefix='target_encoder.')
    msg = str(info.value)
    assert "'target_encoder.'" in msg and "'backbone.' (2 keys)" in msg and "'head.'" in msg


def test_channels_1_to_3_preserve_grey_response():
    torch.manual_seed(0)
    w = torch.randn(8, 1, 3, 3)
    w3 = adapt_input_channels(w, 3)
    assert w3.shape == (8, 3, 3, 3)
    grey = torch.rand(2, 1, 10, 10)
    torch.testing.assert_close(F.conv2d(grey.repeat(1, 3, 1, 1), w3), F.conv2d(grey, w))
    # channels are equal copies (no channel is favoured)
    torch.testing.assert_close(w3[:, 0], w3[:, 2])


def test_channels_3_to_1_sum_and_general_rule():
    torch.manual_seed(0)
    w = torch.randn(4, 3, 3, 3)
    torch.testing.assert_close(adapt_input_channels(w, 1), w.sum(1, keepdim=True))
    grey = torch.rand(1, 1, 7, 7)
    for channels in (2, 5, 6):  # not divisible, not divisible, tiling
        wn = adapt_input_channels(w, channels)
        assert wn.shape == (4, channels, 3, 3)
        torch.testing.assert_close(
            F.conv2d(grey.repeat(1, channels, 1, 1), wn),
            F.conv2d(grey.repeat(1, 3, 1, 1), w),
            rtol=1e-5,
            atol=1e-5)
    # tiling 3->6 then grouping 6->3 gives the original back
    torch.testing.assert_close(adapt_input_channels(adapt_input_channels(w, 6), 3), w)
    assert adapt_input_channels(w.half(), 1).dtype == torch.float16
    with pytest.raises(ValueError):
        adapt_input_channels(torch.ones(3, 3), 1)


def test_find_first_layer_key():
    sd = {
        'stem.0.conv.weight': torch.ones(4, 1, 3, 3),
        'layer1.0.conv1.weight': torch.ones(4, 4, 3, 3)
    }
    assert find_first_layer_key(sd) == 'stem.0.conv.weight'
    assert find_first_layer_key(sd, 'layer1.0.conv1.weight') == 'layer1.0.conv1.weight'
    assert find_first_layer_key({'odd.w.weight': torch.ones(4, 1, 3, 3)}) == 'odd.w.weight'
    with pytest.raises(KeyError):
        find_first_layer_key(sd, 'nope.weight')


def test_pos_embed_identity_keeps_layout_and_resize_changes_size():
    h, w, dim = 3, 5, 4
    rows = torch.arange(h, dtype=torch.float32).view(h, 1).expand(h, w)
    cols = torch.arange(w, dtype=torch.float32).view(1, w).expand(h, w)
    grid = torch.stack([rows, cols, rows * cols, torch.randn(h, w)], -1).reshape(1, h * w, dim)
    cls = torch.full((1, 1, dim), 7.0)
    pos = torch.cat([cls, grid], 1)

    same = interpolate_pos_embed(pos, (h, w), src_hw=(h, w))
    torch.testing.assert_close(same, pos)  # bicubic at identical size is the identity

    big = interpolate_pos_embed(pos, (2 * h, 2 * w), src_hw=(h, w))
    assert big.shape == (1, 1 + 4 * h * w, dim)
    torch.testing.assert_close(big[:, :1], cls)
    g = big[0, 1:].reshape(2 * h, 2 * w, dim)
    # channel 0 varies along rows only, channel 1 along columns only: layout kept (no transpose)
    torch.testing.assert_close(g[..., 0], g[:, :1, 0].expand(-1, 2 * w))
    torch.testing.assert_close(g[..., 1], g[:1, :, 1].expand(2 * h, -1))
    assert (g[1:, 0, 0] >= g[:-1, 0, 0]).all() and (g[0, 1:, 1] >= g[0, :-1, 1]).all()
    # same relative position: the first/last rows stay near the original first/last rows
    assert abs(g[0, 0, 0].item() - 0) < 0.3 and abs(g[-1, 0, 0].item() - (h - 1)) < 0.3

    square = interpolate_pos_embed(torch.randn(1, 17, 8), (8, 8))  # 4x4 grid inferred
    assert square.shape == (1, 65, 8)
    with pytest.raises(ValueError, match='not a square'):
        interpolate_pos_embed(torch.randn(1, 16, 8), (4, 4))


def test_adapt_state_dict_to_vit():
    src = tiny_vit(in_channels=1, img_size=32)
    dst = tiny_vit(in_channels=3, img_size=64)
    new, report = adapt_state_dict_to_model(src.state_dict(), dst)
    assert len(report['adapted']) == 2 and not report['missing'] and not report['unexpected']
    assert new['pos_embed'].shape == dst.pos_embed.shape
    dst.load_state_dict(new)  # strict
    grey = torch.rand(1, 1, 32, 32)
    torch.testing.assert_close(
        dst.patch_embed(grey.repeat(1, 3, 1, 1))[0], src.patch_embed(grey)[0], rtol=1e-5, atol=1e-5)


def test_adapt_state_dict_to_cnn_and_mismatch_is_reported():
    from mmpretrain.models.backbones import ResNet
    src = ResNet(depth=18, in_channels=1)
    dst = ResNet(depth=18, in_channels=3)
    new, report = adapt_state_dict_to_model(src.state_dict(), dst)
    assert report['adapted'] == [
        'conv1.weight: input channels 1 -> 3 ((64, 1, 7, 7) -> '
        '(64, 3, 7, 7))'
    ]
    dst.load_state_dict(new)

    with pytest.raises(CheckpointMismatchError) as info:
        adapt_state_dict_to_model(src.state_dict(), ResNet(depth=34, in_channels=3))
    msg = str(info.value)
    assert 'missing keys' in msg and 'layer1.2.conv1.weight' in msg

    with pytest.raises(CheckpointMismatchError) as info:
        adapt_state_dict_to_model(tiny_vit().state_dict(), dst)
    msg = str(info.value)
    assert 'missing keys' in msg and 'unexpected keys' in msg
    assert 'conv1.weight' in msg and 'layers.0.attn.qkv.weight' in msg

    wide = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 8, 3))
    narrow = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 6, 3))
    with pytest.raises(
            CheckpointMismatchError,
            match=r'shape mismatches \(2\): 1.weight: '
            r'checkpoint \(8, 4, 3, 3\) vs model \(6, 4, 3, 3\)'):
        adapt_state_dict_to_model(wide.state_dict(), narrow)
    # non-strict: missing/unexpected reported, not raised
    sd = dict(src.state_dict(), extra=torch.ones(1))
    sd.pop('conv1.weight')
    _, report = adapt_state_dict_to_model(sd, dst, strict=False)
    assert report['unexpected'] == ['extra'] and report['missing'] == ['conv1.weight']


def test_compare_state_dicts():
    target = {'w': torch.zeros(3), 'b': torch.zeros(3), 'k': torch.zeros(2, 2)}
    state_dict = {'x': torch.zeros(1), 'w': torch.zeros(2), 'k': torch.ones(2, 2), 'n': 3}
    assert compare_state_dicts(state_dict, target) == dict(
        missing=['b'], unexpected=['x', 'n'], mismatched=[('w', (2, ), (3, ))])
    assert compare_state_dicts(target, target) == dict(missing=[], unexpected=[], mismatched=[])


def test_mmseg_key_mapping_round_trip():
    sd = tiny_vit().state_dict()
    seg = mmpretrain_vit_to_mmseg(sd)
    assert 'layers.1.attn.attn.in_proj_weight' in seg and 'layers.0.attn.attn.out_proj.bias' \
        in seg and 'layers.0.attn.qkv.weight' not in seg
    assert list(mmseg_vit_to_mmpretrain(seg)) == list(sd)
    with pytest.raises(ValueError, match='layer scale'):
        mmpretrain_vit_to_mmseg(tiny_vit(layer_scale_init_value=0.1).state_dict())


@pytest.mark.parametrize('extra, src_hw, new_hw', [(1, (4, 4), (8, 8)), (2, (3, 5), (6, 4)),
                                                   (0, (4, 4), (2, 3))])
def test_pos_embed_resize_is_mmpretrains(extra, src_hw, new_hw):
    """interpolate_pos_embed computes what mmpretrain's resize_pos_embed does (bicubic, extra
    tokens kept) and what a direct F.interpolate of the patch grid gives, in any dtype."""
    from mmpretrain.models.utils import resize_pos_embed
    torch.manual_seed(0)
    dim = 6
    pos = torch.randn(1, extra + src_hw[0] * src_hw[1], dim)
    out = interpolate_pos_embed(pos, new_hw, extra, src_hw)
    torch.testing.assert_close(
        out, resize_pos_embed(pos, src_hw, new_hw, 'bicubic', extra), rtol=0, atol=0)
    grid = pos[:, extra:].reshape(1, *src_hw, dim).permute(0, 3, 1, 2)
    direct = F.interpolate(grid, size=new_hw, mode='bicubic', align_corners=False)
    torch.testing.assert_close(out[:, extra:], direct.flatten(2).transpose(1, 2))
    torch.testing.assert_close(out[:, :extra], pos[:, :extra])
    half = interpolate_pos_embed(pos.half(), new_hw, extra, src_hw)
    assert half.dtype == torch.float16 and half.shape == out.shape
    with pytest.raises(ValueError, match=r'pos_embed has \d+ tokens'):
        interpolate_pos_embed(pos, new_hw, extra + 1, src_hw)
