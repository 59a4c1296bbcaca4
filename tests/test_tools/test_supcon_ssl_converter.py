"""tools/model_converters/supcon_ssl_to_mmpretrain.py: SupCon_SSL DualResnet50 -> sar_mm.

State dicts with the release's key names and shapes (``tests/data/manifests/
supcon_ssl_dualresnet50.json``, written from SupCon_SSL's ``dfc_finetune.py`` and
SSLTransformerRS's ``resnet_simclr.py`` / ``train_resnet_backbone.py``) are filled with random
values, saved as the seed saves them (``{'epoch', 'arch', 'state_dict', 'optimizer'}``),
converted, loaded strictly into the ``MultiModalClassifier`` built from the DFC2020 configs,
and every source tensor is checked to have arrived under its new name.
"""
import json
import os.path as osp

import pytest
import torch
import torch.nn as nn

import sar_mm  # noqa: F401  (registers the models; safe checkpoint loader)
from ..conftest import ROOT, build_in_scope, load_tool

TOOL = 'tools/model_converters/supcon_ssl_to_mmpretrain.py'
CONFIGS = osp.join(ROOT, 'configs', 'multimodal')
SEED_CONFIG = osp.join(
    CONFIGS, 'multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020-supcon-ssl-pretrained.py')
BASE_CONFIG = osp.join(CONFIGS, 'multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020.py')
MANIFEST = osp.join(ROOT, 'tests', 'data', 'manifests', 'supcon_ssl_dualresnet50.json')
HEAD = ['head.fc.bias', 'head.fc.weight']


class _WholeModel(nn.Module):
    """A model class the safe loader does not know (``torch.save(model)`` pickles it)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


@pytest.fixture(scope='module')
def manifest():
    with open(MANIFEST) as f:
        return json.load(f)


def random_state_dict(keys, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return {
        k: (torch.randint(0, 1000, shape, generator=gen)
            if k.endswith('num_batches_tracked') else torch.randn(shape, generator=gen))
        for k, shape in keys.items()
    }


def as_saved(state_dict):
    """The seed's file: simclr_utils.save_checkpoint / SupCon_SSL utils.save_checkpoint."""
    return {
        'epoch': 200,
        'arch': 'resnet50',
        'state_dict': state_dict,
        'optimizer': {
            'state': {},
            'param_groups': [{
                'lr': 1e-3,
                'betas': (0.9, 0.999),
                'weight_decay': 1e-4,
                'amsgrad': False,
                'params': [0, 1]
            }]
        }
    }


@pytest.fixture(scope='module')
def release(manifest):
    return random_state_dict(manifest['keys'])


@pytest.fixture(scope='module')
def converted(tool, release):
    return tool.convert(as_saved(release))


def build(config):
    from mmengine.config import Config
    return build_in_scope('mmpretrain', Config.fromfile(config).model)


@pytest.fixture(scope='module')
def seed_model():
    return build(SEED_CONFIG)


def sub(state_dict, prefix):
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def check_arrived(model, source, key_map):
    loaded = model.state_dict()
    for key, new in key_map.items():
        assert torch.equal(loaded[new], source[key].to(loaded[new].dtype)), key
    return len(key_map)


def test_manifest_is_the_seed_architecture(manifest):
    keys = manifest['keys']
    assert manifest['num_tensors'] == len(keys) == 2 * 322
    assert keys['backbone1.conv1.weight'] == [64, 2, 7, 7]  # S1: VV, VH
    assert keys['backbone2.conv1.weight'] == [64, 13, 7, 7]  # S2: 13 L1C bands
    for b in ('backbone1', 'backbone2'):
        assert keys[f'{b}.layer4.2.conv3.weight'] == [2048, 512, 1, 1]
        assert keys[f'{b}.layer3.5.bn3.running_var'] == [1024]
        assert f'{b}.layer3.6.conv1.weight' not in keys  # ResNet-50: 3, 4, 6, 3 blocks
        assert keys[f'{b}.fc.0.weight'] == [2048, 2048] and keys[f'{b}.fc.0.bias'] == [2048]
        assert keys[f'{b}.fc.2.weight'] == [128, 2048] and keys[f'{b}.fc.2.bias'] == [128]
        assert f'{b}.fc.weight' not in keys
    assert manifest['fine_tuned_keys'] == {'fc.weight': [8, 256], 'fc.bias': [8]}


