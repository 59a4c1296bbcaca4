"""Convert a SAR-HUB hub model to an mmpretrain checkpoint for the configs of configs/sar_hub/.

    python tools/model_converters/sar_hub_to_mmpretrain.py SRC DST [--arch ARCH]
        [--in-channels N] [--no-head]

Source release: the Model Hub of SAR-HUB (H. Yang et al., "SAR-HUB: Pre-training, Fine-tuning,
and Explaining", Remote Sensing 15(23):5534, 2023; github.com/XAI4SAR/SAR-HUB, README section
3.3.1): ResNet-18/50/101, SENet50, MobileNetV3, DenseNet-121, Swin-T and Swin-B, each trained on
TerraSAR-X (32 classes), BigEarthNet-S1 (19) and OpenSARUrban (10) at 128 x 128 px. A file is a
state dict of the release's own model classes (``Pre-training/models/network.py`` and
``swin_transformer.py``), bare, under ``model`` or ``state_dict``, its keys with or without the
``module.`` of DistributedDataParallel. The models take three channels (SAR-HUB replicates the
band: ``Numpy2Tensor(3)``). Key layouts, source -> mmpretrain (``backbone.``/``head.`` of an
``ImageClassifier``):

* ``resnet18`` / ``resnet50`` / ``resnet101`` (``network.ResNet``, torchvision names):
  ``conv1``, ``bn1``, ``layerI.J.{convK,bnK}``, ``layerI.0.downsample.{0,1}`` -> the same names
  under ``backbone.``; ``fc`` -> ``head.fc``.
* ``seresnet50`` (``network.senet`` of ``Block``): ``conv1.{0,1}`` -> ``conv1``/``bn1``;
  ``convS.J`` (S = 2..5) -> ``layer{S-1}.J``, inside it ``convK.{0,1}`` -> ``convK``/``bnK``,
  ``shortcut.{0,1}`` -> ``downsample.{0,1}``, ``se.1``/``se.3`` -> ``se_layer.conv1.conv`` /
  ``se_layer.conv2.conv``; ``fc`` -> ``head.fc``. SAR-HUB's block strides in its first 1x1 conv:
  mmpretrain's ``style='caffe'`` (the config's ``'pytorch'`` strides the 3x3 conv).
* ``mobilenetv3-small`` (``network.mobilenetv3_small``, the only MobileNetV3 of the release):
  ``features.0.{0,1}`` -> ``layer0.{conv,bn}``; ``features.I.conv.N`` -> ``layerI.expand_conv``,
  ``depthwise_conv``, ``se``, ``linear_conv`` (N 0,1 / 3,4 / 5 / 7,8; blocks without expansion
  0,1 / 3 / 4,5), the SE's ``fc.0``/``fc.2`` Linear -> ``se.conv1.conv``/``se.conv2.conv`` 1x1
  convs; ``conv.{0,1}`` -> ``layer12.{conv,bn}``; ``classifier.0``/``classifier.3`` ->
  ``head.layers.0.fc``/``head.layers.1.fc`` (``StackedLinearClsHead``, mid channels 1024).
* ``densenet121`` (``network.DenseNet``, torchvision names): ``features.conv0``/``norm0`` ->
  ``stem.0``/``stem.1``; ``features.denseblockI.denselayerJ.*`` -> ``stages.{I-1}.block.{J-1}.*``;
  ``features.transitionI.{norm,conv}`` -> ``transitions.{I-1}.{norm,conv}``; ``features.norm5``
  -> ``transitions.3.0``; ``classifier`` -> ``head.fc``.
* ``swin-tiny`` / ``swin-base`` (Microsoft's Swin code, window 4, 128 px):
  ``patch_embed.proj`` -> ``patch_embed.projection``; ``layers.I`` -> ``stages.I``;
  ``blocks.J.attn.*`` -> ``blocks.J.attn.w_msa.*``; ``mlp.fc1``/``fc2`` -> ``ffn.layers.0.0`` /
  ``ffn.layers.1``; ``downsample.{reduction,norm}`` keep their names but their 4C inputs are
  reordered from the concatenation ``[x(0,0), x(1,0), x(0,1), x(1,1)]`` to ``nn.Unfold``'s
  channel-major order; ``norm`` -> ``norm3``; ``head`` -> ``head.fc``. ``attn_mask`` and
  ``relative_position_index`` buffers are recomputed (as SAR-HUB's own loader does).

The first layer is adapted to the config's input channels with
``sar_mm.engine.adapt_input_channels`` (3 -> 1 sums the channels: the same response to the SAR
band that SAR-HUB fed three times); MobileNetV3 keeps 3 (its config broadcasts the band).
The result is checked against the mmpretrain model built for the architecture (every key, every
shape) and written as ``{'state_dict', 'meta'}`` of plain tensors (``torch.load(...,
weights_only=True)`` reads it). The source is read with sar_mm's safe loader (no free
unpickling). A file of another layout is refused with the keys that were expected.
"""
import os.path as osp
import re
import sys

