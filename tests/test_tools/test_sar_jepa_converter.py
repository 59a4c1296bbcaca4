"""tools/model_converters/sar_jepa_to_mmpretrain.py: SAR-JEPA releases -> SARJEPA / backbones.

State dicts with the release's exact key names and shapes (``tests/data/manifests/
sar_jepa_{pretrain,finetune}_vit-base.json``, written from SAR-JEPA's model code) are filled
with random values, converted, loaded *strictly* into the sar_mm model the converter names, and
every source tensor is checked to have arrived. The command line and the downstream test use a
small checkpoint derived from the pretraining manifest (:func:`small_pretrain_state_dict`: the
same names, 6 of 12 blocks, 1 of 8 predictor blocks, every size mapped by ``SMALL_SIZES``: the
ViT of ``configs/_base_/models/vit_tiny_p8_1ch.py``, 8-px patches, 64-px images).
"""
import argparse
import copy
import json
import os.path as osp
import re

import pytest
import torch

import sar_mm  # noqa: F401  (registers the models; safe checkpoint loader)
from sar_mm.engine import UnsafeCheckpointError
from ..conftest import ROOT, build_in_scope, load_tool, run_tool

TOOL = 'tools/model_converters/sar_jepa_to_mmpretrain.py'
MANIFESTS = osp.join(ROOT, 'tests', 'data', 'manifests')
DROPPED = re.compile(r'pos_embed|sarfeature\d\.weight_[xy][12]')
# ViT-B/16 sizes -> the small ViT's (192 wide, 3 heads of 64, 8-px patches, 64 px; predictor 64
# wide, 16 heads of 4, target 4 radii x 8 x 8; the GF kernels of radii 2, 4, 6, 8)
SMALL_SIZES = {
    768: 192,
    2304: 576,
    3072: 768,
    197: 65,
    16: 8,
    512: 64,
    1536: 192,
    2048: 256,
    32: 4,
    1024: 256,
    11: 5,
    19: 9,
    27: 13,
    35: 17
}


class _Opaque:
    """A class the safe loader does not know (pickled by reference)."""


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def manifest(name):
    with open(osp.join(MANIFESTS, f'sar_jepa_{name}_vit-base.json')) as f:
        return json.load(f)


def random_state_dict(keys, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=gen) for k, shape in keys.items()}


def small_pretrain_state_dict(seed=0):
    keys = {}
    for key, shape in manifest('pretrain')['keys'].items():
        block = re.match(r'(decoder_)?blocks\.(\d+)\.', key)
        if block and int(block[2]) >= (1 if block[1] else 6):
            continue
        keys[key] = [SMALL_SIZES.get(s, s) for s in shape]
    return random_state_dict(keys, seed)


def check_arrived(tool, source, converted, loaded, to):
    """Every kept source tensor is in ``loaded`` (a model's state dict) under its new name."""
    kept = 0
    for key, value in source.items():
        new = tool._rename(key, mask_token=(to == 'sar_jepa'))
        if new is None or (to == 'backbone' and new.startswith('neck.')) or \
                (new.startswith('head.') and 'head.layers.head.weight' not in converted):
            assert key == 'mask_token' or DROPPED.fullmatch(key) or key.startswith(
                ('encoder_pred', 'decoder_', 'head.')), key
            continue
        assert torch.equal(loaded[new], value), key
        kept += 1
    assert kept == len(converted) == len(loaded)


def build_sar_jepa(cfg):
    cfg = copy.deepcopy(cfg)
    cfg['data_preprocessor'] = dict(
        type='SelfSupDataPreprocessor', mean=[0.], std=[255.], to_rgb=False)
    return build_in_scope('mmpretrain', cfg)


def build_on_meta(builder, *args):
    """A ViT-B model without memory or initialisation cost; ``load_state_dict(...,
    assign=True)`` then gives it the converted tensors (strictly: every key, every shape)."""
    with torch.device('meta'):
        return builder(*args)


def load_strictly_on_meta(model, state_dict):
    for key, value in model.state_dict().items():
        assert tuple(value.shape) == tuple(state_dict[key].shape), key
    model.load_state_dict(state_dict, strict=True, assign=True)


def test_manifests_match_the_described_architecture():
    pre, ft = manifest('pretrain'), manifest('finetune')
    assert pre['num_tensors'] == len(pre['keys']) == 289
    assert ft['num_tensors'] == len(ft['keys']) == 163
    assert pre['keys']['blocks.11.attn.rpe_k.lookup_table_weight'] == [1, 64, 50]
    assert pre['keys']['decoder_blocks.7.attn.rpe_k.lookup_table_weight'] == [1, 32, 50]
    assert pre['keys']['pos_embed'] == [1, 197, 768]
    assert 'pos_embed' not in ft['keys'] and ft['keys']['head.weight'] == [10, 768]
    # the fine-tuned encoder is the pretraining encoder without mask token and pos_embed
    assert set(ft['keys']) - set(pre['keys']) == {'head.weight', 'head.bias'}


