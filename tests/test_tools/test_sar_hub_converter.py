"""tools/model_converters/sar_hub_to_mmpretrain.py: SAR-HUB hub models -> configs/sar_hub/.

For every architecture of the hub, a state dict with the release's exact key names and shapes
(``tests/data/manifests/sar_hub_<arch>.json``, written from SAR-HUB's model code) is filled with
random values, saved with ``torch.save``, read back through sar_mm's safe loader, converted,
loaded *strictly* into the model of the ``configs/sar_hub/`` config, and every source tensor is
checked to have arrived (renamed, or transformed as documented).
"""
import argparse
import json
import os.path as osp
import pickle

import pytest
import torch

import sar_mm  # noqa: F401  (registers the configs' losses; safe checkpoint loader)
from sar_mm.engine import UnsafeCheckpointError, load_checkpoint_file, load_weights_strictly
from ..conftest import ROOT, build_in_scope, load_tool, run_tool

TOOL = 'tools/model_converters/sar_hub_to_mmpretrain.py'
MANIFESTS = osp.join(ROOT, 'tests', 'data', 'manifests')
ARCHS = [
    'resnet18', 'resnet50', 'resnet101', 'seresnet50', 'mobilenetv3-small', 'densenet121',
    'swin-tiny', 'swin-base'
]
INT_KEYS = ('num_batches_tracked', 'relative_position_index')


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def manifest(arch):
    with open(osp.join(MANIFESTS, f'sar_hub_{arch}.json')) as f:
        return json.load(f)


def release_state_dict(arch, seed=0, prefix=None):
    """Random tensors under the release's exact names and shapes (and its key prefix)."""
    info = manifest(arch)
    prefix = info['key_prefix'] if prefix is None else prefix
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key, shape in info['keys'].items():
        if key.endswith(INT_KEYS):
            out[prefix + key] = torch.randint(0, 9, shape, generator=gen)
        else:
            out[prefix + key] = torch.randn(shape, generator=gen)
    return out


def official_relative_position_index(window):
    """Swin's relative position index (Liu et al., ICCV 2021): (dy + w - 1) * (2w - 1) + dx +
    w - 1 for every pair of positions of a window, written out independently of both codes."""
    pos = [(y, x) for y in range(window) for x in range(window)]
    return torch.tensor([[(yi - yj + window - 1) * (2 * window - 1) + xi - xj + window - 1
                          for (yj, xj) in pos] for (yi, xi) in pos])


