"""tools/model_converters/saratr_x_to_mmpretrain.py: SARATR-X HiViT-B -> mmpretrain's HiViT.

State dicts with the release's exact key names and shapes (``tests/data/manifests/
saratr_x_pretrain_hivit-base.json``, written from SARATR-X's ``models_hivit_mae.py``) are
filled with random values, converted, loaded *strictly* into mmpretrain's ``HiViT`` built from
the config the converter names (and from ``configs/recognition/
hivit-base-p16-1ch_1xb25-30e_mstar-soc10-224px_saratr-x-pretrained.py``), and every source
tensor is checked to have arrived. The command line and the ``init_cfg`` path use a small
checkpoint from the same manifest (:func:`small_state_dict`: every name and width as released,
only the first ``MAIN_BLOCKS`` of the 20 main-stage blocks).
"""
import argparse
import copy
import json
import math
import os.path as osp
import re

import numpy as np
import pytest
import torch

import sar_mm  # noqa: F401  (registers the models; safe checkpoint loader)
from sar_mm.engine import UnsafeCheckpointError
from ..conftest import ROOT, build_in_scope, load_tool

TOOL = 'tools/model_converters/saratr_x_to_mmpretrain.py'
CONFIG = osp.join(ROOT, 'configs', 'recognition',
                  'hivit-base-p16-1ch_1xb25-30e_mstar-soc10-224px_saratr-x-pretrained.py')
MANIFESTS = osp.join(ROOT, 'tests', 'data', 'manifests')
MAIN_BLOCKS = 2
STEM_BLOCKS = 10  # 4 + PatchMerge + 4 + PatchMerge
DROPPED = re.compile(r'norm\.(weight|bias)|mask_token|decoder_.+|sarfeature\d\.weight_[xy][12]|'
                     r'(blocks\.\d+\.attn\.)?relative_position_index')  # the last recomputed


class _Opaque:
    """A class the safe loader does not know (pickled by reference)."""


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def manifest(name='saratr_x_pretrain_hivit-base'):
    with open(osp.join(MANIFESTS, f'{name}.json')) as f:
        return json.load(f)


def random_state_dict(keys, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=gen) for k, shape in keys.items()}


def small_state_dict(seed=0):
    keys = {}
    for key, shape in manifest()['keys'].items():
        block = re.match(r'blocks\.(\d+)\.', key)
        if not block or int(block[1]) < STEM_BLOCKS + MAIN_BLOCKS:
            keys[key] = shape
    return random_state_dict(keys, seed)


@pytest.fixture(scope='module')
def release():
    """The full-size pretraining state dict (random values)."""
    return random_state_dict(manifest()['keys'])


def check_arrived(tool, source, loaded, in_channels):
    """Every kept source tensor is in ``loaded`` (bare HiViT keys) under its new name, with its
    value (the patch projection summed over the channels for one input channel)."""
    kept = 0
    for key, value in source.items():
        new = tool._rename(key)
        if new is None:
            assert DROPPED.fullmatch(key), key
            continue
        if new == 'patch_embed.proj.weight' and in_channels == 1:
            torch.testing.assert_close(loaded[new], value.sum(1, keepdim=True))
        else:
            assert torch.equal(loaded[new], value), key
        kept += 1
    index = [k for k in loaded if k.endswith('relative_position_index')]
    assert kept == len(loaded) - len(index)
    return kept


def test_manifest_matches_the_release_architecture():
    m = manifest()
    keys = m['keys']
    assert m['num_tensors'] == len(keys) == 393
    assert keys['absolute_pos_embed'] == [1, 196, 512]
    assert keys['patch_embed.proj.weight'] == [128, 3, 4, 4]
    # stem: 4 MLP blocks of width 128 (ratio 3), PatchMerge, 4 of width 256, PatchMerge
    assert keys['blocks.3.mlp.fc1.weight'] == [384, 128]
    assert keys['blocks.4.reduction.weight'] == [256, 512] and 'blocks.4.reduction.bias' not in keys
    assert keys['blocks.8.mlp.fc2.weight'] == [256, 768]
    assert keys['blocks.9.norm.weight'] == [1024]
    assert not any(re.match(r'blocks\.[0-9]\.(norm1|attn)', k) for k in keys)
    # 20 attention blocks of width 512, 8 heads not visible (no relative position table)
    assert keys['blocks.10.attn.qkv.weight'] == [1536, 512]
    assert keys['blocks.29.mlp.fc1.weight'] == [2048, 512] and 'blocks.30.norm1.weight' not in keys
    assert not any('relative_position' in k for k in keys)
    # the pretraining head: norm over the 7 x 512 concatenated multi-scale tokens
    assert keys['norm.weight'] == [3584] and keys['decoder_embed.weight'] == [512, 3584]
    assert keys['decoder_pred.weight'] == [768, 512]
    assert keys['sarfeature3.weight_y2'] == [1, 1, 35, 35]


