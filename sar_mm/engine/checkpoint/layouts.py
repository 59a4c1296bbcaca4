"""Key layouts: where a checkpoint's weights are, and what one architecture's keys are called.

* :func:`checkpoint_state_dict` is the weights of a checkpoint (its ``state_dict`` or ``model``
  entry, or the dict itself), :func:`strip_module_prefix` drops the ``module.`` of
  (Distributed)DataParallel and :func:`extract_backbone` keeps the keys under a prefix
  (``backbone.``) without it;
* :func:`mmpretrain_vit_to_mmseg` / :func:`mmseg_vit_to_mmpretrain` rename the keys of a ViT
  between mmpretrain's ``VisionTransformer`` (also used by mmdet configs as
  ``mmpretrain.VisionTransformer``) and mmseg's own ``VisionTransformer``;
* :func:`match_key_layout` renames keys between the layouts the codebases give one architecture
  (ViT: mmpretrain / mmseg; ResNetV1c/V1d deep stem: mmpretrain's ``ConvModule`` / mmdet's and
  mmseg's plain ``Sequential``) when that makes a checkpoint fit a model.

Every renaming is logged with mmengine's current logger.
"""
import re
from collections import Counter

from mmengine.logging import print_log


def checkpoint_state_dict(checkpoint, keys=('state_dict', 'model')):
    """The weights of a loaded checkpoint: its ``state_dict`` (or ``model``) entry, else itself.

    Args:
        checkpoint (dict): A checkpoint as mmengine's Runner saves it (``state_dict``), one with
            a ``model`` entry (DeiT/MAE releases) or a bare state dict.
        keys (Sequence[str]): The entries that may hold the weights, the first one present (and
            a dict) wins. Defaults to ``('state_dict', 'model')``.

    Returns:
        dict: The state dict (not a copy).
    """
    for name in keys:
        if isinstance(checkpoint.get(name), dict):
            return checkpoint[name]
    return checkpoint


def strip_module_prefix(state_dict):
    """Keys without the ``module.`` of (Distributed)DataParallel, as mmengine's loader does."""
    return {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}


def prefix_counts(keys, depth=1):
    """``"'backbone.' (12 keys), 'head.' (2 keys)"``: the prefixes of ``keys``, for errors."""
    counts = Counter('.'.join(k.split('.')[:depth]) + ('.' if k.count('.') >= depth else '')
                     for k in keys)
    return ', '.join(f'{p!r} ({n} keys)' for p, n in sorted(counts.items()))


def extract_backbone(state_dict, prefix='backbone.'):
    """The entries of ``state_dict`` under ``prefix``, with the prefix removed.

    Args:
        state_dict (dict): A model state dict (a whole checkpoint with a ``state_dict`` entry is
            accepted too).
        prefix (str): Prefix of the sub-module to keep, e.g. ``'backbone.'`` (mmpretrain
            classifiers and self-supervised models, mmdet detectors, mmseg segmentors) or
            ``'target_encoder.'``. A missing trailing dot is added. ``''`` keeps everything.

    Returns:
        dict: ``{key_without_prefix: value}`` in the original order.

    Raises:
        KeyError: no key starts with ``prefix``; the message lists the prefixes there are.
    """
    state_dict = checkpoint_state_dict(state_dict)
    if prefix and not prefix.endswith('.'):
        prefix += '.'
    out = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not out:
        raise KeyError(f'no key of the checkpoint starts with {prefix!r}; available prefixes: '
                       f'{prefix_counts(state_dict) or "none (empty state dict)"}')
    return out


def _rename(state_dict, rules):
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in rules:
            key, n = re.subn(pattern, repl, key)
            if n:
                break
        out[key] = value
    return out


# mmpretrain VisionTransformer -> mmseg VisionTransformer key names. Everything else (cls_token,
# pos_embed, patch_embed.projection, layers.i.ln1/ln2, layers.i.ffn.layers.*, final ln1) is
# named alike. mmpretrain's qkv Linear (q, k, v stacked, heads inside) is laid out exactly like
# nn.MultiheadAttention's in_proj, which mmseg's layers wrap as ``attn.attn``.
_MMPRETRAIN_TO_MMSEG = (
    (r'^layers\.(\d+)\.attn\.qkv\.(weight|bias)$', r'layers.\1.attn.attn.in_proj_\2'),
    (r'^layers\.(\d+)\.attn\.proj\.(weight|bias)$', r'layers.\1.attn.attn.out_proj.\2'),
    (r'^pre_norm\.(weight|bias)$', r'ln_pre.\1'),
)
_MMSEG_TO_MMPRETRAIN = (
    (r'^layers\.(\d+)\.attn\.attn\.in_proj_(weight|bias)$', r'layers.\1.attn.qkv.\2'),
    (r'^layers\.(\d+)\.attn\.attn\.out_proj\.(weight|bias)$', r'layers.\1.attn.proj.\2'),
    (r'^ln_pre\.(weight|bias)$', r'pre_norm.\1'),
)


