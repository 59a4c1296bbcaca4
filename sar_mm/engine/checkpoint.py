"""Load mmengine checkpoints under torch>=2.6 (``weights_only=True``) without unpickling freely.

mmengine 0.10.7 writes checkpoints whose ``message_hub`` holds :class:`HistoryBuffer` objects
with numpy arrays and scalars inside; torch>=2.6 refuses them by default ("Weights only load
failed ... numpy.core.multiarray.scalar"), so ``--resume`` and ``load_from`` fail. The fix here
is *not* ``weights_only=False``: the local-file loader of mmengine's :class:`CheckpointLoader`
is replaced by one that keeps ``weights_only=True`` and allows exactly the globals those
checkpoints contain (:func:`allowed_checkpoint_globals`). A checkpoint holding anything else is
refused with :class:`UnsafeCheckpointError`, naming the file and the offending globals.
"""
import os.path as osp
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint contains pickled objects outside the allow-list and was not loaded."""


def _history_buffer_getattr(obj, name):
    """Stand-in for ``builtins.getattr`` while unpickling a checkpoint.

    A ``HistoryBuffer`` pickles its ``statistics_methods`` as ``getattr(HistoryBuffer, 'mean')``
    and the like; this resolves exactly those and refuses every other attribute lookup.
    """
    # HistoryBuffer fills _statistics_methods with these four when its first instance is made,
    # which may not have happened yet in the process that loads the checkpoint.
    allowed = {'min', 'max', 'current', 'mean'} | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({getattr(obj, "__qualname__", type(obj).__name__)}, {name!r}) is not allowed '
        'in a checkpoint')


def allowed_checkpoint_globals():
    """The non-tensor globals mmengine checkpoints are allowed to contain.

    Returns:
        list: numpy's array/scalar reconstruction functions and the dtypes they use, mmengine's
        ``HistoryBuffer`` (the message hub's logged scalars) and, under the name
        ``builtins.getattr``, a getattr restricted to ``HistoryBuffer``'s statistics methods.
    """
    multiarray = np.core.multiarray  # numpy < 2 (pinned)
    allowed = [multiarray.scalar, multiarray._reconstruct, np.ndarray, np.dtype, HistoryBuffer,
               (_history_buffer_getattr, 'builtins.getattr')]
    # The concrete dtype classes (numpy>=1.25 pickles dtypes by their class, e.g. Float64DType).
    allowed += [type(np.dtype(t)) for t in (np.float64, np.float32, np.float16, np.int64,
                                            np.int32, np.int16, np.int8, np.uint8, np.bool_)]
    return allowed


def _global_name(entry):
    if isinstance(entry, tuple):
        return entry[1]
    return f'{entry.__module__}.{entry.__qualname__}'


def load_checkpoint_file(filename, map_location=None):
    """``torch.load`` a local checkpoint with ``weights_only=True`` and the allow-list.

    Args:
        filename (str): Path of the checkpoint.
        map_location (str | torch.device, optional): As for :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: no such file.
        UnsafeCheckpointError: it holds pickled objects that are not allowed.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename}: checkpoint not found')
    try:
        with torch.serialization.safe_globals(allowed_checkpoint_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        try:
            offending = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
        except Exception:  # not a zip checkpoint: fall back to torch's own message
            offending = []
        allowed = {_global_name(g) for g in allowed_checkpoint_globals()}
        offending = [g for g in offending if g not in allowed] or [str(err).splitlines()[0]]
        raise UnsafeCheckpointError(
            f'{filename}: refused to load this checkpoint: it contains pickled objects that '
            f'are not on sar_mm\'s allow-list for mmengine checkpoints: {", ".join(offending)}. '
            'Only load checkpoints you trust; to use a trusted one, re-save its state_dict '
            'with plain tensors.') from err


def load_from_local(filename, map_location):
    """mmengine's local-file scheme, safely: :func:`load_checkpoint_file` under the name
    mmengine's log uses ("Loads checkpoint by local backend", from the name's tail)."""
    return load_checkpoint_file(filename, map_location)


# Replace mmengine's local-file scheme (prefix '') for every load_checkpoint / resume / load_from.
CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_local)
