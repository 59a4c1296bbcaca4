"""tools/model_converters/saratr_x_v2_to_mmpretrain.py: SARATR-X-v2 iTPN-B/L -> mmpretrain HiViT.

State dicts with the release's exact key names and shapes (``tests/data/manifests/
saratr_x_v2_pretrain_itpn-{base,large}.json``, listed from SARATR-X-v2's
``models_itpn_mim.py``) are filled with random values, converted, loaded *strictly* into
mmpretrain's ``HiViT`` (for iTPN-B its own arch ``'base'``) and every source encoder tensor is
checked to have arrived under its renumbered name. iTPN-B's three MLP blocks per stem stage
become mmpretrain's two pairs by one appended identity block, which must return its input
exactly. iTPN-L and the command line use checkpoints cut to ``MAIN_BLOCKS`` main-stage blocks
(every name and width as released).
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
from ..conftest import ROOT, build_in_scope, load_tool

TOOL = 'tools/model_converters/saratr_x_v2_to_mmpretrain.py'
V1_CONFIG = osp.join(ROOT, 'configs', 'recognition',
                     'hivit-base-p16-1ch_1xb25-30e_mstar-soc10-224px_saratr-x-pretrained.py')
MANIFESTS = osp.join(ROOT, 'tests', 'data', 'manifests')
MAIN_BLOCKS = 2
# iTPN-B: 3 MLP, PatchMerge, 3 MLP, PatchMerge; iTPN-L: 2, merge, 2, merge
STEM_BLOCKS = dict(base=8, large=6)
DROPPED = re.compile(r'hogs\..+|align_dim_.+|split_.+|block_16to8\..+|block_8to4\..+|'
                     r'fpn_modules\..+|mask_token|decoder_.+')


class _Opaque:
    """A class the safe loader does not know (pickled by reference)."""


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def manifest(name):
    with open(osp.join(MANIFESTS, f'{name}.json')) as f:
        return json.load(f)


def random_state_dict(keys, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=gen) for k, shape in keys.items()}


def small_state_dict(size='base', seed=0, main_blocks=MAIN_BLOCKS):
    """The release's keys with the main stage cut to ``main_blocks`` and one decoder block."""
    keys = {}
    for key, shape in manifest(f'saratr_x_v2_pretrain_itpn-{size}')['keys'].items():
        block = re.match(r'blocks\.(\d+)\.', key)
        if block and int(block[1]) >= STEM_BLOCKS[size] + main_blocks:
            continue
        if re.match(r'decoder_blocks\.[1-9]', key):
            continue
        keys[key] = shape
    return random_state_dict(keys, seed)


@pytest.fixture(scope='module')
def release_base():
    """The full-size iTPN-B pretraining state dict (random values)."""
    return random_state_dict(manifest('saratr_x_v2_pretrain_itpn-base')['keys'])


def mm_name(key, block_map):
    """mmpretrain HiViT name of a kept release key."""
    if key == 'absolute_pos_embed':
        return 'pos_embed'
    m = re.match(r'blocks\.(\d+)\.(.+)', key)
    return f'blocks.{block_map[int(m[1])]}.{m[2]}' if m else key


def check_arrived(source, loaded, meta, in_channels):
    """Every kept source tensor is in ``loaded`` (bare HiViT keys) under its renumbered name,
    with its value (the patch projection summed over the channels for one input channel);
    the identity blocks are the only other tensors (besides recomputed index buffers)."""
    kept = set()
    for key, value in source.items():
        if key in meta['dropped']:
            continue
        new = mm_name(key, meta['block_map'])
        if new == 'patch_embed.proj.weight' and in_channels == 1:
            torch.testing.assert_close(loaded[new], value.sum(1, keepdim=True))
        else:
            assert torch.equal(loaded[new], value), key
        kept.add(new)
    others = {k for k in set(loaded) - kept if not k.endswith('relative_position_index')}
    assert others == {
        f'blocks.{i}.{n}'
        for i in meta['identity_blocks']
        for n in ('norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight',
                  'mlp.fc2.bias')
    }
    return len(kept)