def mmpretrain_vit_to_mmseg(state_dict):
    """Rename an mmpretrain ``VisionTransformer`` state dict for mmseg's ``VisionTransformer``.

    ``layers.i.attn.qkv.*`` -> ``layers.i.attn.attn.in_proj_*``, ``layers.i.attn.proj.*`` ->
    ``layers.i.attn.attn.out_proj.*``, ``pre_norm.*`` -> ``ln_pre.*``; the rest is kept. The
    ``ln2`` of ``out_type='avg_featmap'`` has no mmseg counterpart and is dropped (logged); layer
    scale (``gamma``) parameters are refused. The mmseg backbone needs ``patch_bias=True`` (unless
    the ViT used ``pre_norm``), ``final_norm=True`` if the ViT had ``final_norm``, the same
    ``norm_cfg`` eps (mmpretrain: 1e-6) and ``mlp_ratio = feedforward_channels / embed_dims``.
    """
    unsupported = [k for k in state_dict if any(p.startswith('gamma') for p in k.split('.'))]
    if unsupported:
        raise ValueError('mmseg VisionTransformer has no layer scale; cannot convert '
                         f'{unsupported[:5]}')
    dropped = [k for k in state_dict if k.startswith('ln2.')]
    if dropped:
        print_log(
            f'dropped {dropped} (mmpretrain avg_featmap norm; no mmseg counterpart)',
            logger='current')
    return _rename({k: v for k, v in state_dict.items() if k not in dropped}, _MMPRETRAIN_TO_MMSEG)


def mmseg_vit_to_mmpretrain(state_dict):
    """Inverse of :func:`mmpretrain_vit_to_mmseg` (mmseg ViT keys to mmpretrain's)."""
    return _rename(dict(state_dict), _MMSEG_TO_MMPRETRAIN)


# ResNetV1c / V1d deep stem: mmpretrain builds it from three ConvModules (stem.i.conv, stem.i.bn),
# mmdet and mmseg from a plain Sequential of (conv, norm, ReLU) x 3 (stem.3i, stem.3i+1).
_NORM_NAMES = r'(?:bn|gn|ln|in)'
_MMPRETRAIN_STEM_TO_PLAIN = (
    (r'^stem\.(\d+)\.conv\.weight$', lambda m: f'stem.{3 * int(m.group(1))}.weight'),
    (rf'^stem\.(\d+)\.{_NORM_NAMES}\.(\w+)$',
     lambda m: f'stem.{3 * int(m.group(1)) + 1}.{m.group(2)}'),
)
_PLAIN_STEM_TO_MMPRETRAIN = (
    (r'^stem\.(\d+)\.(\w+)$', lambda m:
     (f'stem.{int(m.group(1)) // 3}.conv.{m.group(2)}'
      if int(m.group(1)) % 3 == 0 else f'stem.{int(m.group(1)) // 3}.bn.{m.group(2)}')), )

# (description, renaming rules) of the key layouts match_key_layout tries.
_KEY_LAYOUTS = (
    ('mmpretrain VisionTransformer -> mmseg VisionTransformer', _MMPRETRAIN_TO_MMSEG),
    ('mmseg VisionTransformer -> mmpretrain VisionTransformer', _MMSEG_TO_MMPRETRAIN),
    ('mmpretrain deep stem (ConvModule) -> mmdet/mmseg deep stem (Sequential)',
     _MMPRETRAIN_STEM_TO_PLAIN),
    ('mmdet/mmseg deep stem (Sequential) -> mmpretrain deep stem (ConvModule)',
     _PLAIN_STEM_TO_MMPRETRAIN),
)


def match_key_layout(state_dict, target_keys):
    """Rename ``state_dict`` to the known key layout that fits ``target_keys`` best.

    The same architecture has different key names in different codebases: mmpretrain's and
    mmseg's ``VisionTransformer`` (attention projections, pre-norm), and the ResNetV1c/V1d deep
    stem of mmpretrain (``stem.i.conv``/``stem.i.bn``) and of mmdet/mmseg (``stem.3i``,
    ``stem.3i+1``). Each known renaming is tried; the one under which most checkpoint keys are
    model keys wins, if it beats the names as they are (then it is logged).

    Args:
        state_dict (dict): Checkpoint state dict (keys relative to the model).
        target_keys (Iterable[str]): The model's state-dict keys.

    Returns:
        tuple[dict, str | None]: The (possibly renamed) state dict and the description of the
        renaming applied, or None.
    """
    keys = set(target_keys)
    best, best_hits, best_name = state_dict, len(keys.intersection(state_dict)), None
    for name, rules in _KEY_LAYOUTS:
        renamed = _rename(state_dict, rules)
        hits = len(keys.intersection(renamed))
        if hits > best_hits:
            best, best_hits, best_name = renamed, hits, name
    if best_name is not None:
        changed = len(set(best) - set(state_dict))
        print_log(
            f'renamed {changed} checkpoint keys to fit the model: {best_name}', logger='current')
    return best, best_name
