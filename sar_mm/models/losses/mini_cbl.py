"""Class-balanced focal losses: per mini-batch (mini-CBL, SAR-HUB) and per dataset (Cui et al.).

Both losses share one formula and differ only in where the class counts ``n_c`` come from.

Effective number of samples (Cui et al., "Class-Balanced Loss Based on Effective Number of
Samples", CVPR 2019): with ``beta`` in [0, 1), ``n`` samples of a class cover
``E_n = (1 - beta^n) / (1 - beta)`` "effective" samples, so a class is weighted by
``w_c = 1 / E_{n_c} = (1 - beta) / (1 - beta^{n_c})``.

Class-balanced focal loss over a batch of ``N`` samples (targets ``t_{i,c}``, one-hot for single
labels, multi-hot for multi-label data):

* softmax (single-label): ``l_{i,c} = t_{i,c} * w_c * (1 - p_{i,c})^gamma * (-log p_{i,c})``,
  with ``p = softmax(logits)``; for a one-hot target this is
  ``w_{y_i} * (1 - p_{i,y_i})^gamma * CE_i``;
* sigmoid (multi-label): ``l_{i,c} = w_c * (1 - q_{i,c})^gamma * BCE_{i,c}``, with
  ``q = t * sigmoid(x) + (1 - t) * (1 - sigmoid(x))`` the probability of the true value of each
  label;

reduced as ``sum_{i,c} l_{i,c} / sum_{i,c} a_{i,c}`` where ``a`` are the weights applied without
the focal factor (``t_{i,c} w_c`` for softmax, ``w_c`` for sigmoid): the mean weighted by the
class weights, as ``torch.nn.functional.cross_entropy(weight=w)`` averages.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .precision import at_least_float32, autocast_disabled

_REDUCTIONS = ('none', 'mean', 'sum')


def effective_number_weights(counts, beta, normalize=False):
    """Class weights ``(1 - beta) / (1 - beta^{n_c})`` of Cui et al. (CVPR 2019).

    Args:
        counts (Tensor): Samples per class, shape (C,). Counts below 1 are raised to 1, so a
            class without samples gets the weight of a class with one sample, ``1``.
        beta (float): Hyper-parameter in [0, 1): 0 gives uniform weights, values close to 1
            weights close to ``1 / n_c``.
        normalize (bool): Rescale the weights to sum to C (Cui et al.'s normalisation).

    Returns:
        Tensor: Weights, shape (C,), float32 or the dtype of ``counts`` if floating.
    """
    if not 0 <= beta < 1:
        raise ValueError(f'beta must be in [0, 1), got {beta}')
    counts = counts.float() if not counts.is_floating_point() else counts
    counts = counts.clamp_min(1)
    # 1 - beta^n, computed as -expm1(n log beta) so that it stays accurate for beta close to 1
    if beta == 0:
        weights = torch.ones_like(counts)
    else:
        effective = -torch.expm1(counts * torch.log(counts.new_tensor(beta)))
        weights = (1 - beta) / effective
    if normalize:
        weights = weights * (weights.numel() / weights.sum())
    return weights


def _as_target_matrix(target, cls_score, loss_name):
    """Targets as a float (N, C) matrix: one-hot from indices, soft/multi-hot kept."""
    num, num_classes = cls_score.shape
    if target.dim() == 2 and target.shape[1] == 1:
        target = target.view(-1)
    if target.dim() == 1:
        if target.numel() != num:
            raise ValueError(f'{loss_name}: {target.numel()} labels for {num} scores')
        if target.is_floating_point():
            target = target.long()
        bad = target[(target < 0) | (target >= num_classes)]
        if bad.numel():
            raise ValueError(f'{loss_name}: label {int(bad[0])} is outside the {num_classes} '
                             'classes of the scores')
        return F.one_hot(target, num_classes).to(cls_score.dtype)
    if target.shape != cls_score.shape:
        raise ValueError(f'{loss_name}: target of shape {tuple(target.shape)} does not match '
                         f'the scores {tuple(cls_score.shape)} (give (N,) class indices or an '
                         '(N, C) one-hot / soft / multi-hot matrix)')
    return target.to(cls_score.dtype)


def class_balanced_focal_loss(cls_score,
                              target,
                              class_weights,
                              gamma=2.0,
                              use_sigmoid=False,
                              weight=None,
                              reduction='mean'):
    """Class-balanced focal loss with given class weights (see the module docstring).

    Args:
        cls_score (Tensor): Logits, shape (N, C).
        target (Tensor): Float (N, C) one-hot, soft or multi-hot targets.
        class_weights (Tensor): Weight of each class, shape (C,).
        gamma (float): Focusing parameter; 0 gives the class-balanced (B)CE.
        use_sigmoid (bool): Per-label sigmoid/BCE (multi-label) instead of softmax/CE.
        weight (Tensor, optional): Sample-wise weight, shape (N,) (or (N, C) with
            ``use_sigmoid``); it scales both a sample's loss and its share of the normaliser.
        reduction (str): ``'mean'`` (weighted mean), ``'sum'`` or ``'none'`` (per sample (N,)
            for softmax, per element (N, C) for sigmoid).

    Returns:
        Tensor: The loss.
    """
    w = class_weights.to(cls_score.dtype).view(1, -1)  # (1, C)
    if use_sigmoid:
        bce = F.binary_cross_entropy_with_logits(cls_score, target, reduction='none')  # (N, C)
        prob = cls_score.sigmoid()
        prob_true = target * prob + (1 - target) * (1 - prob)
        balance = w.expand_as(cls_score)  # (N, C)
        loss = balance * (1 - prob_true).pow(gamma) * bce
    else:
        log_prob = F.log_softmax(cls_score, dim=1)  # (N, C)
        balance = target * w  # (N, C): t_ic w_c
        loss = balance * (1 - log_prob.exp()).pow(gamma) * (-log_prob)
        loss, balance = loss.sum(dim=1), balance.sum(dim=1)  # (N,)
    if weight is not None:
        weight = weight.to(cls_score.dtype)
        if weight.dim() == 1 and loss.dim() == 2:
            weight = weight.view(-1, 1)
        loss, balance = loss * weight, balance * weight
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    # the weighted mean; an all-zero normaliser (e.g. all sample weights 0) gives 0, not NaN
    return loss.sum() / balance.sum().clamp_min(torch.finfo(loss.dtype).tiny)


class _ClassBalancedFocalBase(nn.Module):
    """Shared forward of the class-balanced focal losses; subclasses give the class counts."""

    def __init__(self, beta, gamma, use_sigmoid, normalize_weights, reduction, loss_weight):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
        if gamma < 0:
            raise ValueError(f'gamma must be >= 0, got {gamma}')
        effective_number_weights(torch.ones(1), beta)  # validates beta
        self.beta = float(beta)
        self.gamma = float(gamma)
        self.use_sigmoid = bool(use_sigmoid)
        self.normalize_weights = bool(normalize_weights)
        self.reduction = reduction
        self.loss_weight = float(loss_weight)

    def class_counts_for(self, target):
        """Counts (C,) used for the weights of a batch with (N, C) float targets."""
        raise NotImplementedError

    def class_weights_for(self, target):
        """Class weights (C,) of a batch with (N, C) float targets."""
        return effective_number_weights(
            self.class_counts_for(target), self.beta, self.normalize_weights)

    def forward(self,
                cls_score,
                label,
                weight=None,
                avg_factor=None,
                reduction_override=None,
                **kwargs):
        """Loss of logits ``cls_score`` (N, C) against ``label``.

        Args:
            cls_score (Tensor): Logits, shape (N, C).
            label (Tensor): Class indices (N,) or (N, 1), or an (N, C) one-hot, soft (e.g.
                mixup ``gt_score``) or multi-hot matrix.
            weight (Tensor, optional): Sample-wise weight (N,).
            avg_factor (float, optional): Accepted for mmpretrain heads, which pass the batch
                size, and ignored: the mean of this loss is always normalised by the sum of the
                class weights, which is part of its definition.
            reduction_override (str, optional): ``'none'``, ``'mean'`` or ``'sum'``.

        Returns:
            Tensor: The loss (a scalar unless the reduction is ``'none'``), computed in float32
            (float64 for float64 scores), also under autocast.
        """
        if reduction_override not in (None, ) + _REDUCTIONS:
            raise ValueError(f'reduction_override must be None or one of {_REDUCTIONS}, '
                             f'got {reduction_override!r}')
        if cls_score.dim() != 2:
            raise ValueError(f'{type(self).__name__}: expected (N, C) scores, '
                             f'got shape {tuple(cls_score.shape)}')
        reduction = reduction_override or self.reduction
        with autocast_disabled(cls_score):
            cls_score = at_least_float32(cls_score)
            target = _as_target_matrix(label, cls_score, type(self).__name__)
            class_weights = self.class_weights_for(target.detach())
            loss = class_balanced_focal_loss(cls_score, target, class_weights, self.gamma,
                                             self.use_sigmoid, weight, reduction)
            return self.loss_weight * loss


@MODELS.register_module()
class MiniBatchClassBalancedLoss(_ClassBalancedFocalBase):
    """Mini-batch class-balanced focal loss (mini-CBL) of SAR-HUB, single- or multi-label.

    Huang et al., "What, Where, and How to Transfer in SAR Target Recognition Based on Deep
    CNNs", IEEE TGRS 2020, as used for SAR-HUB's pretraining (Yang et al., "SAR-HUB:
    Pre-Training, Fine-Tuning, and Explaining", Remote Sensing 2023): the class-balanced focal
    loss of Cui et al.
    (CVPR 2019) with the class counts taken from the *current mini-batch* instead of the whole
    training set, so that the balance follows what the batch actually contains:

    * ``n_c`` = samples of class c in the batch (sum of the target column: positives per label
      for multi-label data, summed soft scores for mixup targets), counted at least 1, so a
      class absent from the batch weighs like a class with one sample;
    * ``w_c = (1 - beta) / (1 - beta^{n_c})``;
    * ``loss_i = w_{y_i} (1 - p_{i,y_i})^gamma CE_i`` (softmax) or the per-element focal BCE
      weighted by ``w_c`` (``use_sigmoid=True``), reduced as ``sum_i loss_i / sum_i w_{y_i}``
      (see :mod:`sar_mm.models.losses.mini_cbl` for the exact formulas).

    One class with ``use_sigmoid`` (as mmpretrain's ``CrossEntropyLoss``) rather than two:
    the variants differ only in the per-element probability term, the weights and the
    reduction are shared, and a head config switches with one flag.

    **Departures from the reference code** (SAR-HUB ``MINI_CB_Focal_Loss``): the reference
    computes the class-weighted *batch-mean* cross-entropy ``L`` first, then returns
    ``mean_c(w_c) * (1 - exp(-L))^gamma * L``: the focal factor modulates the batch mean (so
    easy and hard samples of a batch get the same factor) and the result is scaled by the mean
    class weight of the batch. Here the focal factor is applied per sample, as the paper's
    formula and Cui et al.'s focal loss have it, and there is no extra mean-weight factor.
    With ``gamma=0`` both reduce to the class-weighted cross-entropy (up to that factor).
    ``normalize_weights`` does not change the ``'mean'`` reduction (the weighted mean is
    invariant to a common scale of the weights); it matters for ``'sum'`` and ``'none'``.

    Args:
        use_sigmoid (bool): Multi-label variant (sigmoid/BCE per label, counts = positives per
            label); use with ``MultiLabelLinearClsHead``. Defaults to False (softmax).
        beta (float): Effective-number hyper-parameter in [0, 1). Defaults to 0.995.
        gamma (float): Focal focusing parameter. Defaults to 2.0.
        normalize_weights (bool): Rescale the batch's class weights to sum to the number of
            classes. Defaults to False.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
        loss_weight (float): Factor of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 use_sigmoid=False,
                 beta=0.995,
                 gamma=2.0,
                 normalize_weights=False,
                 reduction='mean',
                 loss_weight=1.0):
        super().__init__(beta, gamma, use_sigmoid, normalize_weights, reduction, loss_weight)

    def class_counts_for(self, target):
        return target.sum(dim=0)  # (C,)


@MODELS.register_module()
class ClassBalancedFocalLoss(_ClassBalancedFocalBase):
    """Class-balanced focal loss with class counts of the whole training set (Cui et al. 2019).

    Cui et al., "Class-Balanced Loss Based on Effective Number of Samples", CVPR 2019; the
    dataset-level baseline of SAR-HUB's mini-CBL (:class:`MiniBatchClassBalancedLoss`), with the
    same formula and reduction, only the counts differ: ``n_c`` is the number of training
    samples of class c (at least 1).

    The counts are read from the training dataset, never written into configs: add
    ``custom_hooks = [dict(type='ClassCountsHook')]`` and the hook calls
    :meth:`set_class_counts` before training with the counts of
    ``runner.train_dataloader.dataset``. Running the loss before the counts are set is an error.

    Args:
        use_sigmoid (bool): Multi-label variant (sigmoid/BCE per label; counts = positive
            samples per label). Defaults to False (softmax).
        beta (float): Effective-number hyper-parameter in [0, 1). Defaults to 0.9999 (Cui
            et al.'s choice for large long-tailed sets).
        gamma (float): Focal focusing parameter. Defaults to 2.0.
        normalize_weights (bool): Rescale the class weights to sum to the number of classes, as
            Cui et al. do. Defaults to True.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
        loss_weight (float): Factor of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 use_sigmoid=False,
                 beta=0.9999,
                 gamma=2.0,
                 normalize_weights=True,
                 reduction='mean',
                 loss_weight=1.0):
        super().__init__(beta, gamma, use_sigmoid, normalize_weights, reduction, loss_weight)
        # not saved in checkpoints: always re-read from the dataset that is trained on
        self.register_buffer('class_counts', None, persistent=False)

    def set_class_counts(self, counts):
        """Set the per-class sample counts of the training set, a sequence of C numbers."""
        counts = torch.as_tensor(counts, dtype=torch.float32).flatten()
        invalid = bool((counts < 0).any()) or not bool(torch.isfinite(counts).all())
        if counts.numel() == 0 or invalid:
            raise ValueError(f'{type(self).__name__}: class counts must be C >= 1 finite, '
                             f'non-negative numbers, got {counts.tolist()}')
        device = self.class_counts.device if self.class_counts is not None else None
        self.class_counts = counts if device is None else counts.to(device)

    def class_counts_for(self, target):
        if self.class_counts is None:
            raise RuntimeError(
                f'{type(self).__name__}: the class counts of the training set are not set. Add '
                "custom_hooks = [dict(type='ClassCountsHook')] to the config (it reads them from "
                'the training dataset before training) or call set_class_counts(counts).')
        if self.class_counts.numel() != target.shape[1]:
            raise ValueError(
                f'{type(self).__name__}: {self.class_counts.numel()} class counts were set but '
                f'the scores have {target.shape[1]} classes (does the head\'s num_classes match '
                'the training dataset\'s classes?)')
        return self.class_counts.to(target.device)
