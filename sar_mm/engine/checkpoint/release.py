"""What the release-checkpoint converters of ``tools/model_converters/`` share.

A converter turns the file another codebase released (SAR-JEPA, SARATR-X, SAR-HUB, ...) into
an mmpretrain / sar_mm checkpoint. The mapping of the keys is each converter's own; these are
the steps around it, done the same way by all of them:

* :func:`read_release_checkpoint`: the file read with sar_mm's safe loader
  (:func:`~.io.load_checkpoint_file`, ``weights_only`` and its allow-list, plus the globals the
  release needs) and its state dict taken out (:func:`unwrap_state_dict`: the ``model`` /
  ``state_dict`` wrappers, the ``module.`` of DistributedDataParallel);
* :func:`layout_error` / :func:`check_layout`: the refusal of a file of another layout, naming
  the file, the keys expected and the keys found (:func:`describe_layouts`,
  :func:`describe_keys`); :func:`check_state_dict_fits`: the converted keys checked against the
  model they are for (every key, every shape);
* :func:`save_converted`: ``{'state_dict', 'meta'}`` written atomically and read back with
  ``torch.load(weights_only=True)``; :func:`converter_arg_parser`: the ``SRC DST`` command line.

Every refusal raises the converter's own error class, a subclass of :class:`ReleaseLayoutError`
(a :class:`ValueError`), passed as ``error``.
"""
import argparse
import os
import pickle

import torch

from .io import atomic_save_checkpoint, load_checkpoint_file
from .layouts import checkpoint_state_dict, strip_module_prefix
from .surgery import compare_state_dicts, describe_mismatch

#: Shown after the keys expected: :func:`unwrap_state_dict` removes the prefix.
_MODULE_NOTE = ' (optionally prefixed "module.")'


class ReleaseLayoutError(ValueError):
    """A file is not the layout of the release a converter reads; the base of their errors."""


def _named(source):
    """``'SOURCE: '``, the head of a message about ``source`` (nothing without one)."""
    return f'{source}: ' if source else ''


def describe_keys(keys, limit=10):
    """How many keys, the first ones (sorted) and their top-level names, for error messages.

    Args:
        keys (Iterable[str]): Keys of a state dict (or the state dict).
        limit (int): Keys (and twice as many top-level names) shown at most. Defaults to 10.

    Returns:
        str: e.g. ``"3 keys: blocks.0.w, blocks.1.w, norm.w (top-level names ['blocks',
        'norm'])"``, or ``'no keys'``.

    Example:
        >>> describe_keys({'norm.bias': 0, 'head.weight': 1}, limit=1)
        "2 keys: head.weight, ... (top-level names ['head', 'norm'])"
    """
    keys = sorted(keys)
    if not keys:
        return 'no keys'
    shown = ', '.join(keys[:limit]) + (', ...' if len(keys) > limit else '')
    names = sorted({k.split('.')[0] for k in keys})
    more = ' ...' if len(names) > 2 * limit else ''
    return (f'{len(keys)} key{"s" if len(keys) > 1 else ""}: {shown} (top-level names '
            f'{names[:2 * limit]}{more})')


def describe_layouts(layouts):
    """The keys each layout of a release is recognised by, in one line.

    Args:
        layouts (dict): ``{name: keys}`` or ``{name: (where, keys)}``, ``where`` saying which
            code of the release writes that layout.

    Returns:
        str: ``'name (where): key, key; name2: key, ...'``.

    Example:
        >>> describe_layouts({'pretrain': ('models_mae.py MAE', ['cls_token', 'mask_token']),
        ...                   'encoder': ['cls_token']})
        'pretrain (models_mae.py MAE): cls_token, mask_token; encoder: cls_token'
    """
    parts = []
    for name, layout in layouts.items():
        where, keys = (
            layout if len(layout) == 2 and isinstance(layout[0], str)
            and not isinstance(layout[1], str) else (None, layout))
        parts.append(f'{name}{f" ({where})" if where else ""}: {", ".join(keys)}')
    return '; '.join(parts)


def _expected(expected):
    """``expected`` of the messages: layouts (dict), keys (sequence) or a text (str)."""
    if isinstance(expected, str):
        return expected
    if isinstance(expected, dict):
        return f'the keys of {describe_layouts(expected)}'
    return f'the keys {list(expected)}'


