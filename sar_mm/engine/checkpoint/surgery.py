"""State-dict surgery: make a pretrained backbone's tensors fit other inputs or another grid.

A backbone pretrained on 1-channel SAR (a ViT or a CNN) is often wanted in a model that takes
3 channels (an RGB-pretrained pipeline, or SAR stacked with derived bands) or larger images:

* :func:`adapt_input_channels` changes the input channels of the first convolution / patch
  projection so that the response to a grey image (all channels equal) is unchanged;
* :func:`interpolate_pos_embed` resizes a ViT's position embedding to a new patch grid with
  mmpretrain's :func:`~mmpretrain.models.utils.resize_pos_embed` (bicubic);
* :func:`adapt_state_dict_to_model` applies both (after :func:`~.layouts.match_key_layout`) to
  fit a given model, and fails with the list of missing and unexpected keys and shape mismatches
  when the architectures differ.

Every adaptation is logged with mmengine's current logger.
"""
import math

import torch
from mmengine.logging import print_log
from mmpretrain.models.utils import resize_pos_embed

from .layouts import checkpoint_state_dict, match_key_layout

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


def find_first_layer_key(state_dict, first_layer_key=None):
    """Name of the input layer's weight (4-D) in a backbone state dict.

    Args:
        state_dict (dict): Backbone state dict (keys without the ``backbone.`` prefix).
        first_layer_key (str, optional): Use this key; it must exist and be 4-D.

    Returns:
        str: ``first_layer_key``, else the first of :data:`FIRST_LAYER_KEYS` present, else the
        first 4-D ``*weight`` tensor of the state dict (logged as a guess).
    """
    conv_keys = [
        k for k, v in state_dict.items()
        if torch.is_tensor(v) and v.ndim == 4 and k.endswith('weight')
    ]
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


def pos_embed_grid(length, num_extra_tokens):
    """The square patch grid ``(side, side)`` of a position embedding of ``length`` tokens.

    Raises:
        ValueError: ``length - num_extra_tokens`` is not a square number.
    """
    n = length - num_extra_tokens
    side = math.isqrt(max(n, 0))
    if n <= 0 or side * side != n:
        raise ValueError(
            f'cannot infer the patch grid of a position embedding with {length} tokens and '
            f'{num_extra_tokens} extra token(s): {n} is not a square; pass src_hw')
    return side, side


def interpolate_pos_embed(pos_embed, new_hw, num_extra_tokens=1, src_hw=None, mode='bicubic'):
    """Resize a ViT position embedding ``[1, num_extra + H*W, D]`` to the grid ``new_hw``.

    The resizing is mmpretrain's :func:`~mmpretrain.models.utils.resize_pos_embed` (the extra
    class / distillation tokens kept, the patch part resized as a ``D``-channel ``H x W`` image
    with ``F.interpolate(mode, align_corners=False)`` in float32). This thin wrapper adds what
    sar_mm's adaptation needs and mmpretrain's function does not do: the source grid inferred as
    square when omitted (:func:`pos_embed_grid`), a :class:`ValueError` naming the shapes
    instead of an ``assert``, a new tensor even when the grid is unchanged (mmpretrain returns
    its input) and a logged message.

    Args:
        pos_embed (Tensor): ``[1, num_extra_tokens + H*W, D]``.
        new_hw (tuple[int, int]): New patch grid (rows, columns).
        num_extra_tokens (int): Leading tokens that are not patches. Defaults to 1.
        src_hw (tuple[int, int], optional): Current grid; inferred as square when omitted.
        mode (str): Interpolation mode. Defaults to ``'bicubic'``.

    Returns:
        Tensor: ``[1, num_extra_tokens + new_h*new_w, D]`` of the same dtype.
    """
    if pos_embed.ndim != 3 or pos_embed.shape[0] != 1:
        raise ValueError(f'pos_embed must be [1, L, D], got {tuple(pos_embed.shape)}')
    length = pos_embed.shape[1]
    src_hw = tuple(src_hw) if src_hw is not None else pos_embed_grid(length, num_extra_tokens)
    new_hw = tuple(int(s) for s in new_hw)
    if src_hw[0] * src_hw[1] + num_extra_tokens != length:
        raise ValueError(f'pos_embed has {length} tokens, not {num_extra_tokens} + '
                         f'{src_hw[0]}x{src_hw[1]}')
    out = resize_pos_embed(pos_embed, src_hw, new_hw, mode=mode, num_extra_tokens=num_extra_tokens)
    out = out.clone() if out is pos_embed else out.contiguous()
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
    return pos_embed_grid(num_tokens, num_extra_tokens)


def _num_extra_tokens(module):
    if module is not None and isinstance(getattr(module, 'num_extra_tokens', None), int):
        return module.num_extra_tokens  # mmpretrain ViT / DeiT
    count = 0
    for name in ('cls_token', 'dist_token'):
        if module is not None and getattr(module, name, None) is not None:
            count += 1
    return count