def test_pretrained_release_loads_strictly_into_the_seed_config(tool, release, converted,
                                                                seed_model):
    state_dict, report = converted
    assert report['in_channels'] == (2, 13) and report['num_classes'] is None
    assert report['projection'] and report['dropped'] == [] and report['notes'] == []
    assert report['config'] == tool.CONFIG and osp.isfile(osp.join(ROOT, tool.CONFIG))
    assert sorted(report['key_map']) == sorted(release)
    assert report['key_map']['backbone1.layer2.0.downsample.1.running_mean'] == \
        'backbone.0.layer2.0.downsample.1.running_mean'
    assert report['key_map']['backbone2.fc.2.bias'] == 'projector.1.necks.1.fc.bias'
    result = seed_model.load_state_dict(state_dict, strict=False)
    assert sorted(result.missing_keys) == HEAD and result.unexpected_keys == []
    # strict into every converted part of the model
    seed_model.backbone.load_state_dict(sub(state_dict, 'backbone.'), strict=True)
    seed_model.projector.load_state_dict(sub(state_dict, 'projector.'), strict=True)
    assert check_arrived(seed_model, release, report['key_map']) == len(release) == 644
    # the projector computes the seed's Linear -> ReLU -> Linear
    x = torch.randn(3, 2048)
    w0, b0 = release['backbone2.fc.0.weight'], release['backbone2.fc.0.bias']
    w2, b2 = release['backbone2.fc.2.weight'], release['backbone2.fc.2.bias']
    seed_model.eval()
    with torch.no_grad():
        got = seed_model.projector[1]((x, ))[0]
    torch.testing.assert_close(got, torch.relu(x @ w0.t() + b0) @ w2.t() + b2)


def test_fine_tuned_release_drops_the_seed_classifier(tool, release, manifest, converted):
    fine_tuned = dict(release, **random_state_dict(manifest['fine_tuned_keys'], seed=1))
    fine_tuned = {f'module.{k}': v for k, v in fine_tuned.items()}  # DataParallel prefix
    state_dict, report = tool.convert(as_saved(fine_tuned))
    assert sorted(report['dropped']) == ['fc.bias', 'fc.weight']
    assert report['num_classes'] is None and 'fc.weight' not in report['key_map']
    assert any('fc (8 x 256) dropped' in n for n in report['notes'])
    assert state_dict.keys() == converted[0].keys()
    assert all(torch.equal(state_dict[k], converted[0][k]) for k in state_dict)


def test_backbones_only_for_the_batchnorm_projector_configs(tool, release):
    state_dict, report = tool.convert(as_saved(release), with_projection=False)
    assert report['config'] == tool.BACKBONE_ONLY_CONFIG and not report['projection']
    assert len(report['dropped']) == 8 and all('.fc.' in k for k in report['dropped'])
    assert all(k.startswith('backbone.') for k in state_dict)
    model = build(BASE_CONFIG)  # NonLinearNeck projector (BatchNorm, no bias)
    model.backbone.load_state_dict(sub(state_dict, 'backbone.'), strict=True)
    result = model.load_state_dict(state_dict, strict=False)
    assert result.unexpected_keys == []
    assert all(k.startswith(('head.', 'projector.')) for k in result.missing_keys)
    assert check_arrived(model, release, report['key_map']) == len(release) - 8


