import os

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from sar_mm.engine import UnsafeCheckpointError


class _Payload:
    """Unpickling this would run a shell command that creates a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_mmengine_style_checkpoint_loads(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(np.float64(0.5), 2)
    ckpt = dict(
        state_dict={'w': torch.ones(2)},
        meta=dict(epoch=1, iter=np.int64(4), seed=np.int32(3), lr=np.float32(0.1)),
        message_hub=dict(log_scalars={'train/loss': buffer}),
        arr=np.arange(3, dtype=np.float64))
    torch.save(ckpt, tmp_path / 'ok.pth')
    loaded = _load_checkpoint(str(tmp_path / 'ok.pth'), map_location='cpu')
    assert loaded['meta']['iter'] == 4
    assert loaded['message_hub']['log_scalars']['train/loss'].current() == 0.5
    np.testing.assert_array_equal(loaded['arr'], [0, 1, 2])


def test_disallowed_object_is_refused_not_executed(tmp_path):
    marker = tmp_path / 'executed'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)}, meta=dict(x=_Payload(marker))), path)
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path), map_location='cpu')
    message = str(info.value)
    assert str(path) in message and 'posix.system' in message
    assert not marker.exists()


class _Sneaky:
    """Pickles as getattr(HistoryBuffer, '__init__'): getattr is allowed only for statistics."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_limited_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save(dict(meta=dict(x=_Sneaky())), path)
    with pytest.raises(UnsafeCheckpointError, match='sneaky.pth'):
        _load_checkpoint(str(path), map_location='cpu')


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))


def _good_checkpoint(path, iteration):
    torch.save(
        dict(state_dict={'w': torch.full((4, ), float(iteration))}, meta=dict(iter=iteration)),
        path)


def test_truncated_checkpoint_names_the_file(tmp_path):
    from sar_mm.engine.checkpoint import CorruptCheckpointError
    path = tmp_path / 'iter_4.pth'
    _good_checkpoint(path, 4)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # the state after a crash while saving
    with pytest.raises(
            CorruptCheckpointError, match=r'iter_4\.pth: the checkpoint is '
            r'truncated or corrupt'):
        _load_checkpoint(str(path), map_location='cpu')
    path.write_bytes(b'not a checkpoint at all')
    with pytest.raises(CorruptCheckpointError, match=r'iter_4\.pth'):
        _load_checkpoint(str(path), map_location='cpu')


@pytest.mark.parametrize('kind', ['legacy', 'pickle'])
def test_legacy_and_plain_pickle_refusals_are_sar_mm_messages(tmp_path, kind):
    import pickle
    marker = tmp_path / 'executed'
    path = tmp_path / f'{kind}.pth'
    payload = dict(state_dict={'w': torch.ones(1)}, meta=dict(x=_Payload(marker)))
    if kind == 'legacy':
        torch.save(payload, path, _use_new_zipfile_serialization=False)
    else:
        with open(path, 'wb') as f:
            pickle.dump(payload, f)
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path), map_location='cpu')
    message = str(info.value)
    assert str(path) in message and 'allow_checkpoint_globals' in message
    assert 'posix.system' in message and 'collections' not in message
    assert 'Re-running' not in message and 'weights_only' not in message
    assert not marker.exists()


class TrustedConfig:
    """A class a user's own checkpoints hold."""

    def __init__(self, value=1):
        self.value = value


def test_allow_checkpoint_globals_admits_a_trusted_class(tmp_path):
    from sar_mm.engine.checkpoint import io as ckpt_mod
    path = tmp_path / 'trusted.pth'
    torch.save(dict(state_dict={}, meta=dict(cfg=TrustedConfig(7))), path)
    with pytest.raises(UnsafeCheckpointError, match='TrustedConfig'):
        ckpt_mod.load_checkpoint_file(str(path))
    before = list(ckpt_mod._EXTRA_GLOBALS)
    try:
        ckpt_mod.allow_checkpoint_globals(TrustedConfig)
        assert ckpt_mod.load_checkpoint_file(str(path))['meta']['cfg'].value == 7
    finally:
        ckpt_mod._EXTRA_GLOBALS[:] = before


def test_allowed_globals_admit_a_class_for_one_call(tmp_path):
    from sar_mm.engine.checkpoint import load_checkpoint_file
    path = tmp_path / 'trusted.pth'
    torch.save(dict(state_dict={}, meta=dict(cfg=TrustedConfig(7))), path)
    loaded = load_checkpoint_file(str(path), allowed_globals=(TrustedConfig, ))
    assert loaded['meta']['cfg'].value == 7
    with pytest.raises(UnsafeCheckpointError, match='trusted.pth.*TrustedConfig'):
        load_checkpoint_file(str(path))  # that call only


def test_auto_resume_skips_corrupt_checkpoints(tmp_path):
    from mmengine.config import Config

    from sar_mm.engine import set_resume
    from sar_mm.engine.checkpoint import find_resumable_checkpoint
    old, new = tmp_path / 'iter_2.pth', tmp_path / 'iter_4.pth'
    _good_checkpoint(old, 2)
    _good_checkpoint(new, 4)
    os.utime(old, (1000, 1000))  # the older one, by modification time
    (tmp_path / 'last_checkpoint').write_text(str(new))
    assert find_resumable_checkpoint(str(tmp_path)) == str(new)
    new.write_bytes(new.read_bytes()[:100])  # cut short
    assert find_resumable_checkpoint(str(tmp_path)) == str(old)
    cfg = Config(dict(work_dir=str(tmp_path)))
    set_resume(cfg, 'auto')
    assert cfg.resume and cfg.load_from == str(old)
    empty = tmp_path / 'empty'
    empty.mkdir()
    cfg = Config(dict(work_dir=str(empty)))
    set_resume(cfg, 'auto')
    assert cfg.load_from is None and not cfg.resume  # nothing to resume: a fresh start


def test_runner_saves_checkpoints_atomically(tmp_path, monkeypatch):
    import mmengine.runner.runner as mm_runner

    from sar_mm.engine.checkpoint import atomic_save_checkpoint, load_checkpoint_file
    assert mm_runner.save_checkpoint is atomic_save_checkpoint
    path = tmp_path / 'epoch_1.pth'
    atomic_save_checkpoint(dict(state_dict={'w': torch.ones(2)}, meta=dict(iter=1)), str(path))
    assert load_checkpoint_file(str(path))['meta']['iter'] == 1

    real_save = torch.save

    def crash_midway(obj, f, *args, **kwargs):
        f.write(b'PK\x03\x04 half a file')
        raise OSError('No space left on device')

    monkeypatch.setattr(torch, 'save', crash_midway)
    with pytest.raises(OSError, match='No space left'):
        atomic_save_checkpoint(dict(state_dict={'w': torch.zeros(2)}, meta=dict(iter=2)), str(path))
    monkeypatch.setattr(torch, 'save', real_save)
    # the previous checkpoint is intact under its name and no temporary file is left behind
    assert load_checkpoint_file(str(path))['meta']['iter'] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']
