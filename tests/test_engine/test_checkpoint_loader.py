"""sar_mm.engine.checkpoint.loader: the one strict loader and the options its callers use."""
import pytest
import torch
import torch.nn as nn

from sar_mm.engine.checkpoint import CheckpointMismatchError, load_weights_strictly


def _net(out_channels=8):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, out_channels, 1))


class _Explainer(nn.Module):
    """A module with its own weights and an ``explained`` sub-model loaded elsewhere."""

    def __init__(self):
        super().__init__()
        self.own = nn.Linear(3, 2)
        self.explained = _net()


class _Classifier(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = _net()
        self.head = nn.Linear(8, 3)


def _randomised(module, seed=1):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_()
    return module


def _assert_same(module, state_dict):
    own = module.state_dict()
    for key, value in state_dict.items():
        torch.testing.assert_close(own[key], value, msg=key)


def test_whole_model_file_loads_and_names_the_file(tmp_path, logs):
    src = _randomised(_net())
    path = tmp_path / 'whole.pth'
    torch.save(
        {
            'state_dict': {
                f'module.{k}': v
                for k, v in src.state_dict().items()
            },
            'meta': {
                'epoch': 3
            }
        }, path)
    dst = _net()
    checkpoint = load_weights_strictly(dst, str(path))
    assert checkpoint['meta'] == {'epoch': 3}  # the checkpoint comes back (dataset_meta)
    _assert_same(dst, src.state_dict())
    assert not any('loaded' in m for m in logs)  # no summary unless a logger is given
    load_weights_strictly(_net(), str(path), logger='current')
    assert any(m.startswith(f'loaded 9 tensors from {path} into Sequential') for m in logs)

    with pytest.raises(CheckpointMismatchError) as info:
        load_weights_strictly(_net(out_channels=6), str(path), target='the model of CFG')
    msg = str(info.value)
    assert msg.startswith(f'{path} does not fit the model of CFG (Sequential)')
    assert 'shape mismatches (2): 2.weight: checkpoint (8, 4, 1, 1) vs model (6, 4, 1, 1)' in msg
    with pytest.raises(FileNotFoundError, match='nothing.pth: checkpoint not found'):
        load_weights_strictly(_net(), str(tmp_path / 'nothing.pth'))
    with pytest.raises(CheckpointMismatchError, match='named.pth: expected a checkpoint dict'):
        load_weights_strictly(_net(), [1, 2], source='named.pth')


def test_prefix_candidates_take_whole_model_or_backbone_only():
    model = _randomised(_Classifier())
    whole = {'state_dict': model.state_dict()}
    backbone_only = {'state_dict': model.backbone.state_dict()}
    for checkpoint in (whole, backbone_only):
        dst = _net()
        load_weights_strictly(dst, checkpoint, prefix=('backbone.', ''))
        _assert_same(dst, model.backbone.state_dict())
    # one prefix: it must be there; the error lists those there are
    with pytest.raises(
            CheckpointMismatchError,
            match=r"x.pth: no key of the checkpoint starts "
            r"with 'encoder\.'; available prefixes: 'backbone\.' \(9 keys\), "
            r"'head\.' \(2 keys\)"):
        load_weights_strictly(_net(), whole, source='x.pth', prefix='encoder')
    # forgetting the prefix: the error says which one to set
    with pytest.raises(
            CheckpointMismatchError, match=r"keys under \['backbone.'\]: set init_cfg "
            r'prefix'):
        load_weights_strictly(_net(), whole)
    # another architecture altogether: no such hint
    with pytest.raises(CheckpointMismatchError) as info:
        load_weights_strictly(_Explainer(), whole)
    assert 'set init_cfg prefix' not in str(info.value)


def test_exclude_prefixes_leave_a_sub_model_alone():
    src = _randomised(_Explainer())
    dst = _Explainer()
    before = {k: v.clone() for k, v in dst.explained.state_dict().items()}
    state = {k: v for k, v in src.state_dict().items()}
    state['explained.extra'] = torch.ones(1)  # not loaded, not an unexpected key
    load_weights_strictly(dst, {'state_dict': state}, exclude_prefixes=('explained.', ))
    _assert_same(dst.own, src.own.state_dict())
    _assert_same(dst.explained, before)
    state.pop('own.bias')
    with pytest.raises(CheckpointMismatchError, match=r'missing keys \(1\): own.bias$'):
        load_weights_strictly(dst, state, exclude_prefixes=('explained.', ))


def test_missing_and_unexpected_policies(logs):
    src = _randomised(_net()).state_dict()
    partial = {k: v for k, v in src.items() if not k.startswith('2.')}
    partial['extra.weight'] = torch.ones(1)
    with pytest.raises(CheckpointMismatchError) as info:
        load_weights_strictly(_net(), partial)
    assert 'missing keys (2): 2.weight, 2.bias' in str(info.value)
    assert 'unexpected keys (1): extra.weight' in str(info.value)
    dst = _net()
    kept = dst[2].weight.detach().clone()
    load_weights_strictly(dst, partial, missing='warn', unexpected='warn')
    torch.testing.assert_close(dst[2].weight, kept)  # kept as it was
    torch.testing.assert_close(dst[0].weight, src['0.weight'])
    assert any('loaded with differences' in m and 'missing keys (2)' in m for m in logs)
    with pytest.raises(CheckpointMismatchError, match=r"\(missing='warn', unexpected='raise'; "):
        load_weights_strictly(_net(), partial, missing='warn')
    with pytest.raises(ValueError, match="missing must be 'raise' or 'warn'"):
        load_weights_strictly(_net(), src, missing='ignore')


def test_batchnorm_counters_are_not_required():
    src = _randomised(_net()).state_dict()
    src.pop('1.num_batches_tracked')
    dst = _net()
    load_weights_strictly(dst, src)
    _assert_same(dst, src)


def test_channels_are_adapted_on_the_way():
    src = _randomised(_net())
    dst = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 8, 1))
    load_weights_strictly(dst, src.state_dict())
    torch.testing.assert_close(dst[0].weight, src[0].weight.repeat(1, 3, 1, 1) / 3)