def test_pretraining_checkpoint_to_mmpretrain_hivit(tool, release):
    converted, meta = tool.convert(release, to='hivit', in_channels=3)
    assert meta['layout'] == 'pretrain' and meta['conversions'] == []
    arch = meta['arch']
    assert arch['arch'] == dict(embed_dims=512, depths=[2, 2, 20], num_heads=8)
    assert (arch['img_size'], arch['patch_size'], arch['inner_patches']) == (224, 16, 4)
    assert (arch['stem_mlp_ratio'], arch['mlp_ratio'], arch['rpe']) == (3.0, 4.0, False)
    assert sorted(meta['dropped']) == sorted(k for k in release if DROPPED.fullmatch(k))
    assert len(meta['dropped']) == 393 - 299
    model = build_in_scope('mmpretrain', meta['configs']['backbone'])
    expected = model.state_dict()
    assert set(expected) == set(converted)
    for key, value in expected.items():
        assert tuple(value.shape) == tuple(converted[key].shape), key
    model.load_state_dict(converted, strict=True)
    assert check_arrived(tool, release, model.state_dict(), 3) == 5 + 4 * 6 + 3 + 4 * 6 + 3 + \
        20 * 12


def test_config_builds_loads_every_tensor_and_classifies(tool, release):
    """The whole fine-tune config (HiViT-B, 20 main blocks) takes the converted release
    strictly and classifies a 1 x 1 x 224 x 224 image."""
    from mmengine.config import Config
    converted, meta = tool.convert(release)  # backbone.*, one input channel
    assert all(k.startswith('backbone.') for k in converted)
    assert meta['conversions'][0].startswith('input channels 3 -> 1')
    cfg = Config.fromfile(CONFIG)
    backbone = cfg.model.backbone.to_dict()
    init_cfg = backbone.pop('init_cfg')
    assert init_cfg == dict(
        type='Pretrained',
        checkpoint='checkpoints/saratr-x_hivit-base-p16_backbone.pth',
        prefix='backbone.')
    assert backbone == meta['configs']['backbone']
    model_cfg = dict(cfg.model.to_dict(), data_preprocessor=cfg.data_preprocessor.to_dict())
    model_cfg['data_preprocessor']['type'] = 'ClsDataPreprocessor'
    model_cfg['backbone'] = backbone
    model = build_in_scope('mmpretrain', model_cfg).eval()
    body = {k[len('backbone.'):]: v for k, v in converted.items()}
    model.backbone.load_state_dict(body, strict=True)
    check_arrived(tool, release, model.backbone.state_dict(), 1)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (1, 224, 224), dtype=torch.uint8)]), False)
    with torch.no_grad():
        logits = model(data['inputs'], mode='tensor')
    assert logits.shape == (1, 10) and torch.isfinite(logits).all()


def _save_release_checkpoint(path, seed=3):
    """As pre-training/util/misc.py save_model writes it (with an argparse.Namespace), the
    keys as DistributedDataParallel would prefix them."""
    model = small_state_dict(seed)
    ddp = {'module.' + k: v for k, v in model.items()}
    args = argparse.Namespace(
        model='mae_hivit_base_dec512d6b', mask_ratio=0.75, input_size=224, output_dir='./out')
    torch.save(
        dict(
            model=ddp,
            optimizer=dict(state={}, param_groups=[dict(lr=1e-3, params=[0])]),
            epoch=799,
            scaler=dict(scale=65536.0),
            args=args), path)
    return model