def test_manifests_match_the_release_architectures():
    base = manifest('saratr_x_v2_pretrain_itpn-base')
    keys = base['keys']
    assert base['num_tensors'] == len(keys) == 524
    assert keys['absolute_pos_embed'] == [1, 196, 512]
    assert keys['patch_embed.proj.weight'] == [128, 3, 4, 4]
    # stem: 3 MLP blocks of width 128 (ratio 3), PatchMerge, 3 of width 256, PatchMerge
    assert keys['blocks.2.mlp.fc1.weight'] == [384, 128]
    assert keys['blocks.3.reduction.weight'] == [256, 512] and 'blocks.3.reduction.bias' not in keys
    assert keys['blocks.6.mlp.fc2.weight'] == [256, 768]
    assert keys['blocks.7.norm.weight'] == [1024]
    assert not any(re.match(r'blocks\.[0-7]\.(norm1|attn)', k) for k in keys)
    # 24 attention blocks of width 512, heads not visible (no relative position table)
    assert keys['blocks.8.attn.qkv.weight'] == [1536, 512]
    assert keys['blocks.31.mlp.fc1.weight'] == [2048, 512] and 'blocks.32.norm1.weight' not in keys
    assert not any('relative_position' in k for k in keys)
    # pyramid, decoder and the structure target
    assert keys['align_dim_16tofpn.weight'] == [256, 512]
    assert keys['split_8to4.reduction.weight'] == [1024, 256]
    assert keys['decoder_embed.2.1.weight'] == [32, 256]
    assert keys['decoder_pred.weight'] == [256, 512]
    assert keys['hogs.simple_weights'] == [6]
    assert keys['hogs.SAR_Layer4.weight_y2'] == [1, 1, 35, 35]
    large = manifest('saratr_x_v2_pretrain_itpn-large')
    keys = large['keys']
    assert large['num_tensors'] == len(keys) == 704
    assert keys['patch_embed.proj.weight'] == [192, 3, 4, 4]
    assert keys['blocks.2.reduction.weight'] == [384, 768]
    assert keys['blocks.5.reduction.weight'] == [768, 1536]
    assert keys['blocks.6.attn.qkv.weight'] == [2304, 768]
    assert 'blocks.45.mlp.fc2.bias' in keys and 'blocks.46.norm1.weight' not in keys
    assert keys['decoder_embed.0.1.weight'] == [768, 256]
    assert keys['decoder_pred.weight'] == [256, 768]


def test_itpn_base_becomes_mmpretrain_hivit_base(tool, release_base):
    from mmpretrain.models.backbones import HiViT
    converted, meta = tool.convert(release_base, to='hivit', in_channels=3, check=True)
    assert meta['layout'] == 'pretrain'
    arch = meta['arch']
    assert arch['arch'] == HiViT.arch_zoo['base']  # mmpretrain's own HiViT-B / iTPN-B arch
    assert arch['release_stem_mlp_blocks'] == [3, 3]
    assert (arch['img_size'], arch['patch_size'], arch['inner_patches']) == (224, 16, 4)
    assert (arch['stem_mlp_ratio'], arch['mlp_ratio'], arch['rpe']) == (3.0, 4.0, False)
    assert meta['identity_blocks'] == [3, 8]
    assert [meta['block_map'][i] for i in (0, 2, 3, 4, 6, 7, 8, 31)] == [0, 2, 4, 5, 7, 9, 10, 33]
    assert meta['conversions'][0].startswith('identity MLP blocks inserted as blocks [3, 8]')
    assert sorted(meta['dropped']) == sorted(k for k in release_base if DROPPED.fullmatch(k))
    model = build_in_scope('mmpretrain', meta['configs']['backbone'])
    model.eval()  # (HiViT.train returns None)
    expected = model.state_dict()
    assert set(expected) == set(converted)
    model.load_state_dict(converted, strict=True)
    kept = check_arrived(release_base, model.state_dict(), meta, 3)
    assert kept == 5 + 3 * 6 + 3 + 3 * 6 + 3 + 24 * 12 == 524 - len(meta['dropped'])
    # the inserted blocks return their input exactly; of their parameters only fc2.bias (an
    # offset per channel) receives a gradient, so fine-tuning may move them off the identity
    gen = torch.Generator().manual_seed(1)
    for index, width in ((3, 128), (8, 256)):
        block = model.blocks[index]
        x = torch.randn(2, 5, 4, 4, width, generator=gen, requires_grad=True)
        y = block(x)
        assert torch.equal(y, x)
        y.square().sum().backward()
        moved = {n for n, p in block.named_parameters() if p.grad is not None and p.grad.any()}
        assert moved == {'mlp.fc2.bias'}
    # the whole network runs (mmpretrain's stem out_indices would break it: the main stage's
    # last block is read)
    with torch.no_grad():
        out = model(torch.randn(1, 3, 224, 224, generator=gen))
    assert len(out) == 1 and out[0].shape == (1, 512, 14, 14) and torch.isfinite(out[0]).all()