def test_pretraining_checkpoint_to_the_sar_jepa_model(tool):
    source = random_state_dict(manifest('pretrain')['keys'])
    converted, meta = tool.convert(source, to='sar_jepa')
    assert meta['layout'] == 'pretrain'
    assert sorted(meta['dropped']) == sorted(k for k in source if DROPPED.fullmatch(k))
    cfg = meta['configs']['sar_jepa']
    assert cfg['backbone']['arch'] == dict(
        embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=3072)
    assert (cfg['backbone']['img_size'], cfg['backbone']['patch_size']) == (224, 16)
    assert {
        k: cfg['neck'][k]
        for k in ('embed_dims', 'num_layers', 'num_heads')
    } == dict(
        embed_dims=512, num_layers=8, num_heads=16)
    assert cfg['target_generator']['radii'] == (5, 9, 13, 17)
    model = build_on_meta(build_sar_jepa, cfg)
    load_strictly_on_meta(model, converted)
    assert model.target_dim == 1024 and model.backbone.pos_embed is None
    check_arrived(tool, source, converted, model.state_dict(), 'sar_jepa')
    del model, converted


def test_the_reference_config_is_the_converted_model(tool):
    """configs/sar_jepa/*-irpe_*.py builds the model the converted checkpoints load into."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(ROOT,
                 'configs/sar_jepa/sar_jepa_vit-base-p16-irpe_8xb75-300e_sar-pooled-224px.py'))
    source = small_pretrain_state_dict()
    converted, meta = tool.convert(source, to='sar_jepa')
    small = meta['configs']['sar_jepa']
    model_cfg = copy.deepcopy(cfg.model.to_dict())
    model_cfg['backbone'].update(arch=small['backbone']['arch'], img_size=64, patch_size=8)
    model_cfg['neck'].update(
        {k: small['neck'][k]
         for k in ('embed_dims', 'num_layers', 'num_heads')})
    model_cfg['target_generator'].update(radii=small['target_generator']['radii'], patch_size=8)
    model = build_sar_jepa(model_cfg)
    model.load_state_dict(converted, strict=True)
    assert (model.window_sampling, model.mask_count_rounding) == ('per_batch', 'floor')
    assert torch.isfinite(model.loss(torch.rand(3, 1, 64, 64) * 255)['loss'])


@pytest.mark.parametrize('layout', ['pretrain', 'finetune'])
def test_checkpoints_to_an_irpe_backbone(tool, layout):
    source = random_state_dict(manifest(layout)['keys'], seed=1)
    converted, meta = tool.convert(source, to='backbone', keep_head=(layout == 'finetune'))
    assert meta['layout'] == layout
    backbone = build_on_meta(build_in_scope, 'mmpretrain', meta['configs']['backbone'])
    body = {k[len('backbone.'):]: v for k, v in converted.items() if k.startswith('backbone.')}
    load_strictly_on_meta(backbone, body)
    loaded = {'backbone.' + k: v for k, v in backbone.state_dict().items()}
    if layout == 'finetune':
        head = build_in_scope(
            'mmpretrain', dict(type='VisionTransformerClsHead', num_classes=10, in_channels=768))
        head_sd = {k[len('head.'):]: v for k, v in converted.items() if k.startswith('head.')}
        head.load_state_dict(head_sd, strict=True)
        loaded.update({'head.' + k: v for k, v in head.state_dict().items()})
    check_arrived(tool, source, converted, loaded, 'backbone')


def test_refuses_other_layouts(tool, tmp_path):
    with open(osp.join(MANIFESTS, 'sar_hub_resnet18.json')) as f:
        resnet = random_state_dict(json.load(f)['keys'])
    with pytest.raises(tool.SARJEPALayoutError, match='decoder_pred.weight') as err:
        tool.convert(resnet)
    assert 'mask_token' in str(err.value) and 'head.weight' in str(err.value)
    source = random_state_dict(manifest('finetune')['keys'])
    with pytest.raises(tool.SARJEPALayoutError, match='needs a pretraining checkpoint'):
        tool.convert(source, to='sar_jepa')
    source['blocks.0.attn.extra.weight'] = torch.zeros(3)
    with pytest.raises(tool.SARJEPALayoutError, match='blocks.0.attn.extra.weight'):
        tool.convert(source)
    # the safe loader refuses free unpickling (a class outside the allow-list)
    path = str(tmp_path / 'unsafe.pth')
    torch.save({'model': small_pretrain_state_dict(), 'args': _Opaque()}, path)
    with pytest.raises(UnsafeCheckpointError, match='_Opaque'):
        tool.read_checkpoint(path)


def _save_release_checkpoint(path):
    """As Pretraining/util/misc.py save_model writes it (with an argparse.Namespace)."""
    model = small_pretrain_state_dict(seed=3)
    args = argparse.Namespace(
        model='mae_vit_base_patch16',
        window_size=7,
        num_window=4,
        mask_ratio=0.8,
        output_dir='./output_dir')
    torch.save(
        dict(
            model={
                'module.' + k: v
                for k, v in model.items()
            },
            optimizer=dict(state={}, param_groups=[dict(lr=1e-3, params=[0])]),
            epoch=199,
            scaler=dict(scale=65536.0),
            args=args), path)
    return model


@pytest.fixture(scope='module')
def small_backbone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('sar_jepa_release')
    src = str(tmp / 'checkpoint-199.pth')
    model = _save_release_checkpoint(src)
    dst = str(tmp / 'backbone.pth')
    run_tool([TOOL, src, dst, '--to', 'backbone'])
    return src, dst, model


def test_command_line_both_outputs(tool, small_backbone, tmp_path, capsys):
    src, dst, source = small_backbone
    out = torch.load(dst, weights_only=True)
    assert out['meta']['layout'] == 'pretrain' and out['meta']['arch']['img_size'] == 64
    backbone = build_in_scope('mmpretrain', out['meta']['configs']['backbone'])
    backbone.load_state_dict({k[9:]: v for k, v in out['state_dict'].items()}, strict=True)
    whole = str(tmp_path / 'sar_jepa.pth')
    tool.main([src, whole, '--to', 'sar_jepa'])  # in process (the fixture ran the command)
    out = torch.load(whole, weights_only=True)
    model = build_sar_jepa(out['meta']['configs']['sar_jepa'])
    model.load_state_dict(out['state_dict'], strict=True)
    check_arrived(tool, source, out['state_dict'], model.state_dict(), 'sar_jepa')
    assert 'pretrain layout' in capsys.readouterr().out


def _irpe_backbone(cfg_backbone, checkpoint, **extra):
    """A config's ViT replaced by the converted iRPE ViT, loaded through init_cfg Pretrained."""
    keep = {k: v for k, v in cfg_backbone.items() if k in ('out_type', 'out_indices')}
    return dict(
        type='VisionTransformerIRPE',
        arch=dict(embed_dims=192, num_layers=6, num_heads=3, feedforward_channels=768),
        patch_size=8,
        in_channels=1,
        norm_cfg=dict(type='LN', eps=1e-6),
        final_norm=True,
        rpe_cfg=dict(),
        with_abs_pos_embed=False,
        img_size=64,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.'),
        **keep,
        **extra)


