"""Reuse a SAR-pretrained backbone elsewhere: extract it, change its input channels or grid size.

A backbone pretrained on 1-channel SAR (a ViT or a CNN) is often wanted in a model that takes
3 channels (an RGB-pretrained pipeline, or SAR stacked with derived bands) or larger images.
The functions here make such a checkpoint fit:

* :func:`extract_backbone` keeps the keys under a prefix (``backbone.``) without it, so that
  ``init_cfg=dict(type='Pretrained', checkpoint=...)`` loads it into any backbone of the same
  architecture, in mmpretrain, mmdet or mmseg, with no ``prefix``;
* :func:`adapt_input_channels` changes the input channels of the first convolution / patch
  projection so that the response to a grey image (all channels equal) is unchanged;
* :func:`interpolate_pos_embed` resizes a ViT's position embedding to a new patch grid (bicubic);
* :func:`adapt_state_dict_to_model` applies both to fit a given model, and fails with the list of
  missing and unexpected keys and shape mismatches when the architectures differ;
* :func:`mmpretrain_vit_to_mmseg` / :func:`mmseg_vit_to_mmpretrain` rename the keys of a ViT
  between mmpretrain's ``VisionTransformer`` (also used by mmdet configs as
  ``mmpretrain.VisionTransformer``) and mmseg's own ``VisionTransformer``;
* :func:`convert_backbone_checkpoint` chains them (``tools/model_converters/extract_backbone.py``);
* :func:`match_key_layout` renames keys between the layouts the codebases give one architecture
  (ViT: mmpretrain / mmseg; ResNetV1c/V1d deep stem: mmpretrain's ``ConvModule`` / mmdet's and
  mmseg's plain ``Sequential``) when that makes a checkpoint fit a model;
* :class:`AdaptivePretrainedInit` replaces mmengine's ``Pretrained`` initialiser, so every
  ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)`` of mmpretrain, mmdet and
  mmseg configs goes through :func:`adapt_state_dict_to_model` and fails on missing keys instead
  of silently keeping random weights.

Every adaptation is logged with mmengine's current logger.
"""
import math
import re
from collections import Counter

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS

