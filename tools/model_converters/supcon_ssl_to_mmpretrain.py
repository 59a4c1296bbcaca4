"""Convert SupCon_SSL's ``DualResnet50`` (two ResNet-50s, Sentinel-1 + Sentinel-2) for sar_mm.

    python tools/model_converters/supcon_ssl_to_mmpretrain.py SRC DST [--no-projection]
        [--no-head]

Source release: the multi-modal supervised contrastive seed github.com/bakiuzun/SupCon_SSL
(B. Uzun, README "Models": ``DualResnet50``, pre-trained on SEN12MS, and
``FineTunedDualResnet50``, fine-tuned on DFC2020 with SupCon; Google Drive). It fine-tunes the
two-ResNet-50 backbone of github.com/HSG-AIML/SSLTransformerRS (L. Scheibenreif et al., CVPRW
2022), and the layout below is read from both codes (SupCon_SSL ``dfc_finetune.py``,
``utils.py``; SSLTransformerRS ``resnet_simclr.py``, ``train_resnet_backbone.py``,
``simclr_double_backbone.py``, ``simclr_utils.py``, ``configs/backbone_config.json``):

* The file: ``torch.save({'epoch', 'arch': 'resnet50', 'state_dict': model.state_dict(),
  'optimizer': optimizer.state_dict()})`` (``save_checkpoint`` of both codes);
  ``dfc_finetune.py`` reads ``checkpoint['state_dict']``. A bare state dict, one under
  ``model``, and ``module.`` prefixes are accepted too.
* The model: ``DoubleResNetSimCLR('resnet50', out_dim=128)``: ``backbone1`` (Sentinel-1, VV and
  VH) and ``backbone2`` (Sentinel-2, the 13 L1C bands in file order), each a torchvision
  ``resnet50(num_classes=128)`` whose ``conv1`` is replaced by ``Conv2d(C, 64, 7, 2, 3,
  bias=False)`` (C = 2 and 13) and whose ``fc`` is the SimCLR projection
  ``Sequential(Linear(2048, 2048), ReLU, Linear(2048, 128))`` (keys ``fc.0``, ``fc.2``).
  SupCon_SSL's ``DoubleResNetSimCLRDownstream`` keeps those projections (its SupCon and its
  classifier both read the 128-d outputs) and adds ``fc`` = ``Linear(256, 8)`` over the two
  concatenated projections: the fine-tuned file has ``fc.weight`` (8, 256) on top.
  (SSLTransformerRS's own downstream model drops the projections and puts ``fc`` =
  ``Linear(4096, C)`` on the pooled features.)

Key map, source -> sar_mm ``MultiModalClassifier`` (``configs/_base_/models/
multimodal_resnet50_s1s2.py``: ``backbone.{0,1}`` mmpretrain ``ResNet`` depth 50, style
``pytorch``, whose names are torchvision's):

* ``backbone1.<trunk>`` -> ``backbone.0.<trunk>``, ``backbone2.<trunk>`` -> ``backbone.1.<trunk>``
  (``conv1``, ``bn1``, ``layerI.J.{convK,bnK,downsample.0,downsample.1}``, unchanged).
* ``backbone{1,2}.fc.0`` / ``fc.2`` -> ``projector.{0,1}.necks.0.fc`` / ``necks.1.fc``: the
  seed's projection as ``SequentialNeck`` of two ``LinearNeck`` (bias, no norm; ReLU between),
  the projector of ``configs/multimodal/
  multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020-supcon-ssl-pretrained.py``. The other
  DFC2020 configs project with a ``NonLinearNeck`` (BatchNorm, no bias): use ``--no-projection``
  for them (backbones only).
* ``fc`` (fine-tuned file) is **dropped**: sar_mm's head classifies the concatenated pooled
  features (4096), the seed's ``fc`` the concatenated projections (256). An ``fc`` over 4096
  features (SSLTransformerRS's downstream layout) becomes ``head.fc``.

The result is checked against the ``MultiModalClassifier`` built from that model config with
the seed's projector (every key, every shape) and written as ``{'state_dict', 'meta'}`` of plain
tensors (``torch.load(..., weights_only=True)`` reads it); load it with ``load_from``. The
source is read with sar_mm's safe loader (``weights_only`` plus mmengine's globals): a file
holding a whole pickled model (``torch.save(model)``) is refused, as would be any other pickled
class; the seed's code never writes one, but if yours does, re-save it with the seed's code
(``torch.save({'state_dict': model.state_dict()}, ...)``) and convert that. A file of another
layout is refused, naming the file, the keys expected and the keys found.

Not converted: the METER-ML ``SmallAlexNet`` (SupCon_SSL ``encoder.py``: ``SharedNet`` /
``DualEncoder``, a bare ``model.state_dict()`` written by ``meterml_pretrain.py``, keys
``[encoder_{1,2}.]sentinel{1,2}_block.*`` and ``[encoder_{1,2}.]encoder.blocks.{1..7}.*``)
has no target in sar_mm: mmpretrain's ``AlexNet`` is the 3-channel original (11 x 11 stem, no
BatchNorm, no fully connected BatchNorm), and the METER-ML config uses ResNet-18s. Such a file
is recognised and refused with that explanation.
"""
import copy
import os.path as osp
import re
import sys