from sar_mm.engine.checkpoint import (ReleaseLayoutError, UnsafeCheckpointError,
                                      adapt_input_channels, check_state_dict_fits,
                                      converter_arg_parser, layout_error, load_checkpoint_file,
                                      save_converted, unwrap_state_dict)

RELEASE = 'github.com/XAI4SAR/SAR-HUB (Yang et al., Remote Sensing 15(23):5534, 2023)'
CONFIG_DIR = 'configs/sar_hub'


class SARHubLayoutError(ReleaseLayoutError):
    """A state dict is not the layout of the SAR-HUB architecture it was converted as."""


# ---------------------------------------------------------------------------------------------
# Key rules: (regex on the source key, mmpretrain key template or a function of the match).
# A template of None drops the key. A source key no rule matches is an error.


def _resnet_rules():
    return [
        (r'fc\.(weight|bias)', r'head.fc.\1'),
        (r'(conv1|bn1)\.(.+)', r'backbone.\1.\2'),
        (r'(layer[1-4]\.\d+\.(?:conv[1-3]|bn[1-3]|downsample\.[01]))\.(.+)', r'backbone.\1.\2'),
    ]


def _seresnet_rules():
    return [
        (r'fc\.(weight|bias)', r'head.fc.\1'),
        (r'conv1\.0\.weight', 'backbone.conv1.weight'),
        (r'conv1\.1\.(.+)', r'backbone.bn1.\1'),
        (r'conv([2-5])\.(\d+)\.conv([1-3])\.([01])\.(.+)', lambda m:
         (f'backbone.layer{int(m[1]) - 1}.{m[2]}.'
          f'{"conv" if m[4] == "0" else "bn"}{m[3]}.{m[5]}')),
        (r'conv([2-5])\.(\d+)\.shortcut\.([01])\.(.+)',
         lambda m: f'backbone.layer{int(m[1]) - 1}.{m[2]}.downsample.{m[3]}.{m[4]}'),
        (r'conv([2-5])\.(\d+)\.se\.([13])\.(weight|bias)', lambda m:
         (f'backbone.layer{int(m[1]) - 1}.{m[2]}.se_layer.'
          f'conv{1 if m[3] == "1" else 2}.conv.{m[4]}')),
    ]


# Indices of the release's InvertedResidual ``conv`` Sequential, with and without expansion.
_MBV3_EXPAND = {
    '0': 'expand_conv.conv',
    '1': 'expand_conv.bn',
    '3': 'depthwise_conv.conv',
    '4': 'depthwise_conv.bn',
    '5': 'se',
    '7': 'linear_conv.conv',
    '8': 'linear_conv.bn'
}
_MBV3_NO_EXPAND = {
    '0': 'depthwise_conv.conv',
    '1': 'depthwise_conv.bn',
    '3': 'se',
    '4': 'linear_conv.conv',
    '5': 'linear_conv.bn'
}
_MBV3_SE_FC = {'0': 'conv1.conv', '2': 'conv2.conv'}
_MBV3_SMALL_BLOCKS = 11