def config_model(report):
    """The model of the converter's config, with the cfg_options the converter names."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(osp.join(ROOT, report['config']))
    options = dict(o.split('=', 1) for o in report['cfg_options'])
    cfg.merge_from_dict({k: DictAction._parse_iterable(v) for k, v in options.items()})
    return build_in_scope('mmpretrain', cfg.model)


def _save(obj, path):
    torch.save(obj, path)
    return str(path)


def _check_arrived(arch, source, converted, model_sd, report):
    """Every source tensor is in the model (renamed, or transformed as the converter says)."""
    info = manifest(arch)
    src = {k[len(info['key_prefix']):]: v for k, v in source.items()}
    key_map = report['key_map']
    dropped = set(report['dropped'])
    # Only buffers the models compute themselves are not carried over (SAR-HUB's own Swin
    # loader drops them too).
    assert all(k.endswith(('attn_mask', 'relative_position_index')) for k in dropped), dropped
    assert set(key_map) | dropped == set(src)
    assert len(set(key_map.values())) == len(key_map)  # no two sources on one key
    first = {
        k
        for k in key_map.values()
        if k.endswith(('backbone.conv1.weight', 'stem.0.weight', 'patch_embed.projection.weight'))
    }
    for old, new in key_map.items():
        value, got = src[old], model_sd[new]
        torch.testing.assert_close(converted[new], got, msg=new)
        if new in first:  # 3 -> 1 channel: the sum, i.e. the response to the replicated band
            assert value.shape[1] == 3 and got.shape[1] == 1
            torch.testing.assert_close(got, value.sum(1, keepdim=True), msg=new)
        elif 'swin' in arch and ('.downsample.reduction.' in new or '.downsample.norm.' in new):
            # same values, reordered (functional check: test_swin_patch_merging_equivalent)
            assert got.shape == value.shape
            torch.testing.assert_close(got.flatten().sort()[0], value.flatten().sort()[0])
            assert not torch.equal(got, value)
        elif '.se.conv' in new and value.ndim == 2:  # MobileNetV3 SE: Linear -> 1x1 conv
            torch.testing.assert_close(got, value[:, :, None, None], msg=new)
        else:
            torch.testing.assert_close(got, value, msg=f'{old} -> {new}')
    for key in report['recomputed']:
        window = int(model_sd[key].shape[0]**0.5)
        assert torch.equal(model_sd[key], official_relative_position_index(window)), key


@pytest.mark.parametrize('arch', ARCHS)
def test_convert_and_load_strictly(tool, arch, tmp_path):
    info = manifest(arch)
    assert info['num_tensors'] == len(info['keys']) and 'XAI4SAR/SAR-HUB' in info['source']
    source = release_state_dict(arch)
    checkpoint = source if arch != 'swin-tiny' else {'model': source}  # both forms SAR-HUB reads
    path = _save(checkpoint, tmp_path / f'{arch}.pth')
    converted, report = tool.convert_sar_hub(load_checkpoint_file(path, map_location='cpu'))
    assert report['arch'] == arch  # detected from the keys
    assert report['num_classes'] == info['num_classes']
    model = config_model(report)
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    _check_arrived(arch, source, converted, model.state_dict(), report)
    if arch == 'swin-base':
        with torch.no_grad():  # the 1-channel 128 px input of the config runs
            assert model(torch.rand(1, 1, 128, 128), mode='tensor').shape == (1, 10)


def test_swin_patch_merging_equivalent(tool):
    """Patch merging with converted weights computes Swin's merging with the release's weights:
    concat of the 2x2 cell [x(0,0), x(1,0), x(0,1), x(1,1)], LayerNorm, linear reduction."""
    source = release_state_dict('swin-tiny')
    converted, report = tool.convert_sar_hub(source)
    model = config_model(report)
    model.load_state_dict(converted, strict=True)
    merge = model.backbone.stages[0].downsample
    x = torch.randn(2, 32 * 32, 96)
    grid = x.view(2, 32, 32, 96)
    cat = torch.cat(
        [grid[:, 0::2, 0::2], grid[:, 1::2, 0::2], grid[:, 0::2, 1::2], grid[:, 1::2, 1::2]],
        -1).view(2, -1, 4 * 96)
    expected = torch.nn.functional.layer_norm(
        cat, (4 * 96, ), source['layers.0.downsample.norm.weight'],
        source['layers.0.downsample.norm.bias']) @ source['layers.0.downsample.reduction.weight'].t(
        )
    got, hw = merge(x, (32, 32))
    assert hw == (16, 16)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_cli_writes_a_safe_checkpoint_the_config_loads(tmp_path):
    source = release_state_dict('resnet18')
    src = _save(source, tmp_path / 'ResNet18_OSU.pth')
    out = tmp_path / 'out' / 'resnet18_sar-hub_osu.pth'
    proc = run_tool([TOOL, src, str(out), '--arch', 'resnet18'])
    assert 'input channels 3 -> 1' in proc.stdout and f'wrote {out}' in proc.stdout
    assert 'resnet18-1ch_1xb128-onecycle-300e_opensarurban.py' in proc.stdout
    ckpt = torch.load(out, map_location='cpu', weights_only=True)  # plain tensors and builtins
    meta = ckpt['meta']
    assert meta['arch'] == 'resnet18' and meta['in_channels'] == 1
    assert meta['num_classes'] == 10 and 'XAI4SAR/SAR-HUB' in meta['source_release']
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, meta['config']))
    model = build_in_scope('mmpretrain', cfg.model)
    load_weights_strictly(model, str(out))  # the way sar_mm loads load_from / inference weights
    torch.testing.assert_close(model.state_dict()['head.fc.weight'], source['module.fc.weight'])


def test_no_head_gives_the_backbone(tool):
    source = release_state_dict('densenet121')
    converted, report = tool.convert_sar_hub(source, with_head=False)
    assert converted and all(k.startswith('backbone.') for k in converted)
    assert report['num_classes'] is None
    assert {'classifier.weight', 'classifier.bias'} <= set(report['dropped'])
    model = config_model(report)
    model.backbone.load_state_dict({k[9:]: v for k, v in converted.items()}, strict=True)


def test_other_class_counts_and_no_prefix(tool):
    """A TerraSAR-X model (32 classes) saved without ``module.``: the head follows the file."""
    source = release_state_dict('resnet50', prefix='')
    source['fc.weight'] = torch.randn(32, 2048)
    source['fc.bias'] = torch.randn(32)
    converted, report = tool.convert_sar_hub(source)
    assert report['arch'] == 'resnet50' and report['num_classes'] == 32
    assert converted['head.fc.weight'].shape == (32, 2048)


def test_another_layout_is_refused(tool, tmp_path):
    src = _save(release_state_dict('resnet50'), tmp_path / 'ResNet50_TSX.pth')
    with pytest.raises(SystemExit) as err:  # the command line, in-process
        tool.main([src, str(tmp_path / 'out.pth'), '--arch', 'densenet121'])
    msg = str(err.value.code)
    assert not (tmp_path / 'out.pth').exists()
    assert src in msg and 'not the SAR-HUB densenet121 layout' in msg
    assert 'features.denseblock1.denselayer1.norm1.weight' in msg  # what was expected
    assert 'looks like resnet50' in msg and "'layer1'" in msg  # what was found


def test_unknown_dict_is_refused_with_every_expected_layout(tool):
    with pytest.raises(tool.SARHubLayoutError) as err:
        tool.convert_sar_hub({'encoder.weight': torch.zeros(2, 2), 'decoder.bias': torch.zeros(2)})
    msg = str(err.value)
    assert 'not a SAR-HUB hub model' in msg and "'decoder', 'encoder'" in msg
    for arch in ARCHS:
        assert f'{arch}:' in msg
    with pytest.raises(tool.SARHubLayoutError, match='state dict of tensors'):
        tool.convert_sar_hub({'epoch': 3, 'conv1.weight': torch.zeros(1)})


def test_wrong_depth_extra_keys_and_shapes_are_refused(tool):
    # 17 more Bottleneck blocks in layer3, 18 tensors each
    with pytest.raises(tool.SARHubLayoutError, match=r'missing keys \(306\): .*layer3\.1\d'):
        tool.convert_sar_hub(release_state_dict('resnet50'), arch='resnet101')
    extra = release_state_dict('resnet18')
    extra['module.layer5.0.conv1.weight'] = torch.zeros(1)
    with pytest.raises(tool.SARHubLayoutError, match='not part of the SAR-HUB resnet18 layout'):
        tool.convert_sar_hub(extra)
    wrong = release_state_dict('seresnet50')
    wrong['module.conv3.0.se.1.weight'] = torch.zeros(16, 512, 1, 1)
    with pytest.raises(
            tool.SARHubLayoutError,
            match=r'shape mismatches .*layer2\.0\.se_layer\.conv1\.conv\.weight'):
        tool.convert_sar_hub(wrong)
    with pytest.raises(tool.SARHubLayoutError, match='takes 3 input channels only'):
        tool.convert_sar_hub(release_state_dict('mobilenetv3-small'), in_channels=1)


def test_plain_pickle_is_refused_by_the_safe_loader(tool, tmp_path):
    path = tmp_path / 'ResNet18_TSX.pkl'
    with open(path, 'wb') as f:  # a pickled object, as a whole-model torch.save would hold
        pickle.dump({'conv1.weight': [0.0], 'args': argparse.Namespace(depth=18)}, f)
    with pytest.raises(UnsafeCheckpointError, match='refused to load'):
        load_checkpoint_file(str(path))
    with pytest.raises(SystemExit, match='refused to load'):
        tool.main([str(path), str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()