from sar_mm.engine.checkpoint import (ReleaseLayoutError, UnsafeCheckpointError, check_layout,
                                      check_state_dict_fits, converter_arg_parser, describe_keys,
                                      load_checkpoint_file, save_converted, unwrap_state_dict)

RELEASE = ('github.com/bakiuzun/SupCon_SSL DualResnet50 (the SEN12MS-pretrained two-ResNet-50 '
           'of github.com/HSG-AIML/SSLTransformerRS, resnet_simclr.py DoubleResNetSimCLR)')
MODEL_CONFIG = 'configs/_base_/models/multimodal_resnet50_s1s2.py'
CONFIG = ('configs/multimodal/'
          'multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020-supcon-ssl-pretrained.py')
BACKBONE_ONLY_CONFIG = ('configs/multimodal/'
                        'multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020.py')
TRUNK_FEATURES = 2048
#: The seed's projection (``fc`` of each torchvision ResNet) as a sar_mm projector.
SEED_PROJECTOR = dict(
    type='SequentialNeck',
    necks=[
        dict(
            type='LinearNeck',
            in_channels=TRUNK_FEATURES,
            out_channels=TRUNK_FEATURES,
            gap_dim=0,
            norm_cfg=None,
            act_cfg=dict(type='ReLU')),
        dict(
            type='LinearNeck',
            in_channels=TRUNK_FEATURES,
            out_channels=128,
            gap_dim=0,
            norm_cfg=None,
            act_cfg=None),
    ])
SIGNATURE = ('backbone1.conv1.weight', 'backbone1.bn1.running_mean',
             'backbone1.layer1.0.conv3.weight', 'backbone1.layer4.2.conv3.weight',
             'backbone2.conv1.weight', 'backbone2.bn1.running_mean',
             'backbone2.layer1.0.conv3.weight', 'backbone2.layer4.2.conv3.weight')
_SMALL_ALEXNET = re.compile(r'(encoder_[12]\.)?(sentinel[12]_block|encoder\.blocks)\.')
_RULES = [
    (re.compile(r'backbone([12])\.((?:conv1|bn1|layer[1-4]\.\d+\.'
                r'(?:conv[1-3]|bn[1-3]|downsample\.[01]))\.(?:weight|bias|running_mean|'
                r'running_var|num_batches_tracked))'),
     lambda m: f'backbone.{int(m[1]) - 1}.{m[2]}'),
    (re.compile(r'backbone([12])\.fc\.([02])\.(weight|bias)'),
     lambda m: f'projector.{int(m[1]) - 1}.necks.{int(m[2]) // 2}.fc.{m[3]}'),
    (re.compile(r'fc\.(weight|bias)'), lambda m: f'head.fc.{m[1]}'),
]


class SupConSSLLayoutError(ReleaseLayoutError):
    """A file is not the DualResnet50 layout of SupCon_SSL / SSLTransformerRS."""


def source_state_dict(checkpoint):
    """The state dict of a loaded file: under ``state_dict`` (the seed's ``save_checkpoint``:
    ``{'epoch', 'arch', 'state_dict', 'optimizer'}``), under ``model``, or bare; the ``module.``
    prefix of (Distributed)DataParallel is removed; an entry that is not a tensor is refused.

    Args:
        checkpoint (dict): What the file holds.

    Returns:
        dict: ``{key: Tensor}``.
    """
    return unwrap_state_dict(
        checkpoint,
        wrappers=('state_dict', 'model'),
        non_tensors='raise',
        error=SupConSSLLayoutError)