def _mobilenetv3_rules(state_dict):
    # A block has an expansion (1x1) conv unless its input width equals its hidden width; the
    # release then has 9 entries in ``conv`` (up to index 8), else 6 (up to index 5).
    expand = {
        m[1]
        for m in (re.fullmatch(r'features\.(\d+)\.conv\.8\.weight', k) for k in state_dict) if m
    }

    def block(m):
        table = _MBV3_EXPAND if m[1] in expand else _MBV3_NO_EXPAND
        name = table.get(m[2])
        if name is None:
            return None
        rest = m[3]
        if name == 'se':
            se = re.fullmatch(r'fc\.([02])\.(weight|bias)', rest)
            if se is None:
                return None
            rest = f'{_MBV3_SE_FC[se[1]]}.{se[2]}'
        return f'backbone.layer{m[1]}.{name}.{rest}'

    return [
        (r'features\.0\.0\.weight', 'backbone.layer0.conv.weight'),
        (r'features\.0\.1\.(.+)', r'backbone.layer0.bn.\1'),
        (r'features\.(\d+)\.conv\.(\d+)\.(.+)', block),
        (r'conv\.0\.weight', f'backbone.layer{_MBV3_SMALL_BLOCKS + 1}.conv.weight'),
        (r'conv\.1\.(.+)', rf'backbone.layer{_MBV3_SMALL_BLOCKS + 1}.bn.\1'),
        (r'classifier\.0\.(weight|bias)', r'head.layers.0.fc.\1'),
        (r'classifier\.3\.(weight|bias)', r'head.layers.1.fc.\1'),
    ]


def _densenet_rules():
    return [
        (r'features\.conv0\.weight', 'backbone.stem.0.weight'),
        (r'features\.norm0\.(.+)', r'backbone.stem.1.\1'),
        (r'features\.denseblock([1-4])\.denselayer(\d+)\.((?:norm|conv)[12])\.(.+)',
         lambda m: f'backbone.stages.{int(m[1]) - 1}.block.{int(m[2]) - 1}.{m[3]}.{m[4]}'),
        (r'features\.transition([1-3])\.(norm|conv)\.(.+)',
         lambda m: f'backbone.transitions.{int(m[1]) - 1}.{m[2]}.{m[3]}'),
        (r'features\.norm5\.(.+)', r'backbone.transitions.3.0.\1'),
        (r'classifier\.(weight|bias)', r'head.fc.\1'),
    ]


