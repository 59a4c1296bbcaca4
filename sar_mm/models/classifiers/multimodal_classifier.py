"""Classifier of co-registered multi-modal inputs: one backbone per modality, fused features."""
import copy

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .supcon_classifier import SupConClassifier


def _per_modality(cfg, num, what):
    """``num`` built modules from one config (copied) or a list of ``num`` configs."""
    if cfg is None:
        return None
    cfgs = list(cfg) if isinstance(cfg, (list, tuple)) else [copy.deepcopy(cfg) for _ in range(num)]
    if len(cfgs) != num:
        raise ValueError(f'MultiModalClassifier: {len(cfgs)} {what} configs for {num} '
                         'modalities (give one config, used for each, or one per modality)')
    return nn.ModuleList([c if isinstance(c, nn.Module) else MODELS.build(c) for c in cfgs])


@MODELS.register_module()
class MultiModalClassifier(SupConClassifier):
    """Two (or more) backbones for co-registered inputs, concatenated features, CE + SupCon.

    For pairs such as SAR + optical or two SAR polarisations of the same scene. The modalities
    arrive stacked along the channel axis (``LoadModalityPair`` loads and stacks them, so every
    geometric transform of the pipeline applies to both identically); ``modality_channels``
    says how many channels belong to each. Each modality has its own backbone, neck and
    projector; the pooled features of all modalities are concatenated into one
    classification head.

    Training (inputs from ``MultiView``, see :class:`SupConClassifier`) with
    ``separate_ce_view=True`` (default): view 0 is the un-augmented pair, used for
    cross-entropy; views 1..V-1 are augmented pairs whose projections, **per modality**, are
    the views of supervised contrastive learning: with 2 augmented views and 2 modalities each
    sample has 4 embeddings (view 1 of modality a, view 2 of a, view 1 of b, view 2 of b) that
    SupCon pulls together, along with those of the samples of the same class. Treating the
    modalities of a scene as extra views of it is the multi-modal supervised contrastive set-up
    used on multi-sensor benchmarks such as METER-ML and the DFC2020 SAR-optical scenes (SupCon:
    Khosla et al., NeurIPS 2020). Prediction uses one stacked pair, like ``ImageClassifier``.

    Args:
        backbone (dict | list[dict]): Backbone config used for every modality (separate
            weights), or one config per modality (e.g. with their own ``in_channels`` and
            ``init_cfg=dict(type='Pretrained', ...)``).
        modality_channels (Sequence[int]): Channels of each modality in the stacked input, in
            order, e.g. ``(1, 1)`` for VV + VH or ``(1, 3)`` for SAR + RGB.
        head (dict): Classification head; its ``in_channels`` is the sum of the modalities'
            feature sizes.
        projector (dict | list[dict]): Projection config per modality (one config is copied);
            every projector must give embeddings of the same size.
        neck (dict | list[dict], optional): Neck per modality (e.g. ``GlobalAveragePooling``).
        supcon_loss (dict, optional): Contrastive loss config. Defaults to ``SupConLoss``
            (tau 0.1, weight 1).
        separate_ce_view (bool): View 0 is the un-augmented pair for cross-entropy only.
            Defaults to True.
        use_labels (bool): Class-supervised positives (False: only the views and modalities of
            the same sample). Defaults to True.
        train_cfg (dict, optional), data_preprocessor (dict, optional), init_cfg (dict,
            optional): As in ``ImageClassifier``; the preprocessor's ``mean``/``std`` have one
            entry per stacked channel.
    """

    def __init__(self,
                 backbone,
                 modality_channels,
                 head,
                 projector,
                 neck=None,
                 supcon_loss=None,
                 separate_ce_view=True,
                 use_labels=True,
                 train_cfg=None,
                 data_preprocessor=None,
                 init_cfg=None):
        channels = tuple(int(c) for c in modality_channels)
        if len(channels) < 2 or min(channels) < 1:
            raise ValueError('MultiModalClassifier: modality_channels needs at least two '
                             f'positive channel counts, got {tuple(modality_channels)}')
        num = len(channels)
        super().__init__(
            backbone=_per_modality(backbone, num, 'backbone'),
            neck=_per_modality(neck, num, 'neck'),
            head=head,
            projector=_per_modality(projector, num, 'projector'),
            supcon_loss=supcon_loss,
            separate_ce_view=separate_ce_view,
            use_labels=use_labels,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.modality_channels = channels

    # ------------------------------------------------------------------ features
    def _split(self, inputs):
        """Per-modality inputs (B, c_m, H, W) of the stacked (B, sum c_m, H, W) batch."""
        if inputs.dim() != 4 or inputs.size(1) != sum(self.modality_channels):
            raise ValueError(
                f'MultiModalClassifier: inputs of shape {tuple(inputs.shape)} do not hold the '
                f'stacked modalities of modality_channels={self.modality_channels} '
                f'({sum(self.modality_channels)} channels expected)')
        return torch.split(inputs, self.modality_channels, dim=1)

    def _check_data_samples(self, data_samples):
        """The pipeline's recorded ``modality_channels`` (if packed) must match the model's."""
        if not data_samples:
            return
        recorded = data_samples[0].metainfo.get('modality_channels')
        if recorded is not None and tuple(int(c) for c in recorded) != self.modality_channels:
            raise ValueError(f'MultiModalClassifier: the data has modality_channels='
                             f'{tuple(recorded)} but the model is configured with '
                             f'{self.modality_channels}')

    def pooled_features(self, inputs):
        """Pooled features of each modality: a list of (B, D_m) tensors."""
        out = []
        for index, x in enumerate(self._split(inputs)):
            feat = self.backbone[index](x)
            if self.neck is not None:
                feat = self.neck[index](feat)
            feat = feat[-1] if isinstance(feat, (tuple, list)) else feat
            if feat.dim() != 2:
                raise ValueError(f'MultiModalClassifier: modality {index} gives features of '
                                 f'shape {tuple(feat.shape)}, not pooled (B, D): add a neck '
                                 "such as dict(type='GlobalAveragePooling')")
            out.append(feat)
        return out

    def projectors(self):
        return list(self.projector)

    def extract_feat(self, inputs, stage='neck'):
        """Features of the stacked inputs (B, sum c_m, H, W).

        Args:
            inputs (Tensor): Stacked modalities.
            stage (str): ``'backbone'`` (a tuple with each modality's backbone output),
                ``'neck'`` (a 1-tuple of the concatenated pooled features (B, sum D_m)) or
                ``'pre_logits'`` (the head's pre-logits of those).
        """
        if stage == 'backbone':
            return tuple(bb(x) for bb, x in zip(self.backbone, self._split(inputs)))
        fused = (torch.cat(self.pooled_features(inputs), dim=1), )  # ((B, sum D_m), )
        if stage == 'neck':
            return fused
        if stage == 'pre_logits':
            return self.head.pre_logits(fused)
        raise ValueError(f"stage must be 'backbone', 'neck' or 'pre_logits', got {stage!r}")

    def loss(self, inputs, data_samples):
        self._check_data_samples(data_samples)
        return super().loss(inputs, data_samples)

    def predict(self, inputs, data_samples=None, **kwargs):
        self._check_data_samples(data_samples)
        return super().predict(inputs, data_samples, **kwargs)