def target_model(in_channels=(2, 13), num_classes=8, projection_dim=128, projector=True):
    """The ``MultiModalClassifier`` of :data:`MODEL_CONFIG` the converted keys must fit.

    Args:
        in_channels (tuple[int]): Input channels of the S1 and S2 backbones.
        num_classes (int): Classes of the head.
        projection_dim (int): Output of the seed's projection.
        projector (bool): With the seed's projector (:data:`SEED_PROJECTOR`); False keeps the
            config's ``NonLinearNeck``.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import sar_mm  # noqa: F401  (registers MultiModalClassifier, SequentialNeck)
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = copy.deepcopy(Config.fromfile(osp.join(root, MODEL_CONFIG)).model)
    cfg.modality_channels = tuple(in_channels)
    for backbone, channels in zip(cfg.backbone, in_channels):
        backbone['in_channels'] = channels
    cfg.head['num_classes'] = num_classes
    if projector:
        cfg.projector = copy.deepcopy(SEED_PROJECTOR)
        cfg.projector['necks'][1]['out_channels'] = projection_dim
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def convert(checkpoint, with_projection=True, with_head=True):
    """Convert a DualResnet50 checkpoint to ``MultiModalClassifier`` keys.

    Args:
        checkpoint (dict): The loaded file (see :func:`source_state_dict`).
        with_projection (bool): Write the seed's projections as ``projector.*`` (for
            :data:`CONFIG`); False writes the backbones only (for configs whose projector is
            another module). Defaults to True.
        with_head (bool): Write an ``fc`` over the pooled features as ``head.fc``, when the
            file has one. Defaults to True.

    Returns:
        tuple[dict, dict]: The state dict, and a report: ``key_map`` (source key -> new key),
        ``dropped`` (source keys not carried over), ``in_channels``, ``num_classes`` (of a
        carried head, else None), ``projection`` (written or not), ``config`` and
        ``conversions`` / ``notes`` (lines to print).

    Raises:
        SupConSSLLayoutError: the keys or shapes are not the DualResnet50 layout; the message
            lists the keys expected and the keys found.
    """
    state_dict = source_state_dict(checkpoint)
    if (not any(k.startswith(('backbone1.', 'backbone2.')) for k in state_dict)
            and any(_SMALL_ALEXNET.match(k) for k in state_dict)):
        raise SupConSSLLayoutError(
            'this is SupCon_SSL\'s METER-ML SmallAlexNet (encoder.py SharedNet/DualEncoder: '
            'sentinel{1,2}_block stems and encoder.blocks), which has no target in sar_mm: '
            'mmpretrain\'s AlexNet is the 3-channel original (11x11 stem, no BatchNorm) and '
            'the METER-ML config uses ResNet-18s; only DualResnet50 is converted. Found ' +
            describe_keys(state_dict))
    check_layout(
        state_dict, SIGNATURE, f'the DualResnet50 layout ({RELEASE})', error=SupConSSLLayoutError)

    out, key_map, dropped, unmatched = {}, {}, [], []
    for key, value in state_dict.items():
        for pattern, template in _RULES:
            m = pattern.fullmatch(key)
            if m:
                out[template(m)] = value
                key_map[key] = template(m)
                break
        else:
            unmatched.append(key)
    if unmatched:
        raise SupConSSLLayoutError(
            f'{len(unmatched)} keys are not part of the DualResnet50 layout ({RELEASE}): '
            f'{unmatched[:12]}. Expected backbone1.* / backbone2.* (torchvision ResNet-50 '
            'names, fc.0 / fc.2 projection) and an optional fc')

    in_channels = tuple(int(out[f'backbone.{i}.conv1.weight'].shape[1]) for i in range(2))
    conversions = [
        f'backbone1 (Sentinel-1, {in_channels[0]} channels) -> backbone.0, backbone2 '
        f'(Sentinel-2, {in_channels[1]} channels) -> backbone.1: '
        f'{sum(v.startswith("backbone.") for v in key_map.values())} tensors, torchvision '
        'names kept'
    ]
    notes = []
    if in_channels != (2, 13):
        notes.append(f'input channels {in_channels}, not the (2, 13) of the configs: set '
                     f'model.modality_channels={in_channels} and the backbones\' in_channels')

    proj = [k for k in out if k.startswith('projector.')]
    projection_dim = 128
    if proj:
        if len(proj) != 8:
            raise SupConSSLLayoutError(
                f'incomplete projection heads: found {sorted(k for k in key_map if ".fc." in k)}'
                ', expected backbone{1,2}.fc.{0,2}.{weight,bias}')
        projection_dim = int(out['projector.0.necks.1.fc.weight'].shape[0])
    if proj and not with_projection:
        for key in proj:
            del out[key]
        dropped += [k for k, v in key_map.items() if v.startswith('projector.')]
        conversions.append('projection heads dropped (--no-projection): backbones only')
    elif proj:
        conversions.append(f'projection heads Linear({TRUNK_FEATURES}, {TRUNK_FEATURES}) + ReLU + '
                           f'Linear({TRUNK_FEATURES}, {projection_dim}) -> projector.{{0,1}} '
                           '(SequentialNeck of LinearNeck)')
    else:
        notes.append('the file has no projection heads (backbone{1,2}.fc.*): the projector '
                     'starts from scratch')

    num_classes = None
    if 'head.fc.weight' in out:
        classes, features = (int(s) for s in out['head.fc.weight'].shape)
        seed_head = features == 2 * projection_dim
        if features != 2 * TRUNK_FEATURES or not with_head:
            del out['head.fc.weight']
            out.pop('head.fc.bias', None)
            dropped += ['fc.weight', 'fc.bias']
            notes.append(f'fc ({classes} x {features}) dropped: ' + (
                'the seed\'s classifier reads the two concatenated projections, sar_mm\'s '
                f'head the pooled features ({2 * TRUNK_FEATURES}); the head is trained anew'
                if seed_head else '--no-head' if features == 2 * TRUNK_FEATURES else
                f'its input is neither {2 * TRUNK_FEATURES} pooled features nor '
                f'{2 * projection_dim} projections'))
        else:
            num_classes = classes
            conversions.append(f'fc ({classes} x {features}, over the pooled S1 + S2 features) '
                               '-> head.fc')
    for key in dropped:
        key_map.pop(key, None)

    model = target_model(in_channels, num_classes or 8, projection_dim, projector=True)
    target = model.state_dict()
    optional = ('head.', ) if num_classes is None else ()
    if not (proj and with_projection):
        optional += ('projector.', )
    check_state_dict_fits(
        out,
        target,
        f'sar_mm\'s MultiModalClassifier of two ResNet-50s ({MODEL_CONFIG})',
        ignore_prefixes=optional,
        error=SupConSSLLayoutError)
    out = {k: out[k].contiguous() for k in target if k in out}  # sar_mm's order
    report = dict(
        key_map=key_map,
        dropped=dropped,
        in_channels=in_channels,
        num_classes=num_classes,
        projection=bool(proj and with_projection),
        config=CONFIG if proj and with_projection else BACKBONE_ONLY_CONFIG,
        conversions=conversions,
        notes=notes)
    return out, report


def parse_args(argv=None):
    parser = converter_arg_parser(__doc__,
                                  'DualResnet50 checkpoint of SupCon_SSL / SSLTransformerRS')
    parser.add_argument(
        '--no-projection',
        action='store_true',
        help='write the two backbones only (for configs whose projector is not the seed\'s)')
    parser.add_argument(
        '--no-head', action='store_true', help='drop a classifier over the pooled features')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    except UnsafeCheckpointError as err:
        sys.exit(f'supcon_ssl_to_mmpretrain: {err}\nThe seed saves state dicts; a file that '
                 'pickles its model classes (torch.save(model)) is not read, since unpickling '
                 'it could run arbitrary code. Re-save it where the seed\'s code is importable: '
                 "torch.save({'state_dict': model.state_dict()}, 'dualresnet50_state_dict.pth')"
                 ', then convert that file.')
    except FileNotFoundError as err:
        sys.exit(f'supcon_ssl_to_mmpretrain: {err}')
    try:
        state_dict, report = convert(
            checkpoint, with_projection=not args.no_projection, with_head=not args.no_head)
    except SupConSSLLayoutError as err:
        sys.exit(f'supcon_ssl_to_mmpretrain: {args.src}: {err}')
    meta = dict(
        source=osp.abspath(args.src),
        source_release=RELEASE,
        in_channels=list(report['in_channels']),
        num_classes=report['num_classes'],
        projection=report['projection'],
        config=report['config'],
        converted_by='sar_mm tools/model_converters/supcon_ssl_to_mmpretrain.py',
        conversions=list(report['conversions']),
        notes=list(report['notes']))
    save_converted(state_dict, args.dst, meta)
    print(f'read {args.src}')
    for line in report['conversions'] + report['notes']:
        print(f'  - {line}')
    num = sum(v.numel() for v in state_dict.values())
    print(f'wrote {args.dst}: {len(state_dict)} tensors, {num:,} values')
    print(f'use it with {report["config"]} (--cfg-options load_from={args.dst})')


if __name__ == '__main__':
    main()