def test_itpn_large_and_mmpretrain_itpn_hivit(tool):
    source = small_state_dict('large')
    converted, meta = tool.convert(source, to='hivit', in_channels=3, check=True)
    arch = meta['arch']
    assert arch['arch'] == dict(embed_dims=768, depths=[1, 1, MAIN_BLOCKS], num_heads=12)
    assert arch['release_stem_mlp_blocks'] == [2, 2] and meta['identity_blocks'] == []
    assert all(i == j for i, j in meta['block_map'].items())
    model = build_in_scope('mmpretrain', meta['configs']['backbone'])
    model.load_state_dict(converted, strict=True)
    check_arrived(source, model.state_dict(), meta, 3)
    # the cut iTPN-B loads into mmpretrain's iTPNHiViT (the backbone of its iTPN) as well
    base, base_meta = tool.convert(small_state_dict('base'), to='hivit', in_channels=3)
    config = dict(base_meta['configs']['backbone'], type='iTPNHiViT')
    itpn = build_in_scope('mmpretrain', config)
    itpn.load_state_dict(base, strict=True)


def classifier_state_dict(seed=4):
    """The release's classifier iTPN(num_outs=1, rpe=True) after its linear probe: encoder,
    relative position tables (4 heads), fc_norm, BatchNorm + Linear head."""
    source = {k: v for k, v in small_state_dict('base', seed).items() if not DROPPED.fullmatch(k)}
    gen = torch.Generator().manual_seed(seed)
    for i in range(STEM_BLOCKS['base'], STEM_BLOCKS['base'] + MAIN_BLOCKS):
        source[f'blocks.{i}.attn.relative_position_bias_table'] = torch.randn(
            27 * 27, 4, generator=gen)
    source['relative_position_index'] = torch.zeros(196, 196, dtype=torch.long)
    source.update({
        'fc_norm.weight': torch.ones(512),
        'fc_norm.bias': torch.zeros(512),
        'head.0.running_mean': torch.zeros(512),
        'head.0.running_var': torch.ones(512),
        'head.0.num_batches_tracked': torch.tensor(3),
        'head.1.weight': torch.randn(10, 512, generator=gen),
        'head.1.bias': torch.zeros(10),
    })
    return source


def test_classifier_with_relative_position_tables(tool):
    source = classifier_state_dict()
    converted, meta = tool.convert(source, to='hivit', in_channels=3, check=True)
    assert meta['layout'] == 'encoder'
    assert meta['arch']['rpe'] and meta['arch']['arch']['num_heads'] == 4
    assert {k for k in meta['dropped'] if k.startswith(('fc_norm', 'head'))} == \
        {k for k in source if k.startswith(('fc_norm', 'head'))}
    model = build_in_scope('mmpretrain', meta['configs']['backbone'])
    model.load_state_dict(converted, strict=True)
    assert torch.equal(model.blocks[10].attn.relative_position_bias_table,
                       source['blocks.8.attn.relative_position_bias_table'])
    with pytest.raises(tool.SARATRXv2LayoutError, match='contradicts'):
        tool.convert(source, num_heads=8)


def _save_release_checkpoint(path, seed=3):
    """As pre-training/util/misc.py save_model writes it (with an argparse.Namespace), the
    keys as DistributedDataParallel would prefix them."""
    model = small_state_dict('base', seed)
    ddp = {'module.' + k: v for k, v in model.items()}
    args = argparse.Namespace(
        model='itpn_base_dec512d8b', mask_ratio=0.75, target_mode='multi', output_dir='./out')
    torch.save(
        dict(
            model=ddp,
            optimizer=dict(state={}, param_groups=[dict(lr=1e-3, params=[0])]),
            epoch=1199,
            scaler=dict(scale=65536.0),
            args=args), path)
    return model


