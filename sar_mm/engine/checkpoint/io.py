"""Safe checkpoint I/O: load under torch>=2.6 (``weights_only=True``) without unpickling freely.

mmengine 0.10.7 writes checkpoints whose ``message_hub`` holds :class:`HistoryBuffer` objects
with numpy arrays and scalars inside; torch>=2.6 refuses them by default ("Weights only load
failed ... numpy.core.multiarray.scalar"), so ``--resume`` and ``load_from`` fail. The fix here
is *not* ``weights_only=False``: the local-file loader of mmengine's :class:`CheckpointLoader`
is replaced by one that keeps ``weights_only=True`` and allows exactly the globals those
checkpoints contain (:func:`allowed_checkpoint_globals`). A checkpoint holding anything else is
refused with :class:`UnsafeCheckpointError`, naming the file and the offending globals; a
trusted one can be allowed with :func:`allow_checkpoint_globals`. A truncated or corrupt file
(a crash or a full disk while saving) raises :class:`CorruptCheckpointError` naming it, and
:func:`atomic_save_checkpoint` (installed for mmengine's Runner) writes checkpoints under a
temporary name then renames them, so a crash during a save never leaves a half file under the
final name.
"""
import glob
import os
import os.path as osp
import pickle
import re
import zipfile

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint contains pickled objects outside the allow-list and was not loaded."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is truncated or corrupt (not a readable torch archive)."""


#: Globals allowed on top of :func:`allowed_checkpoint_globals` (see allow_checkpoint_globals).
_EXTRA_GLOBALS = []


def allow_checkpoint_globals(*objects):
    """Allow more globals in the checkpoints sar_mm loads, for checkpoints **you trust**.

    Example: a checkpoint refused for ``my_pkg.MyConfig``::

        from my_pkg import MyConfig
        from sar_mm.engine.checkpoint import allow_checkpoint_globals
        allow_checkpoint_globals(MyConfig)

    Args:
        *objects: Classes or functions, or ``(object, 'module.name')`` pairs, as
            ``torch.serialization.safe_globals`` takes them.
    """
    _EXTRA_GLOBALS.extend(objects)


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
    allowed = [
        multiarray.scalar, multiarray._reconstruct, np.ndarray, np.dtype, HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr')
    ]
    # The concrete dtype classes (numpy>=1.25 pickles dtypes by their class, e.g. Float64DType).
    allowed += [
        type(np.dtype(t)) for t in (np.float64, np.float32, np.float16, np.int64, np.int32,
                                    np.int16, np.int8, np.uint8, np.bool_)
    ]
    return allowed + list(_EXTRA_GLOBALS)


def _global_name(entry):
    if isinstance(entry, tuple):
        return entry[1]
    return f'{entry.__module__}.{entry.__qualname__}'


