"""Image classifier trained with cross-entropy plus a supervised contrastive loss on two views."""
import torch
import torch.nn as nn
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS


def _build(cfg):
    return cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)


@MODELS.register_module()
class SupConClassifier(ImageClassifier):
    """``ImageClassifier`` trained with cross-entropy plus SupCon on several views per sample.

    Supervised contrastive learning (Khosla et al., "Supervised Contrastive Learning",
    NeurIPS 2020) used jointly with the classification loss, as in the hybrid SupCon + CE
    objectives of SAR ATR work: the training pipeline gives each sample V views
    (mmpretrain's ``MultiView``), all views go through the backbone and neck in one batch,
    and

    * the **cross-entropy** of the head is computed on view 0 only (so it is an ordinary
      supervised step on one augmented image, and the head sees each sample once per
      iteration);
    * the **SupCon loss** is computed on the projections (``projector``, e.g. mmpretrain's
      ``NonLinearNeck`` on the pooled features) of the contrastive views: views 0..V-1, or
      views 1..V-1 when ``separate_ce_view=True`` (then view 0 is an un-augmented or lightly
      augmented image used for cross-entropy only, and the pipeline must give at least 3
      views).

    Losses: ``loss_cls`` (the head's loss, e.g. CE), ``loss_supcon`` (weighted by the
    ``loss_weight`` of ``supcon_loss``) and the head's training accuracy. Prediction and the
    ``tensor`` mode work on single images exactly as ``ImageClassifier``; the projector is
    not used there.

    The data preprocessor defaults to :class:`MultiViewClsDataPreprocessor`, which takes both
    the multi-view training batches and the single-view validation batches.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config (e.g. ``GlobalAveragePooling``); its output is fed
            to the head and to the projector.
        head (dict): Classification head config (e.g. ``LinearClsHead``).
        projector (dict): Projection config mapping the neck's output (a tuple of (B, D)) to
            embeddings (B, d), e.g. ``NonLinearNeck(in_channels=D, ..., with_avg_pool=False)``.
        supcon_loss (dict, optional): Contrastive loss config. Defaults to ``SupConLoss``
            with temperature 0.1 and weight 1.
        separate_ce_view (bool): View 0 is for cross-entropy only (see above). Defaults to
            False.
        use_labels (bool): Use the class labels for SupCon positives; False gives SimCLR's
            NT-Xent (positives are the other views of the same sample). Defaults to True.
        pretrained (str, optional), train_cfg (dict, optional), data_preprocessor (dict,
            optional), init_cfg (dict, optional): As in ``ImageClassifier``.
    """

    def __init__(self,
                 backbone,
                 head,
                 projector,
                 neck=None,
                 supcon_loss=None,
                 separate_ce_view=False,
                 use_labels=True,
                 pretrained=None,
                 train_cfg=None,
                 data_preprocessor=None,
                 init_cfg=None):
        if isinstance(data_preprocessor, dict) or data_preprocessor is None:
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type', 'MultiViewClsDataPreprocessor')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if head is None:
            raise ValueError(f'{type(self).__name__} needs a classification head')
        self.projector = _build(projector)
        self.supcon_loss = _build(supcon_loss or dict(type='SupConLoss', temperature=0.1))
        self.separate_ce_view = bool(separate_ce_view)
        self.use_labels = bool(use_labels)

    # ------------------------------------------------------------------ features
    def pooled_features(self, inputs):
        """Per-branch pooled features of ``inputs`` (B, C, H, W): a list of (B, D) tensors.

        One branch here (the neck's last output); :class:`MultiModalClassifier` has one per
        modality. The head sees their concatenation.
        """
        feats = ImageClassifier.extract_feat(self, inputs, stage='neck')
        feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if feat.dim() != 2:
            raise ValueError(f'{type(self).__name__}: the neck must give pooled (B, D) features '
                             f'for the head and the projector, got {tuple(feat.shape)} (add a '
                             "neck such as dict(type='GlobalAveragePooling'))")
        return [feat]

    def projectors(self):
        """The projection module of each branch of :meth:`pooled_features`."""
        return [self.projector]

    # ------------------------------------------------------------------ training
    def _views(self, inputs):
        """Training inputs as a list of V view tensors (N, C, H, W), checked."""
        if isinstance(inputs, torch.Tensor):
            raise ValueError(
                f'{type(self).__name__}.loss needs several views per sample (a list of tensors '
                "from dict(type='MultiView', ...) in the training pipeline), got one tensor "
                f'{tuple(inputs.shape)}')
        views = list(inputs)
        needed = 3 if self.separate_ce_view else 2
        if len(views) < needed:
            raise ValueError(f'{type(self).__name__}: {len(views)} views per sample, needs at '
                             f'least {needed} (separate_ce_view={self.separate_ce_view})')
        shapes = {tuple(v.shape) for v in views}
        if len(shapes) != 1:
            raise ValueError(f'{type(self).__name__}: the views differ in shape {sorted(shapes)}; '
                             'crop or resize every view to the same size in the pipeline')
        return views

    def _contrast_labels(self, data_samples, num):
        if not self.use_labels:
            return None
        if not data_samples or 'gt_label' not in data_samples[0]:
            raise ValueError(f'{type(self).__name__}: SupCon needs gt_label in the data samples '
                             '(or use_labels=False for label-free NT-Xent)')
        labels = torch.cat([s.gt_label.reshape(-1) for s in data_samples])
        if labels.numel() != num:
            raise ValueError(f'{type(self).__name__}: SupCon needs exactly one label per sample, '
                             f'got {labels.numel()} labels for {num} samples (multi-label data: '
                             'use_labels=False)')
        return labels

    def loss(self, inputs, data_samples):
        """Cross-entropy on view 0 plus SupCon on the contrastive views.

        Args:
            inputs (list[Tensor]): V views, each (N, C, H, W).
            data_samples (list[DataSample]): One per sample, with ``gt_label``.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_supcon`` and the head's other outputs.
        """
        views = self._views(inputs)
        num_views, num = len(views), views[0].size(0)
        pooled = self.pooled_features(torch.cat(views))  # branches of (V*N, D_b)

        ce_feats = torch.cat([p[:num] for p in pooled], dim=1)  # (N, sum D_b): view 0
        losses = self.head.loss((ce_feats, ), data_samples)
        losses['loss_cls'] = losses.pop('loss')

        first = 1 if self.separate_ce_view else 0
        embeddings = []
        for feat, projector in zip(pooled, self.projectors()):
            z = projector((feat[first * num:], ))  # ((V'*N, d), )
            z = z[-1] if isinstance(z, (tuple, list)) else z
            embeddings.append(z.reshape(num_views - first, num, -1))  # (V', N, d)
        dims = sorted({e.shape[-1] for e in embeddings})
        if len(dims) > 1:
            raise ValueError(f'{type(self).__name__}: the projectors give embeddings of different '
                             f'sizes {dims}; give every projector the same out_channels')
        # every branch's projection of every contrastive view is one more view of the sample
        z = torch.cat(embeddings, dim=0).transpose(0, 1)  # (N, V' * branches, d)
        losses['loss_supcon'] = self.supcon_loss(z, self._contrast_labels(data_samples, num))
        return losses

    def predict(self, inputs, data_samples=None, **kwargs):
        """Predictions for single images (N, C, H, W), as ``ImageClassifier.predict``."""
        if not isinstance(inputs, torch.Tensor):
            raise ValueError(f'{type(self).__name__}.predict takes one image per sample (a '
                             '(N, C, H, W) tensor); use a single-view test pipeline')
        return super().predict(inputs, data_samples, **kwargs)