# Names of the first (input) layer's weight, relative to the backbone, tried in this order.
FIRST_LAYER_KEYS = (
    'patch_embed.projection.weight',  # mmcv PatchEmbed: ViT/DeiT/Swin of mmpretrain, mmseg, mmdet
    'patch_embed.proj.weight',  # timm ViT
    'conv1.weight',  # ResNet (style 'pytorch'/'caffe'), torchvision ResNet
    'stem.0.conv.weight',  # mmpretrain ResNetV1c/V1d deep stem (ConvModule)
    'stem.0.weight',  # mmdet / mmseg ResNetV1c/V1d deep stem (plain conv)
    'stem.conv.weight',
    'downsample_layers.0.0.weight',  # ConvNeXt
    'features.0.weight',  # VGG / torchvision-style
)


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit a model, even after channel and position-embedding adaptation."""


def _log(msg):
    print_log(msg, logger='current')


def _unwrap(checkpoint):
    """The ``state_dict`` (or ``model``) entry of a checkpoint, or the dict itself."""
    for name in ('state_dict', 'model'):
        if isinstance(checkpoint.get(name), dict):
            return checkpoint[name]
    return checkpoint


def _prefix_counts(keys, depth=1):
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
    state_dict = _unwrap(state_dict)
    if prefix and not prefix.endswith('.'):
        prefix += '.'
    out = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not out:
        raise KeyError(
            f'no key of the checkpoint starts with {prefix!r}; available prefixes: '
            f'{_prefix_counts(state_dict) or "none (empty state dict)"}')
    return out


def find_first_layer_key(state_dict, first_layer_key=None):
    """Name of the input layer's weight (4-D) in a backbone state dict.

    Args:
        state_dict (dict): Backbone state dict (keys without the ``backbone.`` prefix).
        first_layer_key (str, optional): Use this key; it must exist and be 4-D.

    Returns:
        str: ``first_layer_key``, else the first of :data:`FIRST_LAYER_KEYS` present, else the
        first 4-D ``*weight`` tensor of the state dict (logged as a guess).
    """
    conv_keys = [k for k, v in state_dict.items()
                 if torch.is_tensor(v) and v.ndim == 4 and k.endswith('weight')]
    if first_layer_key is not None:
        if first_layer_key not in state_dict or state_dict[first_layer_key].ndim != 4:
            raise KeyError(f'first_layer_key {first_layer_key!r} is not a 4-D weight of the '
                           f'state dict; 4-D weights: {conv_keys[:20]}')
        return first_layer_key
    for key in FIRST_LAYER_KEYS:
        if key in state_dict and torch.is_tensor(state_dict[key]) \
                and state_dict[key].ndim == 4:
            return key
    if not conv_keys:
        raise KeyError('the state dict has no 4-D (convolution) weight to adapt; keys: '
                       f'{list(state_dict)[:20]}')
    _log(f'no known input-layer name ({", ".join(FIRST_LAYER_KEYS)}); taking the first 4-D '
         f'weight {conv_keys[0]!r} as the input layer (set first_layer_key to override)')
    return conv_keys[0]


def adapt_input_channels(weight, channels):
    """Change the input channels of a conv / patch-projection weight ``[O, C_in, kh, kw]``.

    The rule keeps the layer's response to a *grey* image (every channel equal to ``x``), which
    is ``sum_c W[:, c] * x``, so features of a single-band SAR image fed as N identical
    channels are what the pretrained model computed:

    * ``C_in -> C_in``: unchanged;
    * ``C_out`` a multiple of ``C_in`` (1->3, 3->6): tile the channels and scale by
      ``C_in / C_out`` (1->3: repeat and divide by 3);
    * ``C_in`` a multiple of ``C_out`` (3->1, 6->3): sum the channels ``j, j + C_out, ...``
      into channel ``j`` (3->1: the sum over channels; undoes a tiling exactly);
    * otherwise (e.g. 2->3): every new channel is ``sum_c W[:, c] / C_out``.

    Args:
        weight (Tensor): ``[O, C_in, kh, kw]``.
        channels (int): New number of input channels.

    Returns:
        Tensor: ``[O, channels, kh, kw]`` of the same dtype.
    """
    if weight.ndim != 4:
        raise ValueError(f'expected a 4-D weight [O, C_in, kh, kw], got {tuple(weight.shape)}')
    if channels < 1:
        raise ValueError(f'channels must be >= 1, got {channels}')
    c_in = weight.shape[1]
    if channels == c_in:
        return weight.clone()
    w = weight.float()
    if channels % c_in == 0:
        new = w.repeat(1, channels // c_in, 1, 1) * (c_in / channels)
    elif c_in % channels == 0:
        new = w.reshape(w.shape[0], c_in // channels, channels, *w.shape[2:]).sum(1)
    else:
        new = w.sum(1, keepdim=True).repeat(1, channels, 1, 1) / channels
    return new.to(weight.dtype).contiguous()


def _grid_from_length(length, num_extra_tokens):
    n = length - num_extra_tokens
    side = math.isqrt(max(n, 0))
    if n <= 0 or side * side != n:
        raise ValueError(
            f'cannot infer the patch grid of a position embedding with {length} tokens and '
            f'{num_extra_tokens} extra token(s): {n} is not a square; pass src_hw')
    return side, side


def interpolate_pos_embed(pos_embed, new_hw, num_extra_tokens=1, src_hw=None, mode='bicubic'):
    """Resize a ViT position embedding ``[1, num_extra + H*W, D]`` to the grid ``new_hw``.

    The extra tokens (class / distillation token) are kept; the patch part is treated as a
    ``D``-channel ``H x W`` image (row-major, as patch tokens are flattened) and resized with
    ``F.interpolate(mode, align_corners=False)``, in float32.

    Args:
        pos_embed (Tensor): ``[1, num_extra_tokens + H*W, D]``.
        new_hw (tuple[int, int]): New patch grid (rows, columns).
        num_extra_tokens (int): Leading tokens that are not patches. Defaults to 1.
        src_hw (tuple[int, int], optional): Current grid; inferred as square when omitted.
        mode (str): Interpolation mode. Defaults to ``'bicubic'``.

    Returns:
        Tensor: ``[1, num_extra_tokens + new_h*new_w, D]`` of the same dtype.
    """
    if pos_embed.ndim != 3:
        raise ValueError(f'pos_embed must be [1, L, D], got {tuple(pos_embed.shape)}')
    length, dim = pos_embed.shape[1], pos_embed.shape[2]
    src_hw = tuple(src_hw) if src_hw is not None else _grid_from_length(length, num_extra_tokens)
    new_hw = tuple(int(s) for s in new_hw)
    if src_hw[0] * src_hw[1] + num_extra_tokens != length:
        raise ValueError(f'pos_embed has {length} tokens, not {num_extra_tokens} + '
                         f'{src_hw[0]}x{src_hw[1]}')
    extra = pos_embed[:, :num_extra_tokens]
    grid = pos_embed[:, num_extra_tokens:].reshape(pos_embed.shape[0], *src_hw, dim)
    grid = F.interpolate(grid.permute(0, 3, 1, 2).float(), size=new_hw, mode=mode,
                         align_corners=False)
    grid = grid.flatten(2).transpose(1, 2).to(pos_embed.dtype)
    out = torch.cat([extra, grid], dim=1).contiguous()
    _log(f'position embedding resized from a {src_hw[0]}x{src_hw[1]} to a '
         f'{new_hw[0]}x{new_hw[1]} patch grid ({mode}, {num_extra_tokens} extra token(s) kept): '
         f'{tuple(pos_embed.shape)} -> {tuple(out.shape)}')
    return out


def _owner(model, key):
    """The module that owns parameter ``key`` of ``model`` (``model`` itself if top-level)."""
    path = key.rsplit('.', 1)[0] if '.' in key else ''
    try:
        return model.get_submodule(path) if path else model
    except AttributeError:
        return None


def _target_grid(module, num_tokens, num_extra_tokens):
    """Patch grid a ViT module was built for (mmpretrain, mmseg), else a square grid."""
    init_out_size = getattr(getattr(module, 'patch_embed', None), 'init_out_size', None)
    if init_out_size is not None and init_out_size[0] * init_out_size[1] + num_extra_tokens \
            == num_tokens:
        return tuple(init_out_size)
    img_size, patch_size = getattr(module, 'img_size', None), getattr(module, 'patch_size', None)
    if img_size is not None and isinstance(patch_size, int):  # mmseg
        hw = (img_size[0] // patch_size, img_size[1] // patch_size)
        if hw[0] * hw[1] + num_extra_tokens == num_tokens:
            return hw
    return _grid_from_length(num_tokens, num_extra_tokens)


def _num_extra_tokens(module):
    if module is not None and isinstance(getattr(module, 'num_extra_tokens', None), int):
        return module.num_extra_tokens  # mmpretrain ViT / DeiT
    count = 0
    for name in ('cls_token', 'dist_token'):
        if module is not None and getattr(module, name, None) is not None:
            count += 1
    return count


def adapt_state_dict_to_model(state_dict, model, first_layer_key=None, num_extra_tokens=None,
                              strict=True, match_layout=True):
    """Adapt ``state_dict`` to ``model``'s input channels and ViT grid, then check it fits.

    First, with ``match_layout``, keys are renamed to another codebase's layout of the same
    architecture when that fits the model better (:func:`match_key_layout`, logged). Then two
    differences are adapted (each logged): the input channels of the first layer
    (:func:`find_first_layer_key` on the model's keys, or ``first_layer_key``;
    :func:`adapt_input_channels`) and the patch grid of every ``*pos_embed`` of shape
    ``[1, L, D]`` (:func:`interpolate_pos_embed`; the source grid is taken as square, the
    target grid and the number of extra tokens from the owning module).

    Args:
        state_dict (dict): Keys as in ``model.state_dict()`` (use :func:`extract_backbone`
            first to load a whole model's checkpoint into a backbone).
        model (nn.Module): The target model.
        first_layer_key (str, optional): Input layer's weight name, if not a known one.
        num_extra_tokens (int, optional): Override the extra-token count of position
            embeddings (default: the owning module's ``num_extra_tokens``, else the number of
            ``cls_token`` / ``dist_token`` it has).
        strict (bool): Raise when keys are missing or unexpected. Shape mismatches left after
            adaptation always raise. Defaults to True.
        match_layout (bool): Try the known key layouts (:func:`match_key_layout`). Defaults
            to True.

    Returns:
        tuple[dict, dict]: The adapted state dict (new dict; untouched tensors shared) and a
        report ``dict(adapted=[str], missing=[str], unexpected=[str],
        mismatched=[(key, ckpt_shape, model_shape)])``.

    Raises:
        CheckpointMismatchError: listing missing and unexpected keys and shape mismatches.
    """
    target = model.state_dict()
    new = dict(_unwrap(state_dict))
    report = dict(adapted=[], missing=[], unexpected=[], mismatched=[])
    if match_layout:
        new, layout = match_key_layout(new, target)
        if layout is not None:
            report['adapted'].append(f'key names: {layout}')

    def shape(t):
        return tuple(t.shape)

    # Input channels of the first layer.
    channel_mismatch = any(
        v.ndim == 4 and torch.is_tensor(new.get(k)) and new[k].ndim == 4
        and new[k].shape[1] != v.shape[1] for k, v in target.items())
    key = find_first_layer_key(target, first_layer_key) if channel_mismatch else None
    if key is not None and key in new and torch.is_tensor(new[key]) and new[key].ndim == 4:
        src, dst = shape(new[key]), shape(target[key])
        if src != dst and src[0] == dst[0] and src[2:] == dst[2:]:
            new[key] = adapt_input_channels(new[key], dst[1])
            msg = f'{key}: input channels {src[1]} -> {dst[1]} ({tuple(src)} -> {tuple(dst)})'
            report['adapted'].append(msg)
            _log(f'adapted {msg}')

    # Position embeddings.
    for k, t in target.items():
        if k.split('.')[-1] != 'pos_embed' or k not in new or t.ndim != 3:
            continue
        src, dst = shape(new[k]), shape(t)
        if src == dst or src[0] != dst[0] or src[2] != dst[2] or len(src) != 3:
            continue
        owner = _owner(model, k)
        extra = num_extra_tokens if num_extra_tokens is not None else _num_extra_tokens(owner)
        new_hw = _target_grid(owner, dst[1], extra)
        src_hw = _grid_from_length(src[1], extra)
        new[k] = interpolate_pos_embed(new[k], new_hw, extra, src_hw)
        msg = (f'{k}: patch grid {src_hw[0]}x{src_hw[1]} -> {new_hw[0]}x{new_hw[1]} '
               f'({src} -> {dst})')
        report['adapted'].append(msg)
        _log(f'adapted {msg}')

    report['missing'] = [k for k in target if k not in new]
    report['unexpected'] = [k for k in new if k not in target]
    report['mismatched'] = [(k, shape(new[k]), shape(target[k])) for k in target
                            if k in new and torch.is_tensor(new[k])
                            and shape(new[k]) != shape(target[k])]
    if report['mismatched'] or (strict and (report['missing'] or report['unexpected'])):
        raise CheckpointMismatchError(
            f'the checkpoint does not fit {type(model).__name__} (after adapting: '
            f'{report["adapted"] or "nothing"}):\n' + _describe(report))
    return new, report


def _describe(report, limit=30):
    lines = []
    for name in ('missing', 'unexpected'):
        keys = report[name]
        if keys:
            more = f' ... and {len(keys) - limit} more' if len(keys) > limit else ''
            lines.append(f'  {name} keys ({len(keys)}): {", ".join(keys[:limit])}{more}')
    if report['mismatched']:
        items = [f'{k}: checkpoint {s} vs model {d}' for k, s, d in report['mismatched'][:limit]]
        lines.append(f'  shape mismatches ({len(report["mismatched"])}): ' + '; '.join(items))
    return '\n'.join(lines)


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


def _rename(state_dict, rules):
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in rules:
            key, n = re.subn(pattern, repl, key)
            if n:
                break
        out[key] = value
    return out


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
        _log(f'dropped {dropped} (mmpretrain avg_featmap norm; no mmseg counterpart)')
    return _rename({k: v for k, v in state_dict.items() if k not in dropped},
                   _MMPRETRAIN_TO_MMSEG)


def mmseg_vit_to_mmpretrain(state_dict):
    """Inverse of :func:`mmpretrain_vit_to_mmseg` (mmseg ViT keys to mmpretrain's)."""
    return _rename(dict(state_dict), _MMSEG_TO_MMPRETRAIN)


def convert_backbone_checkpoint(checkpoint, prefix='backbone.', in_channels=None, img_size=None,
                                patch_size=None, first_layer_key=None, num_extra_tokens=None,
                                key_format='mmpretrain'):
    """Make a backbone-only state dict from a (whole-model) checkpoint, adapted as asked.

    This is what ``tools/model_converters/extract_backbone.py`` does.

    Args:
        checkpoint (dict): A loaded checkpoint (with ``state_dict``) or a state dict.
        prefix (str): Sub-module to extract (:func:`extract_backbone`); ``''`` keeps all keys.
        in_channels (int, optional): New input channels (:func:`adapt_input_channels`).
        img_size (tuple[int, int], optional): New image size (H, W) of a ViT; its position
            embedding is resized to the grid ``(H // P, W // P)``.
        patch_size (int, optional): Patch size ``P``; defaults to the stride of the patch
            projection. A patch size other than the checkpoint's is refused.
        first_layer_key (str, optional): Input layer's weight name if not a known one.
        num_extra_tokens (int, optional): Extra tokens of the position embedding; default: one
            per ``cls_token`` / ``dist_token`` in the state dict.
        key_format (str): ``'mmpretrain'`` (keys as they are: mmpretrain, and mmdet configs
            using ``mmpretrain.VisionTransformer`` or any mmpretrain/mmdet CNN) or ``'mmseg'``
            (:func:`mmpretrain_vit_to_mmseg`).

    Returns:
        tuple[dict, list[str]]: ``{key: contiguous tensor}`` and the list of what was done.
    """
    if key_format not in ('mmpretrain', 'mmseg'):
        raise ValueError(f"key_format must be 'mmpretrain' or 'mmseg', got {key_format!r}")
    source = _unwrap(checkpoint)
    state_dict = extract_backbone(source, prefix) if prefix else dict(source)
    done = [f'kept {len(state_dict)} of {len(source)} entries'
            + (f' under {prefix!r} (prefix removed)' if prefix else '')]
    skipped = [k for k, v in state_dict.items() if not torch.is_tensor(v)]
    if skipped:
        done.append(f'dropped non-tensor entries {skipped}')
    state_dict = {k: v for k, v in state_dict.items() if torch.is_tensor(v)}

    if in_channels is not None:
        key = find_first_layer_key(state_dict, first_layer_key)
        old = state_dict[key]
        state_dict[key] = adapt_input_channels(old, in_channels)
        msg = f'{key}: input channels {old.shape[1]} -> {in_channels}'
        _log(f'adapted {msg}')
        done.append(msg)

    if img_size is not None:
        if 'pos_embed' not in state_dict:
            raise KeyError('img_size given but the backbone has no pos_embed; keys: '
                           f'{list(state_dict)[:20]}')
        proj = state_dict.get('patch_embed.projection.weight',
                              state_dict.get('patch_embed.proj.weight'))
        ckpt_patch = int(proj.shape[-1]) if proj is not None else None
        if patch_size is None:
            if ckpt_patch is None:
                raise ValueError('cannot tell the patch size from the checkpoint: pass it')
            patch_size = ckpt_patch
        elif ckpt_patch is not None and (proj.shape[-2], proj.shape[-1]) != (patch_size,
                                                                              patch_size):
            raise ValueError(f'the checkpoint\'s patch projection is {tuple(proj.shape[-2:])}; '
                             f'changing the patch size to {patch_size} is not supported')
        h, w = (img_size, img_size) if isinstance(img_size, int) else img_size
        if h % patch_size or w % patch_size:
            raise ValueError(f'img_size {h}x{w} is not a multiple of the patch size {patch_size}')
        if num_extra_tokens is None:
            num_extra_tokens = sum(name in state_dict for name in ('cls_token', 'dist_token'))
        old = state_dict['pos_embed']
        src_hw = _grid_from_length(old.shape[1], num_extra_tokens)
        new_hw = (h // patch_size, w // patch_size)
        if src_hw != new_hw:
            state_dict['pos_embed'] = interpolate_pos_embed(old, new_hw, num_extra_tokens, src_hw)
            done.append(f'pos_embed: patch grid {src_hw[0]}x{src_hw[1]} -> '
                        f'{new_hw[0]}x{new_hw[1]} (image {h}x{w}, patch {patch_size}, '
                        f'{num_extra_tokens} extra token(s))')
        else:
            done.append(f'pos_embed: already a {new_hw[0]}x{new_hw[1]} grid')

    if key_format == 'mmseg':
        renamed = mmpretrain_vit_to_mmseg(state_dict)
        changed = len(set(renamed) - set(state_dict))
        state_dict = renamed
        done.append(f'renamed {changed} keys to mmseg VisionTransformer names')
    # Own, contiguous storage: no view of a larger tensor gets saved.
    state_dict = {k: v.detach().clone().contiguous() for k, v in state_dict.items()}
    return state_dict, done


# ResNetV1c / V1d deep stem: mmpretrain builds it from three ConvModules (stem.i.conv, stem.i.bn),
# mmdet and mmseg from a plain Sequential of (conv, norm, ReLU) x 3 (stem.3i, stem.3i+1).
_NORM_NAMES = r'(?:bn|gn|ln|in)'
_MMPRETRAIN_STEM_TO_PLAIN = (
    (r'^stem\.(\d+)\.conv\.weight$', lambda m: f'stem.{3 * int(m.group(1))}.weight'),
    (rf'^stem\.(\d+)\.{_NORM_NAMES}\.(\w+)$',
     lambda m: f'stem.{3 * int(m.group(1)) + 1}.{m.group(2)}'),
)
_PLAIN_STEM_TO_MMPRETRAIN = (
    (r'^stem\.(\d+)\.(\w+)$',
     lambda m: (f'stem.{int(m.group(1)) // 3}.conv.{m.group(2)}' if int(m.group(1)) % 3 == 0
                else f'stem.{int(m.group(1)) // 3}.bn.{m.group(2)}')),
)

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
        _log(f'renamed {changed} checkpoint keys to fit the model: {best_name}')
    return best, best_name


def _strip_module_prefix(state_dict):
    """Keys without the ``module.`` of (Distributed)DataParallel, as mmengine's loader does."""
    return {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}


def load_weights_strictly(model, checkpoint, source=None, target='the model'):
    """Load a whole-model checkpoint into ``model``: every key must fit, after adaptation.

    mmengine's ``load_checkpoint`` only warns about missing or unexpected keys, so a checkpoint
    of another architecture would leave random weights in place. Here the file is read with
    sar_mm's safe loader, a ``module.`` prefix of (Distributed)DataParallel is dropped,
    :func:`adapt_state_dict_to_model` adapts (and logs) input channels, position embeddings and
    key layouts, and any remaining difference raises.

    Args:
        model (nn.Module): The model to load into.
        checkpoint (str | dict): A checkpoint file, or a checkpoint already loaded (with a
            ``state_dict`` / ``model`` entry, or a state dict).
        source (str, optional): Name of the checkpoint in errors (default: the path).
        target (str): What ``model`` is, for errors. Defaults to ``'the model'``.

    Returns:
        dict: The checkpoint (its ``meta`` holds ``dataset_meta`` when the Runner saved it).

    Raises:
        CheckpointMismatchError: naming ``source`` and listing the missing and unexpected keys
            and the shape mismatches.
    """
    if isinstance(checkpoint, str):
        from .checkpoint import load_checkpoint_file
        source = source or checkpoint
        checkpoint = load_checkpoint_file(checkpoint, map_location='cpu')
    source = source or 'the checkpoint'
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'{source}: expected a checkpoint dict, got '
                                      f'{type(checkpoint).__name__}')
    state_dict = _strip_module_prefix(_unwrap(checkpoint))
    try:
        state_dict, _ = adapt_state_dict_to_model(state_dict, model, strict=True)
    except CheckpointMismatchError as err:
        raise CheckpointMismatchError(f'{source} does not match {target}: {err}') from None
    model.load_state_dict(state_dict, strict=True)
    return checkpoint


@WEIGHT_INITIALIZERS.register_module(name='Pretrained', force=True)
class AdaptivePretrainedInit(PretrainedInit):
    """mmengine's ``Pretrained`` initialiser, with key-layout, channel and pos-embed adaptation.

    Registered under mmengine's name ``Pretrained`` (root registry, so mmpretrain, mmdet and
    mmseg configs all use it): ``init_cfg=dict(type='Pretrained', checkpoint=CKPT,
    prefix='backbone.')`` loads the checkpoint (through mmengine's ``CheckpointLoader``, hence
    sar_mm's safe local loader), keeps the keys under ``prefix`` without it, then calls
    :func:`adapt_state_dict_to_model`: key names of another codebase's layout are matched,
    the first layer is adapted to the module's input channels and ViT position embeddings to its
    patch grid, each with a logged message. Unlike mmengine's initialiser, which only logs a
    warning and leaves unmatched parameters randomly initialised, keys of the module that the
    checkpoint does not provide raise :class:`CheckpointMismatchError` listing the missing and
    unexpected keys (BatchNorm ``num_batches_tracked`` counters excepted). Checkpoint keys the
    module does not have (e.g. the ``fc`` classifier of a torchvision ResNet) are logged as a
    warning. Shape mismatches left after adaptation always raise.

    Backbones that load ``Pretrained`` themselves in their own ``init_weights`` (mmseg's
    ``VisionTransformer``, ``BEiT``, ``MAE``) do not come here; use mmpretrain's
    ``VisionTransformer`` (``type='mmpretrain.VisionTransformer'``) in mmseg configs, or convert
    the checkpoint with ``tools/model_converters/extract_backbone.py --key-format mmseg``.

    Args:
        checkpoint (str): Checkpoint file or URL (any ``CheckpointLoader`` scheme).
        prefix (str, optional): Sub-module of the checkpoint to load, e.g. ``'backbone.'``.
            Defaults to None (the whole state dict).
        map_location (str): Where to load tensors. Defaults to ``'cpu'``.
        missing (str): ``'raise'`` (default) or ``'warn'``: what to do when module keys are not
            in the checkpoint (``'warn'`` keeps them as initialised, mmengine's behaviour; use it
            for a head or norm deliberately absent from the checkpoint).
        unexpected (str): ``'warn'`` (default) or ``'raise'``: what to do with checkpoint keys
            the module does not have.
        first_layer_key (str, optional): Name of the input layer's weight when it is not a known
            one (see :data:`FIRST_LAYER_KEYS`).
    """

    def __init__(self, checkpoint, prefix=None, map_location='cpu', missing='raise',
                 unexpected='warn', first_layer_key=None):
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)
        for name, value in (('missing', missing), ('unexpected', unexpected)):
            if value not in ('raise', 'warn'):
                raise ValueError(f"init_cfg Pretrained: {name} must be 'raise' or 'warn', "
                                 f'got {value!r}')
        self.missing = missing
        self.unexpected = unexpected
        self.first_layer_key = first_layer_key

    def __call__(self, module):
        from mmengine.runner.checkpoint import _load_checkpoint
        name = type(module).__name__
        source = f'{self.prefix!r} of {self.checkpoint}' if self.prefix else self.checkpoint
        print_log(f'load {source} into {name}', logger='current')
        checkpoint = _load_checkpoint(self.checkpoint, map_location=self.map_location,
                                      logger='current')
        state_dict = _unwrap(checkpoint) if isinstance(checkpoint, dict) else checkpoint
        if not isinstance(state_dict, dict):
            raise CheckpointMismatchError(
                f'{self.checkpoint}: not a checkpoint dict (got {type(state_dict).__name__})')
        state_dict = _strip_module_prefix(state_dict)
        if self.prefix:
            try:
                state_dict = extract_backbone(state_dict, self.prefix)
            except KeyError as err:
                raise CheckpointMismatchError(f'{self.checkpoint}: {err.args[0]}') from None
        try:
            state_dict, report = adapt_state_dict_to_model(
                state_dict, module, first_layer_key=self.first_layer_key, strict=False)
        except CheckpointMismatchError as err:
            raise CheckpointMismatchError(f'{source} -> {name}: {err}') from None
        report['missing'] = [k for k in report['missing']
                             if not k.endswith('num_batches_tracked')]
        if ((report['missing'] and self.missing == 'raise')
                or (report['unexpected'] and self.unexpected == 'raise')):
            hint = ''
            prefixes = {k.split('.')[0] + '.' for k in report['unexpected'] if '.' in k}
            if report['missing'] and prefixes and not self.prefix:
                hint = (f'\n  (the checkpoint has keys under {sorted(prefixes)}: set '
                        "init_cfg prefix, e.g. prefix='backbone.')")
            raise CheckpointMismatchError(
                f'{source} does not fit {name} (missing={self.missing!r}, '
                f'unexpected={self.unexpected!r}; after adapting: '
                f'{report["adapted"] or "nothing"}):\n{_describe(report)}{hint}')
        if report['missing'] or report['unexpected']:
            print_log(f'{source} -> {name}: loaded with differences:\n{_describe(report)}',
                      logger='current', level=30)
        module.load_state_dict(state_dict, strict=False)
        print_log(f'loaded {len(state_dict) - len(report["unexpected"])} tensors from {source} '
                  f'into {name}' + (f' (adapted: {"; ".join(report["adapted"])})'
                                    if report['adapted'] else ''), logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())
