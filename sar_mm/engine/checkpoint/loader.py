"""The one way sar_mm loads weights into a model: :func:`load_weights_strictly`.

mmengine's ``load_checkpoint`` only warns about missing or unexpected keys, so a checkpoint of
another architecture leaves random weights in place. Every sar_mm path that puts weights into a
module goes through :func:`load_weights_strictly` instead: the inference APIs, the explained
model of the KP explainers, the ``Pretrained`` initialiser (:mod:`.pretrained_init`) and the
tools (``attention_distance.py``, ``explain_kp.py``, ``vis_sar_jepa.py``). It reads the file with
sar_mm's safe loader (:mod:`.io`), finds the weights in the checkpoint and the sub-module asked
for (:mod:`.layouts`), adapts input channels, position embeddings and key layouts (logged;
:mod:`.surgery`) and raises :class:`~.surgery.CheckpointMismatchError`, naming the file and
listing the missing and unexpected keys and the shape mismatches, for any difference left that
the caller did not allow.
"""
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from .layouts import checkpoint_state_dict, extract_backbone, strip_module_prefix
from .surgery import CheckpointMismatchError, _adapt, describe_mismatch

_POLICIES = ('raise', 'warn')


def _extract_prefix(state_dict, prefix, source):
    """``(state dict, prefix used)``: the keys under the first prefix of ``prefix`` (str or
    sequence) the state dict has keys under, without it (``''``: all keys, as they are)."""
    first_error = None
    for candidate in [prefix] if isinstance(prefix, str) else list(prefix):
        if not candidate:
            return state_dict, ''
        try:
            return extract_backbone(state_dict, candidate), candidate
        except KeyError as err:  # lists the prefixes there are
            first_error = first_error or err
    raise CheckpointMismatchError(f'{source}: {first_error.args[0]}') from None


def _prefix_hint(report):
    """Prefixes that, stripped from unexpected keys, give missing ones (a forgotten prefix)."""
    missing = set(report['missing'])
    found = {
        k.split('.')[0] + '.'
        for k in report['unexpected'] if '.' in k and k.split('.', 1)[1] in missing
    }
    if not found:
        return ''
    return (f'\n  (the checkpoint has keys under {sorted(found)}: set init_cfg prefix (the '
            f"loader's prefix argument), e.g. prefix={sorted(found)[0]!r})")