def load_checkpoint_file(filename, map_location=None, allowed_globals=()):
    """``torch.load`` a local checkpoint with ``weights_only=True`` and the allow-list.

    Args:
        filename (str): Path of the checkpoint.
        map_location (str | torch.device, optional): As for :func:`torch.load`.
        allowed_globals (Sequence): Globals allowed for this file only, on top of
            :func:`allowed_checkpoint_globals` (same forms as :func:`allow_checkpoint_globals`),
            e.g. ``(argparse.Namespace, )`` for a release that saved its ``args``. Defaults to
            none.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: no such file.
        UnsafeCheckpointError: it holds pickled objects that are not allowed.
        CorruptCheckpointError: it is truncated or corrupt.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename}: checkpoint not found')
    allowed_here = allowed_checkpoint_globals() + list(allowed_globals)
    try:
        with torch.serialization.safe_globals(allowed_here):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        try:
            offending = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
        except Exception:  # a legacy (non-zip) or plain pickle file
            with open(filename, 'rb') as f:
                if f.read(1) != b'\x80':  # no pickle protocol header: not a pickle at all
                    raise _corrupt(filename, err) from err
            offending = re.findall(r'GLOBAL ([\w.]+)', str(err)) or _pickle_globals(filename)
        allowed = {_global_name(g) for g in allowed_here}
        try:  # torch's own defaults (OrderedDict, tensor rebuilds) are not the problem
            from torch._weights_only_unpickler import _get_allowed_globals
            allowed |= set(_get_allowed_globals())
        except (ImportError, AttributeError):
            pass
        offending = [g for g in offending if g not in allowed]
        what = (', '.join(dict.fromkeys(offending))
                if offending else 'objects of a plain pickle or legacy (non-zip) torch file')
        raise UnsafeCheckpointError(
            f'{filename}: refused to load this checkpoint: it contains pickled objects that '
            f'are not on sar_mm\'s allow-list for mmengine checkpoints: {what}. Only load '
            'checkpoints you trust; for a trusted one, allow its globals with '
            'sar_mm.engine.checkpoint.allow_checkpoint_globals(...), or re-save its state_dict '
            'with plain tensors.') from err
    except (RuntimeError, EOFError, zipfile.BadZipFile) as err:
        if isinstance(err, RuntimeError) and not _looks_truncated(err):
            raise
        raise _corrupt(filename, err) from err


def _pickle_globals(filename):
    """Names of the globals a (legacy or plain) pickle file imports, read without unpickling
    (:func:`pickletools.genops` only parses the opcodes)."""
    import pickletools
    names, strings = [], []
    with open(filename, 'rb') as f:
        while True:
            try:
                ops = list(pickletools.genops(f))
            except Exception:  # the end of the pickles (a legacy file's raw storages follow)
                break
            if not ops:
                break
            for op, arg, _ in ops:
                if op.name == 'GLOBAL':
                    names.append(str(arg).replace(' ', '.'))
                elif op.name == 'STACK_GLOBAL' and len(strings) >= 2:
                    names.append(f'{strings[-2]}.{strings[-1]}')
                elif isinstance(arg, str):
                    strings.append(arg)
    return names


_TRUNCATION = ('PytorchStreamReader', 'central directory', 'Ran out of input', 'EOF',
               'file read failed', 'invalid header', 'truncated')


def _looks_truncated(err):
    return isinstance(err, (EOFError, zipfile.BadZipFile)) or any(
        marker in str(err) for marker in _TRUNCATION)


def _corrupt(filename, err):
    size = osp.getsize(filename)
    text = str(err)
    found = re.search(r'WeightsUnpickler error:\s*(.+)', text)
    first = (
        found.group(1).strip()
        if found else text.strip().splitlines()[0] if text.strip() else type(err).__name__)
    return CorruptCheckpointError(
        f'{filename}: the checkpoint is truncated or corrupt ({size} bytes; torch: {first}). '
        'It was probably cut short by a crash or a full disk while being saved; use an earlier '
        'checkpoint (auto-resume skips such files).')


def find_resumable_checkpoint(work_dir, logger=None):
    """The newest checkpoint of ``work_dir`` that loads, for auto-resume.

    Candidates: the file named by mmengine's ``last_checkpoint`` pointer, then every ``*.pth``
    of the folder, newest first (modification time). Each is loaded with
    :func:`load_checkpoint_file`; one that is truncated or corrupt is skipped and logged.

    Returns:
        str | None: Its path, or None when the folder holds no loadable checkpoint.
    """
    from mmengine.logging import print_log
    candidates = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named:
            candidates.append(named)
    found = [p for p in glob.glob(osp.join(work_dir, '*.pth')) if osp.isfile(p)]
    candidates += sorted(found, key=lambda p: (osp.getmtime(p), p), reverse=True)
    tried = set()
    for path in candidates:
        if path in tried:
            continue
        tried.add(path)
        if not osp.isfile(path):
            print_log(
                f'auto-resume: skipped {path}: named by {pointer} but missing',
                logger=logger or 'current',
                level=30)
            continue
        try:
            load_checkpoint_file(path, map_location='cpu')
        except CorruptCheckpointError as err:
            print_log(f'auto-resume: skipped {err}', logger=logger or 'current', level=30)
            continue
        return path
    return None


def atomic_save_checkpoint(checkpoint, filename, file_client_args=None, backend_args=None):
    """mmengine's ``save_checkpoint`` that never leaves a half-written file under ``filename``.

    A local path is written to a temporary file in the same folder, flushed to disk, then
    renamed over ``filename`` (``os.replace`` is atomic on one file system); other back-ends
    (``s3://``, ``pavi://``, ...) go to mmengine's own function.
    """
    if '://' in str(filename):
        return _MMENGINE_SAVE(
            checkpoint, filename, file_client_args=file_client_args, backend_args=backend_args)
    folder = osp.dirname(osp.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(filename)}.tmp{os.getpid()}')
    try:
        with open(tmp, 'wb') as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def load_from_local(filename, map_location):
    """mmengine's local-file scheme, safely: :func:`load_checkpoint_file` under the name
    mmengine's log uses ("Loads checkpoint by local backend", from the name's tail)."""
    return load_checkpoint_file(filename, map_location)


# Replace mmengine's local-file scheme (prefix '') for every load_checkpoint / resume / load_from.
CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_local)

# The Runner's save_checkpoint calls the name imported into mmengine.runner.runner: write
# atomically there (mmengine's own function stays available for remote back-ends).
import mmengine.runner.runner as _mm_runner  # noqa: E402

_MMENGINE_SAVE = getattr(_mm_runner.save_checkpoint, '__wrapped_mmengine__',
                         _mm_runner.save_checkpoint)
atomic_save_checkpoint.__wrapped_mmengine__ = _MMENGINE_SAVE
_mm_runner.save_checkpoint = atomic_save_checkpoint