def test_command_line_and_init_cfg(tool, tmp_path, capsys):
    """The command on a release-like file; the config's Pretrained init_cfg loads its output
    (the config's depth cut to MAIN_BLOCKS)."""
    from mmengine.config import Config
    src, dst = str(tmp_path / 'checkpoint-800.pth'), str(tmp_path / 'backbone.pth')
    source = _save_release_checkpoint(src)
    tool.main([src, dst])
    assert 'pretrain layout' in capsys.readouterr().out
    out = torch.load(dst, weights_only=True)
    assert out['meta']['arch']['arch']['depths'] == [2, 2, MAIN_BLOCKS]
    cfg = Config.fromfile(CONFIG)
    model_cfg = copy.deepcopy(cfg.model.to_dict())
    model_cfg['backbone']['arch']['depths'] = [2, 2, MAIN_BLOCKS]
    model_cfg['backbone']['out_indices'] = [MAIN_BLOCKS - 1]
    model_cfg['backbone']['init_cfg']['checkpoint'] = dst
    model_cfg['data_preprocessor'] = dict(cfg.data_preprocessor, type='ClsDataPreprocessor')
    model = build_in_scope('mmpretrain', model_cfg)
    model.init_weights()
    kept = check_arrived(tool, source, model.backbone.state_dict(), 1)
    assert kept == len(out['state_dict'])
    hivit = str(tmp_path / 'hivit.pth')
    tool.main([src, hivit, '--to', 'hivit', '--in-channels', '3', '--no-check'])
    bare = torch.load(hivit, weights_only=True)['state_dict']
    assert bare['patch_embed.proj.weight'].shape == (128, 3, 4, 4)
    assert not any(k.startswith('backbone.') for k in bare)


def test_relative_position_tables(tool):
    """A HiViT with rpe=True (the release's classifier default): the tables convert, the index
    buffers mmpretrain keeps are recomputed, the heads are read from the tables."""
    source = small_state_dict()
    gen = torch.Generator().manual_seed(5)
    for i in range(STEM_BLOCKS, STEM_BLOCKS + MAIN_BLOCKS):
        source[f'blocks.{i}.attn.relative_position_bias_table'] = torch.randn(
            27 * 27, 4, generator=gen)
    source['relative_position_index'] = torch.zeros(196, 196, dtype=torch.long)
    converted, meta = tool.convert(source, to='hivit', in_channels=3, check=True)
    assert meta['arch']['rpe'] and meta['arch']['arch']['num_heads'] == 4
    model = build_in_scope('mmpretrain', meta['configs']['backbone'])
    own = {k: v.clone() for k, v in model.state_dict().items() if 'relative_position_index' in k}
    assert len(own) == 1 + MAIN_BLOCKS
    model.load_state_dict(converted, strict=True)
    for key, value in own.items():
        assert torch.equal(model.state_dict()[key], value), key
    check_arrived(tool, source, model.state_dict(), 3)
    with pytest.raises(tool.SARATRXLayoutError, match='contradicts'):
        tool.convert(source, num_heads=8)


def test_refuses_other_layouts(tool, tmp_path):
    # a SAR-JEPA ViT checkpoint: the file, the keys expected and the keys found are named
    path = str(tmp_path / 'sar_jepa.pth')
    torch.save(dict(model=random_state_dict(manifest('sar_jepa_finetune_vit-base')['keys'])), path)
    with pytest.raises(tool.SARATRXLayoutError) as err:
        tool.main([path, str(tmp_path / 'out.pth')])
    message = str(err.value)
    assert message.startswith(path) and 'not a SARATR-X HiViT checkpoint' in message
    for expected in ('absolute_pos_embed', 'patch_embed.norm.weight', 'blocks.N.reduction.weight',
                     'decoder_embed.weight', 'fc_norm.weight'):
        assert expected in message, expected
    assert 'found 163 keys: blocks.0.attn.proj.bias' in message
    assert not osp.exists(str(tmp_path / 'out.pth'))
    # a key of no rule, and a broken block structure
    source = small_state_dict()
    source['blocks.11.attn.extra.weight'] = torch.zeros(3)
    with pytest.raises(tool.SARATRXLayoutError, match='blocks.11.attn.extra.weight'):
        tool.convert(source)
    source = small_state_dict()
    source['blocks.2.attn.qkv.weight'] = torch.zeros(384, 128)
    with pytest.raises(tool.SARATRXLayoutError, match='not the blocks after the last PatchMerge'):
        tool.convert(source)
    with pytest.raises(ValueError, match="'backbone' or 'hivit'"):
        tool.convert(small_state_dict(), to='sar_jepa')
    # the safe loader refuses free unpickling (a class outside the allow-list)
    path = str(tmp_path / 'unsafe.pth')
    torch.save({'model': small_state_dict(), 'args': _Opaque()}, path)
    with pytest.raises(UnsafeCheckpointError, match='_Opaque'):
        tool.read_checkpoint(path)


