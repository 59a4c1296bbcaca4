"""sar_mm.engine.checkpoint.release: the steps the release-checkpoint converters share."""
import argparse
import os

import pytest
import torch

from sar_mm.engine.checkpoint import (CorruptCheckpointError, ReleaseLayoutError,
                                      UnsafeCheckpointError, check_layout, check_state_dict_fits,
                                      converter_arg_parser, describe_keys, describe_layouts,
                                      layout_error, read_release_checkpoint, save_converted,
                                      unwrap_state_dict)

LAYOUTS = {
    'pretrain': ('models_mae.py MAE', ('cls_token', 'mask_token', 'decoder_pred.weight')),
    'finetune': ('models_vit.py ViT', ('cls_token', 'head.weight')),
}


class _ReleaseError(ReleaseLayoutError):
    """A converter's own error class."""


class _Opaque:
    """A class outside every allow-list."""


def _weights():
    return {'cls_token': torch.zeros(1, 1, 4), 'head.weight': torch.ones(2, 4)}


def test_unwrap_takes_the_first_wrapper_drops_non_tensors_and_module_prefix():
    weights = {f'module.{k}': v for k, v in _weights().items()}
    checkpoint = dict(model=dict(weights, step=3), state_dict={'other': torch.zeros(1)}, epoch=2)
    state_dict = unwrap_state_dict(checkpoint, 'ckpt.pth')
    assert list(state_dict) == ['cls_token', 'head.weight']
    assert state_dict['head.weight'] is weights['module.head.weight']  # not copied
    # the wrappers are tried in the order given; a bare state dict is itself
    assert list(unwrap_state_dict(checkpoint, wrappers=('state_dict', 'model'))) == ['other']
    assert list(unwrap_state_dict(_weights())) == ['cls_token', 'head.weight']
    # 'raise': every entry must be a tensor
    assert list(unwrap_state_dict(weights, non_tensors='raise')) == ['cls_token', 'head.weight']


def test_unwrap_refusals_name_the_file_what_was_found_and_expected():
    with pytest.raises(_ReleaseError, match=r'^x\.pth: expected a state dict of .*got list'):
        unwrap_state_dict([torch.zeros(1)], 'x.pth', error=_ReleaseError)
    checkpoint = dict(model=dict(epoch=3), args=None)
    with pytest.raises(_ReleaseError) as err:
        unwrap_state_dict(checkpoint, 'x.pth', expected=LAYOUTS, error=_ReleaseError)
    message = str(err.value)
    assert message.startswith('x.pth: no tensors under "model" / "state_dict"')
    assert 'found 1 key: epoch' in message
    assert 'expected the keys of pretrain (models_mae.py MAE): cls_token, mask_token' in message
    with pytest.raises(ReleaseLayoutError, match=r"^y\.pth: .*non-tensor entries \['epoch'\]"):
        unwrap_state_dict({'epoch': 3, 'w': torch.zeros(1)}, 'y.pth', non_tensors='raise')
    with pytest.raises(ReleaseLayoutError, match=r'^y\.pth: .*found an empty dict'):
        unwrap_state_dict({'state_dict': {}}, 'y.pth', non_tensors='raise')
    with pytest.raises(ReleaseLayoutError, match=r'^y\.pth: no tensors'):
        unwrap_state_dict({}, 'y.pth')
    with pytest.raises(ValueError, match="'drop' or 'raise'"):
        unwrap_state_dict(_weights(), non_tensors='keep')


def test_read_release_checkpoint_allows_only_the_globals_asked_for(tmp_path):
    path = str(tmp_path / 'checkpoint-799.pth')
    torch.save(dict(model=_weights(), args=argparse.Namespace(lr=0.1), epoch=799), path)
    with pytest.raises(UnsafeCheckpointError, match='checkpoint-799.pth.*argparse.Namespace'):
        read_release_checkpoint(path)
    state_dict = read_release_checkpoint(path, allowed_globals=(argparse.Namespace, ))
    assert list(state_dict) == ['cls_token', 'head.weight']
    # the extra globals are for that call only, and only those: another class is still refused,
    # and named alone
    unsafe = str(tmp_path / 'unsafe.pth')
    torch.save(dict(model=_weights(), args=argparse.Namespace(), extra=_Opaque()), unsafe)
    with pytest.raises(UnsafeCheckpointError) as err:
        read_release_checkpoint(unsafe, allowed_globals=(argparse.Namespace, ))
    assert 'unsafe.pth' in str(err.value) and '_Opaque' in str(err.value)
    assert 'argparse.Namespace' not in str(err.value)
    with pytest.raises(UnsafeCheckpointError, match='checkpoint-799.pth'):
        read_release_checkpoint(path)


def test_read_release_checkpoint_bad_files_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        read_release_checkpoint(str(tmp_path / 'missing.pth'))
    cut = tmp_path / 'cut.pth'
    torch.save(dict(model=_weights()), cut)
    cut.write_bytes(cut.read_bytes()[:64])
    with pytest.raises(CorruptCheckpointError, match='cut.pth'):
        read_release_checkpoint(str(cut))
    listed = str(tmp_path / 'list.pth')
    torch.save([torch.zeros(1)], listed)
    with pytest.raises(_ReleaseError, match=r'list\.pth: expected a state dict.*got list'):
        read_release_checkpoint(listed, error=_ReleaseError)
    optimizer_only = str(tmp_path / 'optimizer.pth')
    torch.save(dict(model=dict(epoch=1), state_dict=dict(lr=0.1)), optimizer_only)
    with pytest.raises(_ReleaseError, match=r'optimizer\.pth: no tensors.*expected the keys of'):
        read_release_checkpoint(optimizer_only, expected=LAYOUTS, error=_ReleaseError)