def test_pooled_feature_classifier_becomes_the_head(tool, release):
    """SSLTransformerRS's downstream layout: no projections, fc over the 2 x 2048 features."""
    source = {k: v for k, v in release.items() if '.fc.' not in k}
    source.update(random_state_dict({'fc.weight': [8, 4096], 'fc.bias': [8]}, seed=2))
    state_dict, report = tool.convert(source)  # a bare state dict
    assert report['num_classes'] == 8 and not report['projection']
    assert report['key_map']['fc.weight'] == 'head.fc.weight'
    model = build(BASE_CONFIG)
    result = model.load_state_dict(state_dict, strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys and all(k.startswith('projector.') for k in result.missing_keys)
    assert check_arrived(model, source, report['key_map']) == len(source)
    no_head, report = tool.convert(source, with_head=False)
    assert 'head.fc.weight' not in no_head and report['dropped'] == ['fc.weight', 'fc.bias']


def test_cli_writes_a_weights_only_checkpoint(tool, release, tmp_path, capsys):
    src, dst = str(tmp_path / 'DualResnet50.pth'), str(tmp_path / 'out' / 'converted.pth')
    torch.save(as_saved(release), src)
    tool.main([src, dst])
    out = capsys.readouterr().out
    assert 'wrote' in out and f'load_from={dst}' in out and tool.CONFIG in out
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta']['in_channels'] == [2, 13] and saved['meta']['projection'] is True
    assert len(saved['state_dict']) == 644


def test_wrong_layouts_are_refused(tool, release, tmp_path, capsys):
    err = tool.SupConSSLLayoutError
    # a single torchvision ResNet (another release)
    single = {k[len('backbone1.'):]: v for k, v in release.items() if k.startswith('backbone1.')}
    with pytest.raises(
            err,
            match=r"expected the keys \['backbone1.conv1.weight'.*missing "
            r".*found \d+ keys: .*top-level names \['bn1', 'conv1', 'fc', 'layer1'"):
        tool.convert(single)
    # SupCon_SSL's METER-ML SmallAlexNet (DualEncoder of SharedNet)
    alexnet = {
        'encoder_1.sentinel1_block.0.weight': torch.zeros(96, 2, 3, 3),
        'encoder_1.encoder.blocks.1.0.weight': torch.zeros(192, 96, 3, 3),
        'encoder_2.sentinel2_block.0.weight': torch.zeros(96, 4, 3, 3),
    }
    with pytest.raises(err, match='SmallAlexNet.*no target in sar_mm'):
        tool.convert(alexnet)
    # keys outside the layout, a wrong shape, an incomplete projection, not tensors
    with pytest.raises(err, match=r"not part of the DualResnet50 layout.*'backbone1.extra.w'"):
        tool.convert(dict(release, **{'backbone1.extra.w': torch.zeros(1)}))
    with pytest.raises(
            err,
            match=r'shape mismatches \(1\): backbone.1.layer1.0.conv1.weight: '
            r'checkpoint \(32, 64, 1, 1\) vs model \(64, 64, 1, 1\)'):
        tool.convert(
            dict(release, **{'backbone2.layer1.0.conv1.weight': torch.zeros(32, 64, 1, 1)}))
    with pytest.raises(err, match='incomplete projection heads'):
        tool.convert({k: v for k, v in release.items() if k != 'backbone2.fc.2.bias'})
    with pytest.raises(err, match=r"non-tensor entries \['epoch', 'arch'\]"):
        tool.convert({'epoch': 3, 'arch': 'resnet50'})
    # through the command line: the file is named
    path = str(tmp_path / 'alexnet.pth')
    torch.save(alexnet, path)
    with pytest.raises(
            SystemExit, match=r'alexnet\.pth: this is SupCon_SSL.s METER-ML '
            'SmallAlexNet'):
        tool.main([path, str(tmp_path / 'x.pth')])
    assert not osp.exists(tmp_path / 'x.pth')


def test_whole_pickled_model_is_refused_with_advice(tool, tmp_path):
    path = str(tmp_path / 'whole_model.pth')
    torch.save(_WholeModel(), path)
    with pytest.raises(SystemExit) as info:
        tool.main([path, str(tmp_path / 'x.pth')])
    message = str(info.value)
    assert 'whole_model.pth' in message and '_WholeModel' in message
    assert "torch.save({'state_dict': model.state_dict()}" in message
    assert not osp.exists(tmp_path / 'x.pth')