def reference_lr(epoch, base=1e-3, warmup_lr=1e-5, warmup=1, max_epochs=30):
    """Dassl's ConstantWarmupScheduler around CosineAnnealingLR(T_max=max_epochs), stepped at
    the end of every epoch: the warm-up's last step hands over the cosine's initial lr, whose
    own first step comes one epoch later."""
    if epoch < warmup:
        return warmup_lr
    return 0.5 * base * (1 + math.cos(math.pi * (epoch - warmup) / max_epochs))


def test_schedule_is_the_release_protocol():
    from mmengine.config import Config
    from mmengine.registry import PARAM_SCHEDULERS
    cfg = Config.fromfile(CONFIG)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay, tuple(opt.betas)) == \
        ('AdamW', 1e-3, 1e-4, (0.9, 0.95))
    assert 'paramwise_cfg' not in cfg.optim_wrapper
    assert cfg.train_cfg.max_epochs == 30 and cfg.train_dataloader.batch_size == 25
    assert cfg.val_dataloader.batch_size == 50 and cfg.auto_scale_lr.base_batch_size == 25
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], **{k: v for k, v in opt.items() if k != 'type'})
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer))
        for s in copy.deepcopy(cfg.param_scheduler)
    ]
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for s in schedulers:
            s.step()
    np.testing.assert_allclose(lrs, [reference_lr(e) for e in range(30)], rtol=1e-9, atol=1e-15)
    assert lrs[:3] == pytest.approx([1e-5, 1e-3, 0.5e-3 * (1 + math.cos(math.pi / 30))])


def test_pipelines_are_the_release_input(tmp_path):
    """Grey chip, centre 128-px crop, bicubic 224 px, amplitude / 255."""
    import cv2
    from mmcv.transforms import Compose
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    chip = (np.arange(150 * 172, dtype=np.float64).reshape(150, 172) % 251).astype(np.uint8)
    path = str(tmp_path / 'chip.png')
    cv2.imwrite(path, chip)
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        train = Compose(cfg.train_dataloader.dataset.pipeline)(dict(img_path=path))
        test = Compose(cfg.test_dataloader.dataset.pipeline)(dict(img_path=path))
        pre = MODELS.build(dict(cfg.data_preprocessor, type='ClsDataPreprocessor'))
    assert tuple(train['inputs'].shape) == tuple(test['inputs'].shape) == (1, 224, 224)
    torch.testing.assert_close(train['inputs'], test['inputs'])  # square crop: same geometry
    crop = chip[11:139, 22:150].astype(np.float32)
    expected = cv2.resize(crop, (224, 224), interpolation=cv2.INTER_CUBIC)
    np.testing.assert_allclose(test['inputs'][0].float().numpy(), expected, atol=1e-3)
    out = pre(dict(inputs=[test['inputs']], data_samples=[test['data_samples']]))['inputs']
    torch.testing.assert_close(out[0], test['inputs'].float() / 255)


def test_fewshot_linear_probe_run_config(tmp_path):
    """The release's linear probe as tools/fewshot_eval.py runs it: frozen HiViT and pooling,
    a feature BatchNorm and the linear head trained at the release's lr."""
    from mmengine.config import Config

    from sar_mm.evaluation.fewshot_protocol import make_run_config
    cfg = Config.fromfile(CONFIG)
    run = make_run_config(
        cfg, 'linear-runner', 10, 0, str(tmp_path), linear_lr=1e-3, probe_norm=True, num_classes=10)
    assert [n['type'] for n in run.model.neck.necks] == ['GlobalAveragePooling', 'ClsBatchNormNeck']
    assert run.model.neck.necks[1].input_features == 512
    hook = run.custom_hooks[-1]
    assert hook.type == 'FreezeModulesHook' and set(hook.modules) == {'backbone', 'neck.necks.0'}
    assert run.optim_wrapper.optimizer.lr == 1e-3
    assert run.train_dataloader.dataset.num_shots == 10


def test_equivalence_check_without_the_release(tmp_path, capsys):
    """tools/analysis_tools/check_saratr_x_equivalence.py runs against a clone of the release
    (docs/model_zoo.md gives its figures); without one it says so and checks nothing."""
    check = load_tool('tools/analysis_tools/check_saratr_x_equivalence.py')
    assert check.main(['--reference-dir', str(tmp_path / 'no-clone')]) is None
    assert 'Nothing checked' in capsys.readouterr().out