def test_command_line_and_init_cfg(tool, tmp_path, capsys):
    """The command on a release-like file; the SARATR-X HiViT-B fine-tune config takes its
    output through init_cfg once given mmpretrain's HiViT-B depths (cut to MAIN_BLOCKS, so
    not run: an out index below the 10 stem blocks breaks mmpretrain's HiViT forward)."""
    from mmengine.config import Config
    src, dst = str(tmp_path / 'checkpoint-1200.pth'), str(tmp_path / 'backbone.pth')
    source = _save_release_checkpoint(src)
    tool.main([src, dst])
    out = capsys.readouterr().out
    assert 'pretrain layout, iTPN stem [3, 3] MLP blocks' in out
    assert 'identity MLP blocks inserted as blocks [3, 8]' in out
    saved = torch.load(dst, weights_only=True)
    meta = saved['meta']
    assert meta['arch']['arch']['depths'] == [2, 2, MAIN_BLOCKS]
    assert all(k.startswith('backbone.') for k in saved['state_dict'])
    cfg = Config.fromfile(V1_CONFIG)
    model_cfg = copy.deepcopy(cfg.model.to_dict())
    model_cfg['backbone']['arch']['depths'] = [2, 2, MAIN_BLOCKS]
    model_cfg['backbone']['out_indices'] = [MAIN_BLOCKS - 1]
    model_cfg['backbone']['init_cfg']['checkpoint'] = dst
    model_cfg['data_preprocessor'] = dict(cfg.data_preprocessor, type='ClsDataPreprocessor')
    model = build_in_scope('mmpretrain', model_cfg)
    model.init_weights()
    check_arrived(source, model.backbone.state_dict(), meta, 1)


def test_refuses_other_layouts(tool, tmp_path):
    # a SARATR-X v1 HiViT MAE checkpoint is sent to its own converter
    v1 = random_state_dict(manifest('saratr_x_pretrain_hivit-base')['keys'])
    path = str(tmp_path / 'v1.pth')
    torch.save(dict(model=v1), path)
    with pytest.raises(tool.SARATRXv2LayoutError, match='saratr_x_to_mmpretrain.py'):
        tool.main([path, str(tmp_path / 'out.pth')])
    # a SAR-JEPA ViT: the file, the keys expected and the keys found are named
    path = str(tmp_path / 'sar_jepa.pth')
    torch.save(dict(model=random_state_dict(manifest('sar_jepa_finetune_vit-base')['keys'])), path)
    with pytest.raises(tool.SARATRXv2LayoutError) as err:
        tool.main([path, str(tmp_path / 'out.pth')])
    message = str(err.value)
    assert message.startswith(path) and 'not a SARATR-X-v2 iTPN checkpoint' in message
    for expected in ('absolute_pos_embed', 'blocks.N.reduction.weight', 'decoder_embed.0.1.weight',
                     'fpn_modules.0.mlp.fc1.weight', 'fc_norm.weight'):
        assert expected in message, expected
    assert 'found 163 keys: blocks.0.attn.proj.bias' in message
    assert not osp.exists(str(tmp_path / 'out.pth'))
    # a key of no rule; a width whose heads are unknown
    source = small_state_dict()
    source['blocks.9.attn.extra.weight'] = torch.zeros(3)
    with pytest.raises(tool.SARATRXv2LayoutError, match='blocks.9.attn.extra.weight'):
        tool.convert(source)
    source = {k: v for k, v in small_state_dict().items() if not DROPPED.fullmatch(k)}
    source['absolute_pos_embed'] = torch.zeros(1, 196, 640)
    with pytest.raises(tool.SARATRXv2LayoutError, match='--num-heads'):
        tool.convert(source)
    with pytest.raises(ValueError, match="'backbone' or 'hivit'"):
        tool.convert(small_state_dict(), to='itpn')
    # not a dict of tensors; free unpickling refused (a class outside the allow-list)
    with pytest.raises(tool.SARATRXv2LayoutError, match='expected the keys of pretrain'):
        tool.unwrap_state_dict({'model': {'epoch': 3}}, 'x.pth')
    path = str(tmp_path / 'unsafe.pth')
    torch.save({'model': small_state_dict(), 'args': _Opaque()}, path)
    with pytest.raises(UnsafeCheckpointError, match='_Opaque'):
        tool.read_checkpoint(path)
