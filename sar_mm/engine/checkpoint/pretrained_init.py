"""The ``Pretrained`` weight initialiser of every config, through sar_mm's strict loader.

``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)`` in an mmpretrain, mmdet or
mmseg config builds :class:`AdaptivePretrainedInit` once sar_mm is imported: it is registered
under mmengine's own name ``Pretrained`` in mmengine's root ``WEIGHT_INITIALIZERS`` (seen from
every scope), replacing mmengine's ``PretrainedInit``, and loads with
:func:`~.loader.load_weights_strictly`.

Why the name ``Pretrained`` is replaced rather than a distinct one (say ``SARPretrained``) added:
the upstream code decides by that literal name how a pretrained checkpoint is treated, so an
initialiser under another name would load the weights and then see them overwritten.

* mmengine's ``BaseModule.init_weights`` applies the ``init_cfg`` entries whose type is
  ``'Pretrained'`` (or the class ``PretrainedInit`` itself, not a subclass) *after* the children's
  ``init_weights``; any other type runs before them, so the children's own initialisation
  (mmpretrain's ``TransformerEncoderLayer``, mmcv's ``ConvModule``, ...) would replace the loaded
  weights;
* mmpretrain's ``VisionTransformer``, ``ResNet``, ``SwinTransformer``, ``DeiT``, ``BEiT`` and
  others skip the re-initialisation of their position embeddings / zero-init residual norms only
  when ``init_cfg['type'] == 'Pretrained'``;
* the ``pretrained=`` argument of mmpretrain's ``ImageClassifier`` and self-supervised models
  builds ``dict(type='Pretrained', checkpoint=...)``.

A distinct name would therefore need sar_mm to patch ``BaseModule`` and every such backbone, or
leave half-loaded models. The cost of keeping the name is that a process importing sar_mm
(``custom_imports=['sar_mm']``) changes what ``Pretrained`` does for every config it builds,
and a reader who looks up mmengine's ``PretrainedInit`` is misled: that one logs a warning for
missing keys and keeps random weights; this one raises. The module table of the README lists
``Pretrained`` with this module, and the registry returns this class in every scope.

Backbones that load ``Pretrained`` themselves in their own ``init_weights`` (mmseg's
``VisionTransformer``, ``BEiT``, ``MAE``) do not come here; use mmpretrain's
``VisionTransformer`` (``type='mmpretrain.VisionTransformer'``) in mmseg configs, or convert the
checkpoint with ``tools/model_converters/extract_backbone.py --key-format mmseg``.
"""
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS

from .loader import load_weights_strictly


@WEIGHT_INITIALIZERS.register_module(name='Pretrained', force=True)
class AdaptivePretrainedInit(PretrainedInit):
    """mmengine's ``Pretrained`` initialiser, with key-layout, channel and pos-embed adaptation.

    Registered under mmengine's name ``Pretrained`` (root registry, so mmpretrain, mmdet and
    mmseg configs all use it; see the module docstring for why the name is replaced):
    ``init_cfg=dict(type='Pretrained', checkpoint=CKPT, prefix='backbone.')`` loads the
    checkpoint with :func:`~.loader.load_weights_strictly` (through mmengine's
    ``CheckpointLoader``, hence sar_mm's safe local loader), keeping the keys under ``prefix``
    without it: key names of another codebase's layout are matched, the first layer is adapted
    to the module's input channels and ViT position embeddings to its patch grid, each with a
    logged message. Unlike mmengine's initialiser, which only logs a warning and leaves unmatched
    parameters randomly initialised, keys of the module that the checkpoint does not provide
    raise :class:`~.surgery.CheckpointMismatchError` listing the missing and unexpected keys
    (BatchNorm ``num_batches_tracked`` counters excepted). Checkpoint keys the module does not
    have (e.g. the ``fc`` classifier of a torchvision ResNet) are logged as a warning. Shape
    mismatches left after adaptation always raise.

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
            one (see :data:`~.surgery.FIRST_LAYER_KEYS`).
    """

    def __init__(self,
                 checkpoint,
                 prefix=None,
                 map_location='cpu',
                 missing='raise',
                 unexpected='warn',
                 first_layer_key=None):
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)
        for name, value in (('missing', missing), ('unexpected', unexpected)):
            if value not in ('raise', 'warn'):
                raise ValueError(f"init_cfg Pretrained: {name} must be 'raise' or 'warn', "
                                 f'got {value!r}')
        self.missing = missing
        self.unexpected = unexpected
        self.first_layer_key = first_layer_key

    def __call__(self, module):
        source = f'{self.prefix!r} of {self.checkpoint}' if self.prefix else self.checkpoint
        print_log(f'load {source} into {type(module).__name__}', logger='current')
        load_weights_strictly(
            module,
            self.checkpoint,
            prefix=self.prefix,
            missing=self.missing,
            unexpected=self.unexpected,
            first_layer_key=self.first_layer_key,
            map_location=self.map_location,
            logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())