def load_weights_strictly(model,
                          checkpoint,
                          source=None,
                          target=None,
                          *,
                          prefix=None,
                          exclude_prefixes=(),
                          missing='raise',
                          unexpected='raise',
                          first_layer_key=None,
                          map_location='cpu',
                          logger=None):
    """Load a checkpoint into ``model``: every key must fit, after adaptation.

    Steps: read the file (any mmengine ``CheckpointLoader`` scheme; local files with sar_mm's
    safe loader), take its ``state_dict`` / ``model`` entry, drop a ``module.`` prefix of
    (Distributed)DataParallel, keep the keys under ``prefix`` (without it), drop the keys under
    ``exclude_prefixes``, adapt key layouts, input channels and position embeddings
    (:func:`~.surgery.adapt_state_dict_to_model`, each logged), then compare with
    ``model.state_dict()``. Shape mismatches always raise; missing and unexpected keys raise or
    are logged as a warning as ``missing`` / ``unexpected`` say. BatchNorm
    ``num_batches_tracked`` counters are never required (torchvision checkpoints lack them).

    Args:
        model (nn.Module): The model (or sub-module) to load into.
        checkpoint (str | dict): A checkpoint file or URL, or a checkpoint already loaded (with
            a ``state_dict`` / ``model`` entry, or a state dict).
        source (str, optional): Name of the checkpoint in messages (default: the path).
        target (str, optional): What ``model`` is, for messages; its class name is added.
            Defaults to the class name alone.
        prefix (str | Sequence[str], optional): Sub-module of the checkpoint to load, e.g.
            ``'backbone.'`` to load a whole model's checkpoint into its backbone. A sequence
            takes the first prefix the checkpoint has keys under, ``''`` standing for the keys as
            they are: ``('backbone.', '')`` loads a whole-model or a backbone-only checkpoint.
            None or ``''``: the whole state dict.
        exclude_prefixes (Sequence[str]): Keys under these prefixes are neither loaded from the
            checkpoint nor required from the model (those parameters keep their values), e.g.
            ``('explained.',)`` for a KP explainer whose explained model is loaded separately.
        missing (str): ``'raise'`` (default) or ``'warn'`` (keep the module's values) for model
            keys the checkpoint does not provide.
        unexpected (str): ``'raise'`` (default) or ``'warn'`` (ignore them) for checkpoint keys
            the model does not have.
        first_layer_key (str, optional): Name of the input layer's weight when it is not a known
            one (see :data:`~.surgery.FIRST_LAYER_KEYS`).
        map_location (str): Where to load tensors. Defaults to ``'cpu'``.
        logger (str, optional): Where to log the reading of the file and a summary of what was
            loaded (``'current'``: mmengine's current logger). Defaults to None: only the
            adaptations and tolerated differences are logged (to the current logger).

    Returns:
        dict: The checkpoint (its ``meta`` holds ``dataset_meta`` when the Runner saved it).

    Raises:
        FileNotFoundError: no such file.
        UnsafeCheckpointError: the file holds pickled objects off the allow-list.
        CheckpointMismatchError: naming ``source`` and listing the missing and unexpected keys
            and the shape mismatches.
    """
    for name, value in (('missing', missing), ('unexpected', unexpected)):
        if value not in _POLICIES:
            raise ValueError(f"load_weights_strictly: {name} must be 'raise' or 'warn', got "
                             f'{value!r}')
    if isinstance(checkpoint, str):
        source = source or checkpoint
        checkpoint = CheckpointLoader.load_checkpoint(
            checkpoint, map_location=map_location, logger=logger or 'silent')
    source = source or 'the checkpoint'
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'{source}: expected a checkpoint dict, got '
                                      f'{type(checkpoint).__name__}')
    state_dict = strip_module_prefix(checkpoint_state_dict(checkpoint))
    described = source
    if prefix:
        state_dict, chosen = _extract_prefix(state_dict, prefix, source)
        if chosen:
            described = f'{chosen!r} of {source}'
    excluded = tuple(exclude_prefixes)
    if excluded:
        state_dict = {k: v for k, v in state_dict.items() if not k.startswith(excluded)}

    name = type(model).__name__
    state_dict, report = _adapt(state_dict, model, first_layer_key=first_layer_key)
    report['missing'] = [
        k for k in report['missing']
        if not k.endswith('num_batches_tracked') and not (excluded and k.startswith(excluded))
    ]
    if (report['mismatched'] or (report['missing'] and missing == 'raise')
            or (report['unexpected'] and unexpected == 'raise')):
        what = name if target is None else f'{target} ({name})'
        policy = ('' if missing == unexpected == 'raise' else
                  f'missing={missing!r}, unexpected={unexpected!r}; ')
        hint = _prefix_hint(report) if not prefix else ''
        raise CheckpointMismatchError(
            f'{described} does not fit {what} ({policy}after adapting: '
            f'{report["adapted"] or "nothing"}):\n{describe_mismatch(report)}{hint}')
    if report['missing'] or report['unexpected']:
        print_log(
            f'{described} -> {name}: loaded with differences:\n'
            f'{describe_mismatch(report)}',
            logger=logger or 'current',
            level=30)
    model.load_state_dict(state_dict, strict=False)
    if logger is not None:
        print_log(
            f'loaded {len(state_dict) - len(report["unexpected"])} tensors from '
            f'{described} into {name}' +
            (f' (adapted: {"; ".join(report["adapted"])})' if report['adapted'] else ''),
            logger=logger)
    return checkpoint