def unwrap_state_dict(checkpoint,
                      source=None,
                      wrappers=('model', 'state_dict'),
                      non_tensors='drop',
                      expected=None,
                      error=ReleaseLayoutError):
    """The state dict of a loaded release file: bare or under a wrapper, ``module.`` removed.

    The first of ``wrappers`` that holds a dict is taken (MAE-style pretraining scripts save
    ``{'model': ..., 'optimizer', 'epoch', 'args'}``, Dassl and mmengine ``{'state_dict': ...}``),
    else the dict itself; the ``module.`` prefix of (Distributed)DataParallel is removed from
    every key that has it (:func:`~.layouts.strip_module_prefix`, as sar_mm's loader does).

    Args:
        checkpoint (object): What the file holds.
        source (str, optional): The file, named at the head of every message.
        wrappers (Sequence[str]): Entries that may hold the state dict, in the order tried.
            Defaults to ``('model', 'state_dict')``.
        non_tensors (str): Entries that are not tensors: ``'drop'`` (default; only a state dict
            without any tensor is refused) or ``'raise'`` (any one is refused, and an empty
            dict).
        expected (dict | Sequence[str] | str, optional): What the release holds, added to the
            messages: layouts as :func:`describe_layouts` takes them, keys, or a text.
        error (type): The exception raised (the converter's). Defaults to
            :class:`ReleaseLayoutError`.

    Returns:
        dict: ``{key: Tensor}``, a new dict.

    Raises:
        error: ``checkpoint`` is not a dict, or not a state dict of tensors (as ``non_tensors``
            says); the message names ``source``, what was found and what was expected.

    Example:
        >>> ckpt = {'model': {'module.w': torch.ones(1)}, 'epoch': 3}
        >>> unwrap_state_dict(ckpt, 'ckpt.pth')
        {'w': tensor([1.])}
    """
    if non_tensors not in ('drop', 'raise'):
        raise ValueError(f"non_tensors must be 'drop' or 'raise', got {non_tensors!r}")
    head = _named(source)
    tail = '' if expected is None else f'; expected {_expected(expected)}'
    where = ' / '.join(f'"{name}"' for name in wrappers)
    if not isinstance(checkpoint, dict):
        raise error(f'{head}expected a state dict of tensors (bare or under {where}), got '
                    f'{type(checkpoint).__name__}{tail}')
    state_dict = checkpoint_state_dict(checkpoint, wrappers)
    others = [k for k, v in state_dict.items() if not torch.is_tensor(v)]
    if non_tensors == 'raise' and (others or not state_dict):
        raise error(f'{head}expected a state dict of tensors (bare or under {where}), found ' +
                    (f'non-tensor entries {others[:8]}' if state_dict else 'an empty dict') + tail)
    if len(others) == len(state_dict):
        raise error(f'{head}no tensors under {where} or at the top level; found '
                    f'{describe_keys(state_dict)}{tail}')
    return strip_module_prefix({k: v for k, v in state_dict.items() if torch.is_tensor(v)})


def read_release_checkpoint(path, allowed_globals=(), **kwargs):
    """Read a release file with sar_mm's safe loader and return its state dict.

    Args:
        path (str): The file.
        allowed_globals (Sequence): Globals the file may hold on top of sar_mm's allow-list
            (see :func:`~.io.load_checkpoint_file`), e.g. ``(argparse.Namespace, )`` for the
            ``args`` MAE-style pretraining scripts save. Defaults to none.
        **kwargs: ``wrappers``, ``non_tensors``, ``expected``, ``error`` of
            :func:`unwrap_state_dict`.

    Returns:
        dict: ``{key: Tensor}`` on the CPU.

    Raises:
        FileNotFoundError: no such file.
        UnsafeCheckpointError: it holds pickled objects off the allow-list (they are named).
        CorruptCheckpointError: it is truncated or corrupt.
        ReleaseLayoutError: (``error``) it holds no state dict; every message names ``path``.

    Example:
        >>> state_dict = read_release_checkpoint(
        ...     'checkpoint-799.pth', allowed_globals=(argparse.Namespace, ))
    """
    checkpoint = load_checkpoint_file(path, map_location='cpu', allowed_globals=allowed_globals)
    return unwrap_state_dict(checkpoint, source=path, **kwargs)


def layout_error(what, expected, found, source=None, missing=None, error=ReleaseLayoutError):
    """The refusal of a state dict that is not the layout a converter reads.

    Args:
        what (str): What it is not, e.g. ``'a SAR-JEPA checkpoint of github.com/...'``.
        expected (dict | Sequence[str] | str): The keys expected: layouts as
            :func:`describe_layouts` takes them, the keys, or a text.
        found (Iterable[str]): The keys found (or the state dict).
        source (str, optional): The file, named at the head of the message.
        missing (Sequence[str], optional): The expected keys that are missing.
        error (type): The exception class. Defaults to :class:`ReleaseLayoutError`.

    Returns:
        Exception: ``error`` with the message ``'SOURCE: not WHAT: expected ...; missing [...];
        found N keys: ...'``, to raise.
    """
    return error(f'{_named(source)}not {what}: expected {_expected(expected)}{_MODULE_NOTE}' +
                 (f'; missing {list(missing)}' if missing else '') +
                 f'; found {describe_keys(found)}')