def _adapt(state_dict, model, first_layer_key=None, num_extra_tokens=None, match_layout=True):
    """:func:`adapt_state_dict_to_model` without raising: ``(new state dict, report)``."""
    target = model.state_dict()
    new = dict(checkpoint_state_dict(state_dict))
    report = dict(adapted=[], missing=[], unexpected=[], mismatched=[])
    if match_layout:
        new, layout = match_key_layout(new, target)
        if layout is not None:
            report['adapted'].append(f'key names: {layout}')

    def shape(t):
        return tuple(t.shape)

    # Input channels of the first layer.
    channel_mismatch = any(v.ndim == 4 and torch.is_tensor(new.get(k)) and new[k].ndim == 4
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
        src_hw = pos_embed_grid(src[1], extra)
        new[k] = interpolate_pos_embed(new[k], new_hw, extra, src_hw)
        msg = (f'{k}: patch grid {src_hw[0]}x{src_hw[1]} -> {new_hw[0]}x{new_hw[1]} '
               f'({src} -> {dst})')
        report['adapted'].append(msg)
        _log(f'adapted {msg}')

    report.update(compare_state_dicts(new, target))
    return new, report


def compare_state_dicts(state_dict, target):
    """The keys and shapes in which ``state_dict`` differs from ``target`` (a model's).

    Args:
        state_dict (dict): The state dict to check (a checkpoint's, adapted or converted).
        target (dict): The state dict it should match, e.g. ``model.state_dict()``.

    Returns:
        dict: ``missing`` (keys of ``target`` only, in its order), ``unexpected`` (keys of
        ``state_dict`` only, in its order) and ``mismatched`` (``(key, shape, target shape)``
        of the common keys whose shapes differ), as :func:`describe_mismatch` reads them.

    Example:
        >>> compare_state_dicts({'w': torch.zeros(2), 'x': torch.zeros(1)},
        ...                     {'w': torch.zeros(3), 'b': torch.zeros(3)})
        {'missing': ['b'], 'unexpected': ['x'], 'mismatched': [('w', (2,), (3,))]}
    """
    return dict(
        missing=[k for k in target if k not in state_dict],
        unexpected=[k for k in state_dict if k not in target],
        mismatched=[(k, tuple(state_dict[k].shape), tuple(target[k].shape)) for k in target
                    if k in state_dict and torch.is_tensor(state_dict[k])
                    and tuple(state_dict[k].shape) != tuple(target[k].shape)])


def adapt_state_dict_to_model(state_dict,
                              model,
                              first_layer_key=None,
                              num_extra_tokens=None,
                              strict=True,
                              match_layout=True):
    """Adapt ``state_dict`` to ``model``'s input channels and ViT grid, then check it fits.

    First, with ``match_layout``, keys are renamed to another codebase's layout of the same
    architecture when that fits the model better (:func:`~.layouts.match_key_layout`, logged).
    Then two differences are adapted (each logged): the input channels of the first layer
    (:func:`find_first_layer_key` on the model's keys, or ``first_layer_key``;
    :func:`adapt_input_channels`) and the patch grid of every ``*pos_embed`` of shape
    ``[1, L, D]`` (:func:`interpolate_pos_embed`; the source grid is taken as square, the
    target grid and the number of extra tokens from the owning module).

    Args:
        state_dict (dict): Keys as in ``model.state_dict()`` (use
            :func:`~.layouts.extract_backbone` first to load a whole model's checkpoint into a
            backbone).
        model (nn.Module): The target model.
        first_layer_key (str, optional): Input layer's weight name, if not a known one.
        num_extra_tokens (int, optional): Override the extra-token count of position
            embeddings (default: the owning module's ``num_extra_tokens``, else the number of
            ``cls_token`` / ``dist_token`` it has).
        strict (bool): Raise when keys are missing or unexpected. Shape mismatches left after
            adaptation always raise. Defaults to True.
        match_layout (bool): Try the known key layouts (:func:`~.layouts.match_key_layout`).
            Defaults to True.

    Returns:
        tuple[dict, dict]: The adapted state dict (new dict; untouched tensors shared) and a
        report ``dict(adapted=[str], missing=[str], unexpected=[str],
        mismatched=[(key, ckpt_shape, model_shape)])``.

    Raises:
        CheckpointMismatchError: listing missing and unexpected keys and shape mismatches.
    """
    new, report = _adapt(state_dict, model, first_layer_key, num_extra_tokens, match_layout)
    if report['mismatched'] or (strict and (report['missing'] or report['unexpected'])):
        raise CheckpointMismatchError(
            f'the checkpoint does not fit {type(model).__name__} (after adapting: '
            f'{report["adapted"] or "nothing"}):\n' + describe_mismatch(report))
    return new, report


def describe_mismatch(report, limit=30):
    """The missing / unexpected keys and shape mismatches of a report, one line each."""
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