def _swin_rules():
    blocks = r'layers\.(\d)\.blocks\.(\d+)\.'
    return [
        (r'patch_embed\.proj\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
        (r'patch_embed\.norm\.(weight|bias)', r'backbone.patch_embed.norm.\1'),
        (blocks + r'attn_mask', None),
        (blocks + r'attn\.relative_position_index', None),
        (blocks + r'(norm[12])\.(weight|bias)', r'backbone.stages.\1.blocks.\2.\3.\4'),
        (blocks + r'attn\.(relative_position_bias_table|qkv\.weight|qkv\.bias|proj\.weight|'
         r'proj\.bias)', r'backbone.stages.\1.blocks.\2.attn.w_msa.\3'),
        (blocks + r'mlp\.fc1\.(weight|bias)', r'backbone.stages.\1.blocks.\2.ffn.layers.0.0.\3'),
        (blocks + r'mlp\.fc2\.(weight|bias)', r'backbone.stages.\1.blocks.\2.ffn.layers.1.\3'),
        (r'layers\.(\d)\.downsample\.(reduction\.weight|norm\.weight|norm\.bias)',
         r'backbone.stages.\1.downsample.\2'),
        (r'norm\.(weight|bias)', r'backbone.norm3.\1'),
        (r'head\.(weight|bias)', r'head.fc.\1'),
    ]


def unfold_order(value):
    """Reorder a Swin patch-merging input dimension from the official concatenation to mmcv's.

    Microsoft's ``PatchMerging`` concatenates the four pixels of each 2 x 2 cell as
    ``[x(0,0), x(1,0), x(0,1), x(1,1)]`` (index ``k * C + c``, ``(row, column)`` offsets);
    mmcv's ``PatchMerging`` (``nn.Unfold``) gives ``c * 4 + 2 * row + column``. The reduction
    weight ``[2C, 4C]`` (columns) and the norm's ``[4C]`` weight and bias are permuted alike, so
    the merged features are the same.

    Args:
        value (Tensor): ``[4C]`` or ``[O, 4C]``.

    Returns:
        Tensor: Same shape, inputs in mmcv's order.
    """
    order = [0, 2, 1, 3]  # unfold position 2*row+column -> official slot
    if value.ndim == 1:
        return value.reshape(4, -1)[order].t().reshape(-1).contiguous()
    out_dim = value.shape[0]
    return value.reshape(out_dim, 4, -1)[:, order].transpose(1, 2).reshape(out_dim, -1) \
        .contiguous()


# ---------------------------------------------------------------------------------------------
# Architectures of the hub.


def _resnet(depth):
    return dict(
        release='network.ResNet' +
        ('(BasicBlock, [2, 2, 2, 2])' if depth == 18 else f'{depth}(): ResNet(Bottleneck, ...)'),
        signature=[
            'conv1.weight', 'bn1.running_mean', 'layer1.0.conv1.weight',
            'layer4.0.downsample.0.weight', 'fc.weight'
        ],
        rules=lambda sd: _resnet_rules(),
        first_layer='backbone.conv1.weight',
        backbone=dict(
            type='ResNet',
            depth=depth,
            in_channels=1,
            num_stages=4,
            out_indices=(3, ),
            style='pytorch'),
        head=lambda c, n: dict(type='LinearClsHead', in_channels=c, num_classes=n),
        head_key='head.fc.weight',
        config=f'resnet{depth}-1ch_1xb128-onecycle-300e_opensarurban.py')


ARCHS = {
    'resnet18':
    _resnet(18),
    'resnet50':
    _resnet(50),
    'resnet101':
    _resnet(101),
    'seresnet50':
    dict(
        release='network.Senet((3, 4, 6, 3)): senet of Block',
        signature=[
            'conv1.0.weight', 'conv1.1.running_mean', 'conv2.0.conv1.0.weight',
            'conv2.0.shortcut.0.weight', 'conv2.0.se.1.weight', 'conv5.2.se.3.bias', 'fc.weight'
        ],
        rules=lambda sd: _seresnet_rules(),
        first_layer='backbone.conv1.weight',
        backbone=dict(
            type='SEResNet',
            depth=50,
            in_channels=1,
            num_stages=4,
            out_indices=(3, ),
            style='caffe'),
        head=lambda c, n: dict(type='LinearClsHead', in_channels=c, num_classes=n),
        head_key='head.fc.weight',
        config='seresnet50-1ch_1xb128-onecycle-300e_opensarurban.py',
        cfg_options=['model.backbone.style=caffe'],
        notes=[
            'SAR-HUB\'s SE block strides in its first 1x1 conv (mmpretrain style "caffe"); '
            'the config builds style "pytorch" (stride in the 3x3 conv): the weights load '
            'either way, the same features need model.backbone.style=caffe'
        ]),
    'mobilenetv3-small':
    dict(
        release='network.mobilenetv3_small(): MobileNetV3(cfgs, mode="small")',
        signature=[
            'features.0.0.weight', 'features.1.conv.0.weight', 'features.1.conv.3.fc.0.weight',
            'features.11.conv.8.weight', 'conv.0.weight', 'classifier.0.weight',
            'classifier.3.weight'
        ],
        rules=_mobilenetv3_rules,
        first_layer='backbone.layer0.conv.weight',
        backbone=dict(type='MobileNetV3', arch='small'),
        head=lambda c, n: dict(
            type='StackedLinearClsHead',
            in_channels=c,
            num_classes=n,
            mid_channels=[1024],
            dropout_rate=0.2,
            act_cfg=dict(type='HSwish')),
        head_key='head.layers.1.fc.weight',
        config='mobilenet-v3-small_1xb128-onecycle-300e_opensarurban.py',
        cfg_options=[],
        notes=[
            'SAR-HUB released MobileNetV3-small (network.mobilenetv3_small), hence the '
            'small config of the folder',
            'the release applies the SE before the activation that follows the depthwise '
            'conv, mmpretrain after it: same weights, slightly different features in the '
            'h-swish blocks (layers 4-11)'
        ]),
    'densenet121':
    dict(
        release='network.densenet121(): DenseNet(32, (6, 12, 24, 16), 64)',
        signature=[
            'features.conv0.weight', 'features.norm0.running_mean',
            'features.denseblock1.denselayer1.norm1.weight',
            'features.denseblock4.denselayer16.conv2.weight', 'features.transition3.conv.weight',
            'features.norm5.weight', 'classifier.weight'
        ],
        rules=lambda sd: _densenet_rules(),
        first_layer='backbone.stem.0.weight',
        backbone=dict(type='DenseNet', arch='121', in_channels=1),
        head=lambda c, n: dict(type='LinearClsHead', in_channels=c, num_classes=n),
        head_key='head.fc.weight',
        config='densenet121-1ch_1xb128-onecycle-300e_opensarurban.py'),
}
for _name, _arch, _depths in (('swin-tiny', 'tiny', (2, 2, 6, 2)), ('swin-base', 'base', (2, 2, 18,
                                                                                          2))):
    ARCHS[_name] = dict(
        release=f'models/build.py {_name.replace("swin-", "Swin-").title()}: SwinTransformer('
        f'img_size=128, patch_size=4, window_size=4, depths={list(_depths)})',
        signature=[
            'patch_embed.proj.weight', 'layers.0.blocks.0.attn.qkv.weight',
            'layers.0.blocks.0.attn.relative_position_bias_table',
            'layers.0.downsample.reduction.weight', 'layers.3.blocks.1.mlp.fc2.weight',
            f'layers.2.blocks.{_depths[2] - 1}.norm1.weight', 'norm.weight', 'head.weight'
        ],
        rules=lambda sd: _swin_rules(),
        first_layer='backbone.patch_embed.projection.weight',
        backbone=dict(
            type='SwinTransformer', arch=_arch, img_size=128, in_channels=1, window_size=4),
        head=lambda c, n: dict(type='LinearClsHead', in_channels=c, num_classes=n),
        head_key='head.fc.weight',
        config=f'swin-{_arch}-w4-1ch_1xb128-onecycle-300e_opensarurban.py')


def source_state_dict(checkpoint):
    """The SAR-HUB state dict of a loaded file: bare, under ``state_dict`` or ``model``, with
    the ``module.`` prefix of (Distributed)DataParallel removed; an entry that is not a tensor
    is refused.

    Args:
        checkpoint (dict): What the file holds.

    Returns:
        dict: ``{key: Tensor}``.
    """
    return unwrap_state_dict(
        checkpoint, wrappers=('state_dict', 'model'), non_tensors='raise', error=SARHubLayoutError)


def detect_arch(state_dict):
    """The hub architecture whose key layout ``state_dict`` has.

    Args:
        state_dict (dict): Source state dict (see :func:`source_state_dict`).

    Returns:
        str: A key of :data:`ARCHS`.

    Raises:
        SARHubLayoutError: no architecture of the hub has these keys; the message lists the
            keys each architecture is recognised by and what was found.
    """

    def has(arch):
        return all(k in state_dict for k in ARCHS[arch]['signature'])

    if has('resnet18') and 'layer1.0.conv3.weight' not in state_dict:
        return 'resnet18'
    if has('resnet50'):
        layer3 = {
            int(m[1])
            for m in (re.fullmatch(r'layer3\.(\d+)\.conv1\.weight', k) for k in state_dict) if m
        }
        depth = {6: 'resnet50', 23: 'resnet101'}.get(len(layer3))
        if depth and 'layer1.0.conv3.weight' in state_dict:
            return depth
    for arch in ('seresnet50', 'mobilenetv3-small', 'densenet121', 'swin-base', 'swin-tiny'):
        if has(arch):
            if arch == 'swin-tiny' and 'layers.2.blocks.6.norm1.weight' in state_dict:
                continue  # deeper than Swin-T and not Swin-B: unknown
            return arch
    signatures = {name: spec['signature'] for name, spec in ARCHS.items()}
    raise layout_error(
        'a SAR-HUB hub model of a known layout', signatures, state_dict, error=SARHubLayoutError)


def _apply_rules(state_dict, rules):
    compiled = [(re.compile(p), t) for p, t in rules]
    out, key_map, dropped, unmatched = {}, {}, [], []
    for key, value in state_dict.items():
        for pattern, template in compiled:
            m = pattern.fullmatch(key)
            if m is None:
                continue
            new = template(m) if callable(template) else (
                None if template is None else m.expand(template))
            if template is not None and new is None:
                continue  # the function declined: try the next rule
            break
        else:
            unmatched.append(key)
            continue
        if new is None:
            dropped.append(key)
        else:
            out[new] = value
            key_map[key] = new
    return out, key_map, dropped, unmatched


def _build_target(arch, in_channels, num_classes, feat_channels):
    """The mmpretrain classifier (or backbone) the converted keys must fit."""
    import mmpretrain.models  # noqa: F401  (register mmpretrain's models)
    from mmpretrain.registry import MODELS
    spec = ARCHS[arch]
    backbone = dict(spec['backbone'])
    if 'in_channels' in backbone:
        backbone['in_channels'] = in_channels
    cfg = dict(type='ImageClassifier', backbone=backbone, neck=dict(type='GlobalAveragePooling'))
    if num_classes is not None:
        cfg['head'] = spec['head'](feat_channels, num_classes)
    return MODELS.build(cfg)


def convert_sar_hub(checkpoint, arch=None, in_channels=None, with_head=True):
    """Convert a SAR-HUB hub model to the state dict of an mmpretrain ``ImageClassifier``.

    Args:
        checkpoint (dict): The loaded file (a state dict, or one under ``model`` /
            ``state_dict``; ``module.`` prefixes are dropped).
        arch (str, optional): One of :data:`ARCHS`; detected from the keys when omitted.
        in_channels (int, optional): Input channels of the first layer. Defaults to those of
            the architecture's config in ``configs/sar_hub/`` (1; 3 for MobileNetV3).
        with_head (bool): Keep the classifier (``head.``) of the release. Defaults to True.

    Returns:
        tuple[dict, dict]: The state dict (``backbone.*`` and ``head.*``), and a report:
        ``arch``, ``key_map`` (source key -> new key), ``dropped`` (source keys not carried
        over, with the reason), ``recomputed`` (buffers written from the mmpretrain model),
        ``num_classes``, ``in_channels``, ``config``, ``cfg_options``, ``notes`` and
        ``conversions`` (lines to print).

    Raises:
        SARHubLayoutError: the keys or shapes are not those of ``arch`` (or of any hub
            architecture); the message lists what was expected and what was found.
    """
    state_dict = source_state_dict(checkpoint)
    detected = None
    if arch is None:
        arch = detect_arch(state_dict)
        detected = arch
    if arch not in ARCHS:
        raise SARHubLayoutError(f'unknown arch {arch!r}; choose from {sorted(ARCHS)}')
    spec = ARCHS[arch]
    missing = [k for k in spec['signature'] if k not in state_dict]
    if missing:
        try:
            looks = f' (it looks like {detect_arch(state_dict)})'
        except SARHubLayoutError:
            looks = ''
        raise layout_error(
            f'the SAR-HUB {arch} layout ({spec["release"]}){looks}',
            spec['signature'],
            state_dict,
            missing=missing,
            error=SARHubLayoutError)
    out, key_map, dropped, unmatched = _apply_rules(state_dict, spec['rules'](state_dict))
    if unmatched:
        raise SARHubLayoutError(f'{len(unmatched)} keys are not part of the SAR-HUB {arch} layout '
                                f'({spec["release"]}): {unmatched[:12]}')
    conversions = [
        f'{arch}{" (detected from the keys)" if detected else ""}: '
        f'{len(key_map)} tensors renamed to mmpretrain\'s names'
    ]
    if dropped:
        conversions.append(f'dropped {len(dropped)} buffers mmpretrain recomputes '
                           '(attn_mask, relative_position_index)')

    # Values that change, not only their names.
    if arch.startswith('swin'):
        for key in [k for k in out if '.downsample.' in k]:
            out[key] = unfold_order(out[key])
        conversions.append('patch merging: inputs reordered to nn.Unfold\'s order')
    if arch.startswith('mobilenetv3'):
        for key in [k for k in out if '.se.conv' in k and k.endswith('.weight')]:
            out[key] = out[key][:, :, None, None]  # SE Linear [O, I] -> 1x1 conv [O, I, 1, 1]
        conversions.append('SE Linear layers -> 1x1 conv weights')

    first = spec['first_layer']
    src_channels = out[first].shape[1]
    if in_channels is None:
        in_channels = spec['backbone'].get('in_channels', src_channels)
    if 'in_channels' not in spec['backbone'] and in_channels != src_channels:
        raise SARHubLayoutError(f'mmpretrain\'s {spec["backbone"]["type"]} takes '
                                f'{src_channels} input channels only (asked for {in_channels})')
    if in_channels != src_channels:
        out[first] = adapt_input_channels(out[first], in_channels)
        conversions.append(f'input channels {src_channels} -> {in_channels} ({first}: ' + (
            'sum over the channels: the response to the SAR band SAR-HUB fed replicated'
            if in_channels == 1 else 'adapt_input_channels, grey response kept') + ')')

    num_classes, feat_channels = None, None
    head_key = spec['head_key']
    if head_key in out:
        num_classes = out[head_key].shape[0]
        in_key = 'head.layers.0.fc.weight' if 'head.layers.0.fc.weight' in out else head_key
        feat_channels = out[in_key].shape[1]
    if not with_head:
        out = {k: v for k, v in out.items() if not k.startswith('head.')}
        dropped += [k for k, v in key_map.items() if v.startswith('head.')]
        key_map = {k: v for k, v in key_map.items() if not v.startswith('head.')}
        conversions.append('head dropped (--no-head): backbone weights only')

    model = _build_target(arch, in_channels, num_classes if with_head else None, feat_channels)
    target = model.state_dict()
    recomputed = [k for k in target if k not in out and k.endswith('relative_position_index')]
    for key in recomputed:
        out[key] = target[key].clone()
    check_state_dict_fits(
        out,
        target,
        f'mmpretrain\'s {arch} ({spec["release"]} of SAR-HUB)',
        error=SARHubLayoutError)
    out = {k: out[k].contiguous() for k in target}  # mmpretrain's order
    report = dict(
        arch=arch,
        key_map=key_map,
        dropped=dropped,
        recomputed=recomputed,
        num_classes=num_classes if with_head else None,
        in_channels=in_channels,
        config=osp.join(CONFIG_DIR, spec['config']),
        cfg_options=spec.get('cfg_options', []),
        notes=spec.get('notes', []),
        conversions=conversions)
    return out, report


def parse_args(argv=None):
    parser = converter_arg_parser(__doc__, 'a SAR-HUB hub model (.pth) of the Model Hub')
    parser.add_argument(
        '--arch',
        choices=sorted(ARCHS),
        help='architecture of SRC (default: detected from its keys)')
    parser.add_argument(
        '--in-channels',
        type=int,
        help='input channels of the first layer (default: those of the '
        'configs/sar_hub/ config: 1; MobileNetV3: 3)')
    parser.add_argument(
        '--no-head',
        action='store_true',
        help='write the backbone only (to fine-tune with another head via '
        "init_cfg=dict(type='Pretrained', prefix='backbone.'))")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        checkpoint = load_checkpoint_file(args.src, map_location='cpu')
        state_dict, report = convert_sar_hub(
            checkpoint, arch=args.arch, in_channels=args.in_channels, with_head=not args.no_head)
    except (SARHubLayoutError, UnsafeCheckpointError, FileNotFoundError) as err:
        sys.exit(f'sar_hub_to_mmpretrain: {args.src}: {err}')
    meta = dict(
        source=osp.abspath(args.src),
        source_release=RELEASE,
        arch=report['arch'],
        in_channels=report['in_channels'],
        num_classes=report['num_classes'],
        config=report['config'],
        cfg_options=list(report['cfg_options']),
        converted_by='sar_mm tools/model_converters/sar_hub_to_mmpretrain.py',
        conversions=list(report['conversions']),
        notes=list(report['notes']))
    save_converted(state_dict, args.dst, meta)
    print(f'read {args.src}')
    for line in report['conversions'] + report['notes']:
        print(f'  - {line}')
    num = sum(v.numel() for v in state_dict.values())
    print(f'wrote {args.dst}: {len(state_dict)} tensors, {num:,} values')
    options = ' '.join(report['cfg_options'])
    if args.no_head:
        how = ("model.backbone.init_cfg=dict(type='Pretrained', prefix='backbone.', "
               f"checkpoint='{args.dst}')")
    else:
        how = f'--cfg-options load_from={args.dst}'
    print(f'use it with {report["config"]} ({how})' +
          (f'; this release needs --cfg-options {options}' if options else ''))


if __name__ == '__main__':
    main()