def _train_two_iterations(model, data):
    from mmengine.optim import OptimWrapper
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-4))
    model.train()
    losses = [model.train_step(data, optim) for _ in range(2)]
    for log in losses:
        assert all(torch.isfinite(v).all() for v in log.values())


def _check_backbone_weights(backbone, checkpoint, in_channels=1):
    weights = torch.load(checkpoint, weights_only=True)['state_dict']
    loaded = backbone.state_dict()
    for key, value in weights.items():
        name = key[len('backbone.'):]
        if name == 'patch_embed.projection.weight' and in_channels > 1:
            assert torch.allclose(loaded[name], value.repeat(1, in_channels, 1, 1) / in_channels)
        else:
            assert torch.equal(loaded[name], value), name


def test_converted_backbone_initialises_fcos_and_trains(small_backbone):
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.structures import InstanceData
    _, dst, _ = small_backbone
    cfg = Config.fromfile(
        osp.join(
            ROOT,
            'configs/fcos/fcos_vit-tiny-p8-sar-jepa_sfp_gn-head_1xb4-12e_synthetic-sar-ships.py'))
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone'] = _irpe_backbone(model_cfg['backbone'], dst)
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()  # as the Runner merges it
    model = build_in_scope('mmdet', model_cfg)
    model.init_weights()
    _check_backbone_weights(model.backbone, dst)
    samples = []
    for i in range(2):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[8., 8., 30., 28. + i]]), labels=torch.tensor([0]))
        samples.append(sample)
    data = dict(inputs=[torch.rand(1, 64, 64) for _ in range(2)], data_samples=samples)
    _train_two_iterations(model, data)


def test_converted_backbone_initialises_upernet_and_trains(small_backbone):
    from mmengine.config import Config
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    _, dst, _ = small_backbone
    cfg = Config.fromfile(
        osp.join(
            ROOT, 'configs/upernet/'
            'upernet_vit-tiny-p8-4ch_mln_4xb2-20k_spacenet6-sar-512x512_sar-jepa-pretrained.py'))
    model_cfg = cfg.model.to_dict()
    in_channels = model_cfg['backbone']['in_channels']
    model_cfg['backbone'] = dict(
        _irpe_backbone(model_cfg['backbone'], dst), in_channels=in_channels)
    model_cfg['data_preprocessor'] = dict(cfg.data_preprocessor.to_dict(), size=(64, 64))
    model = build_in_scope('mmseg', model_cfg)
    model.init_weights()
    _check_backbone_weights(model.backbone, dst, in_channels)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, 64, 64)))
        samples.append(sample)
    data = dict(inputs=[torch.rand(in_channels, 64, 64) for _ in range(2)], data_samples=samples)
    _train_two_iterations(model, data)