def check_layout(state_dict, expected_keys, what, source=None, error=ReleaseLayoutError):
    """Refuse ``state_dict`` unless it has every key of ``expected_keys``.

    Args:
        state_dict (dict): The state dict (see :func:`unwrap_state_dict`).
        expected_keys (Sequence[str]): Keys every file of the layout has (its signature).
        what (str): The layout, for the message, e.g. ``'the DualResnet50 layout'``.
        source (str, optional): The file, named at the head of the message.
        error (type): The exception class. Defaults to :class:`ReleaseLayoutError`.

    Raises:
        error: a key is missing; the message (:func:`layout_error`) lists the keys expected,
            those missing and those found.

    Example:
        >>> check_layout({'fc.weight': torch.zeros(2, 2)}, ['conv1.weight', 'fc.weight'],
        ...              'a ResNet', 'r.pth')
        Traceback (most recent call last):
        ReleaseLayoutError: r.pth: not a ResNet: expected the keys ['conv1.weight', ...
    """
    missing = [k for k in expected_keys if k not in state_dict]
    if missing:
        raise layout_error(what, expected_keys, state_dict, source, missing, error)


def check_state_dict_fits(state_dict,
                          target,
                          what,
                          source=None,
                          ignore_prefixes=(),
                          error=ReleaseLayoutError):
    """Refuse a converted state dict unless its keys and shapes are exactly the model's.

    Args:
        state_dict (dict): The converted state dict.
        target (dict): The state dict of the model it is for (``model.state_dict()``).
        what (str): The model, for the message, e.g. ``"mmpretrain's resnet18"``.
        source (str, optional): The file converted, named at the head of the message.
        ignore_prefixes (Sequence[str]): Model keys under these prefixes are not required (a
            head or a projector the file may lack); converted keys under them must still fit.
        error (type): The exception class. Defaults to :class:`ReleaseLayoutError`.

    Raises:
        error: keys missing, unexpected or of another shape, listed sorted (the lines of
            :func:`~.surgery.describe_mismatch`).
    """
    ignore = tuple(ignore_prefixes)
    if ignore:
        target = {k: v for k, v in target.items() if not k.startswith(ignore)}
    report = compare_state_dicts(state_dict, target)
    if any(report.values()):
        report = {name: sorted(items) for name, items in report.items()}
        raise error(f'{_named(source)}the keys do not fit {what}:\n{describe_mismatch(report)}')


def save_converted(state_dict, out, meta):
    """Write a converter's output, ``{'state_dict': state_dict, 'meta': meta}``.

    The file is written under a temporary name then renamed
    (:func:`~.io.atomic_save_checkpoint`: no half-written file under ``out``, its folder is
    made), then read back with ``torch.load(weights_only=True)`` and torch's own allow-list:
    it must hold plain tensors and builtins only, so any sar_mm or mmengine config loads it.

    Args:
        state_dict (dict): The converted tensors.
        out (str): The local output path.
        meta (dict): What the conversion did, of builtins (str, numbers, lists, dicts, None).

    Raises:
        ValueError: ``meta`` (or ``state_dict``) holds other objects; nothing is left at
            ``out``.
    """
    atomic_save_checkpoint(dict(state_dict=state_dict, meta=meta), out)
    try:
        torch.load(out, map_location='cpu', weights_only=True, mmap=True)
    except pickle.UnpicklingError as err:
        os.remove(out)
        raise ValueError(f'{out}: not written: the converted checkpoint must hold plain tensors '
                         f'and builtins only (torch.load(weights_only=True)): {err}') from err


def converter_arg_parser(doc, src_help):
    """The command line every converter starts with: ``SRC DST``.

    Args:
        doc (str): The converter's module docstring; its first line describes the command.
        src_help (str): Help of ``SRC``, the release file.

    Returns:
        argparse.ArgumentParser: With ``src`` and ``dst`` (the output ``.pth``); add the
        converter's options to it.

    Example:
        >>> parser = converter_arg_parser(__doc__, 'SAR-JEPA checkpoint-*.pth')
        >>> parser.add_argument('--keep-head', action='store_true')
        >>> args = parser.parse_args(['in.pth', 'out.pth'])
    """
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument('src', help=src_help)
    parser.add_argument('dst', help='output checkpoint (.pth)')
    return parser
