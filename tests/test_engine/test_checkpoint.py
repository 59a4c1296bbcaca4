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
    ckpt = dict(state_dict={'w': torch.ones(2)},
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