def test_describe_keys_and_layouts():
    keys = ['norm.bias', 'blocks.1.w', 'blocks.0.w', 'cls_token']
    assert describe_keys(keys) == ("4 keys: blocks.0.w, blocks.1.w, cls_token, norm.bias "
                                   "(top-level names ['blocks', 'cls_token', 'norm'])")
    short = "4 keys: blocks.0.w, ... (top-level names ['blocks', 'cls_token'] ...)"
    assert describe_keys(keys, limit=1) == short
    assert describe_keys({}) == 'no keys'
    assert describe_layouts(LAYOUTS) == (
        'pretrain (models_mae.py MAE): cls_token, mask_token, decoder_pred.weight; '
        'finetune (models_vit.py ViT): cls_token, head.weight')
    assert describe_layouts({'resnet18': ['conv1.weight', 'fc.weight']}) == \
        'resnet18: conv1.weight, fc.weight'


def test_layout_refusals_list_expected_missing_and_found():
    err = layout_error('a MAE checkpoint', LAYOUTS, _weights(), 'r.pth', error=_ReleaseError)
    assert isinstance(err, _ReleaseError) and isinstance(err, ValueError)
    message = str(err)
    assert message.startswith('r.pth: not a MAE checkpoint: expected the keys of pretrain')
    assert 'finetune (models_vit.py ViT): cls_token, head.weight' in message
    assert message.endswith("found 2 keys: cls_token, head.weight (top-level names "
                            "['cls_token', 'head'])")
    check_layout(_weights(), ['cls_token', 'head.weight'], 'a ViT', 'v.pth')  # fits: no error
    with pytest.raises(_ReleaseError) as info:
        check_layout(_weights(), ['conv1.weight', 'head.weight'], 'a ResNet', 'r.pth',
                     _ReleaseError)
    assert str(info.value) == (
        "r.pth: not a ResNet: expected the keys ['conv1.weight', 'head.weight'] (optionally "
        "prefixed \"module.\"); missing ['conv1.weight']; found 2 keys: cls_token, head.weight "
        "(top-level names ['cls_token', 'head'])")


def test_check_state_dict_fits():
    target = dict(_weights(), **{'head.bias': torch.zeros(2)})
    check_state_dict_fits(dict(target), target, 'the ViT')  # exact: no error
    converted = {'cls_token': torch.zeros(1, 1, 8), 'head.weight': torch.ones(2, 4), 'x': 0}
    with pytest.raises(_ReleaseError) as info:
        check_state_dict_fits(converted, target, 'the ViT', 'v.pth', error=_ReleaseError)
    message = str(info.value)
    assert message.startswith('v.pth: the keys do not fit the ViT:\n')
    assert 'missing keys (1): head.bias' in message and 'unexpected keys (1): x' in message
    assert 'cls_token: checkpoint (1, 1, 8) vs model (1, 1, 4)' in message
    # keys of the model under ignore_prefixes are not required; those converted must still fit
    check_state_dict_fits(_weights(), target, 'the ViT', ignore_prefixes=('head.bias', ))
    with pytest.raises(ReleaseLayoutError, match=r'unexpected keys \(1\): head.bias'):
        check_state_dict_fits(target, _weights(), 'the ViT')
    with pytest.raises(ReleaseLayoutError, match=r'head.weight: checkpoint \(3, 4\)'):
        check_state_dict_fits(
            dict(target, **{'head.weight': torch.ones(3, 4)}),
            target,
            'the ViT',
            ignore_prefixes=('head.bias', ))


def test_save_converted_writes_plain_tensors_atomically(tmp_path):
    out = tmp_path / 'new' / 'folder' / 'converted.pth'
    meta = dict(release='x', arch=dict(depths=(2, 2), ratio=4.0), dropped=[], rpe=None)
    save_converted(_weights(), str(out), meta)
    saved = torch.load(out, weights_only=True)
    assert saved['meta'] == meta
    assert torch.equal(saved['state_dict']['head.weight'], torch.ones(2, 4))
    assert os.listdir(out.parent) == ['converted.pth']  # no temporary file left


def test_save_converted_refuses_objects_other_than_builtins(tmp_path):
    out = tmp_path / 'converted.pth'
    with pytest.raises(ValueError, match=r'converted\.pth: not written: .*plain tensors'):
        save_converted(_weights(), str(out), dict(args=argparse.Namespace(lr=0.1)))
    assert os.listdir(tmp_path) == []


def test_converter_arg_parser():
    doc = """Convert a released thing.

    python convert.py SRC DST
    """
    parser = converter_arg_parser(doc, 'the release file')
    parser.add_argument('--keep-head', action='store_true')
    assert parser.description == 'Convert a released thing.'
    args = parser.parse_args(['in.pth', 'out.pth', '--keep-head'])
    assert (args.src, args.dst, args.keep_head) == ('in.pth', 'out.pth', True)
    assert 'the release file' in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(['in.pth'])
