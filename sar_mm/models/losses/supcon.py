"""Supervised contrastive loss (SupCon) over any number of views; NT-Xent without labels."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .precision import at_least_float32, autocast_disabled


def supcon_loss(features, labels=None, temperature=0.1, base_temperature=None, normalize=True):
    """Supervised contrastive loss of Khosla et al. (NeurIPS 2020), eq. 2 (``L_out``).

    All ``N * V`` embeddings are anchors. For an anchor ``i`` with positives ``P(i)`` (the other
    embeddings with its label; without labels, the other views of its own sample) and
    ``A(i)`` = every embedding but ``i``:

        ``L_i = -(tau / tau_base) / |P(i)| * sum_{p in P(i)} log( exp(z_i.z_p / tau)
        / sum_{a in A(i)} exp(z_i.z_a / tau) )``

    and the loss is the mean of ``L_i`` over the anchors that have positives. Without labels
    and with ``tau_base = tau`` this is SimCLR's NT-Xent (Chen et al., ICML 2020) generalised
    to V views. The log-softmax is taken with ``logsumexp`` after masking the self-similarity
    with -inf, so it is stable for small temperatures.

    Args:
        features (Tensor): Embeddings, shape (N, V, D) (V views of N samples).
        labels (Tensor, optional): Class index of each sample, shape (N,). None: each sample is
            its own class (SimCLR).
        temperature (float): tau. Defaults to 0.1.
        base_temperature (float, optional): tau_base, rescales the loss by tau / tau_base.
            Defaults to ``temperature`` (no rescaling).
        normalize (bool): L2-normalise the embeddings first. Defaults to True.

    Returns:
        Tensor: Scalar loss.
    """
    if features.dim() != 3:
        raise ValueError('SupConLoss: features must have shape (N, V, D) (samples, views, '
                         f'dims), got {tuple(features.shape)}')
    num, views, _ = features.shape
    if labels is not None:
        labels = labels.reshape(-1)
        if labels.numel() != num:
            raise ValueError(f'SupConLoss: {labels.numel()} labels for {num} samples (one label '
                             'per sample is needed)')
    if temperature <= 0:
        raise ValueError(f'SupConLoss: temperature must be > 0, got {temperature}')
    base_temperature = temperature if base_temperature is None else base_temperature
    if normalize:
        features = F.normalize(features, dim=-1)
    # view-major rows: row v * N + i is view v of sample i
    z = features.transpose(0, 1).reshape(views * num, -1)  # (VN, D)
    logits = z @ z.t() / temperature  # (VN, VN)
    self_mask = torch.eye(views * num, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float('-inf'))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (VN, VN), -inf on diag

    ids = labels if labels is not None else torch.arange(num, device=z.device)
    ids = ids.to(z.device).repeat(views)  # (VN,)
    positive = (ids.view(-1, 1) == ids.view(1, -1)) & ~self_mask  # (VN, VN)
    num_pos = positive.sum(dim=1)  # (VN,)
    pos_log_prob = torch.where(positive, log_prob, torch.zeros_like(log_prob)).sum(dim=1)
    has_pos = num_pos > 0
    if not bool(has_pos.any()):
        # a single view of samples that all differ in label: nothing to pull together
        return features.sum() * 0
    mean_log_prob_pos = pos_log_prob[has_pos] / num_pos[has_pos]
    return -(temperature / base_temperature) * mean_log_prob_pos.mean()


@MODELS.register_module()
class SupConLoss(nn.Module):
    """Supervised contrastive loss (Khosla et al. 2020); SimCLR's NT-Xent when labels are None.

    Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020; the unsupervised case is
    the NT-Xent loss of Chen et al., "A Simple Framework for Contrastive Learning of Visual
    Representations", ICML 2020. See :func:`supcon_loss` for the formula.

    The loss is computed over the batch given (on one process; embeddings of other processes
    are not gathered).

    Args:
        temperature (float): tau. Defaults to 0.1.
        base_temperature (float, optional): tau_base; the loss is scaled by tau / tau_base
            (Khosla et al. use 0.07 for both). Defaults to ``temperature``.
        normalize (bool): L2-normalise the embeddings. Defaults to True.
        loss_weight (float): Factor of the loss (e.g. its weight next to cross-entropy in
            :class:`SupConClassifier`). Defaults to 1.0.
    """

    def __init__(self, temperature=0.1, base_temperature=None, normalize=True, loss_weight=1.0):
        super().__init__()
        if temperature <= 0 or (base_temperature is not None and base_temperature <= 0):
            raise ValueError('SupConLoss: temperature and base_temperature must be > 0, got '
                             f'{temperature} and {base_temperature}')
        self.temperature = float(temperature)
        self.base_temperature = None if base_temperature is None else float(base_temperature)
        self.normalize = bool(normalize)
        self.loss_weight = float(loss_weight)

    def forward(self, features, labels=None):
        """Loss of embeddings ``features`` (N, V, D) with class ``labels`` (N,) or None,
        computed in float32 (float64 for float64 features), also under autocast."""
        with autocast_disabled(features):
            return self.loss_weight * supcon_loss(
                at_least_float32(features), labels, self.temperature, self.base_temperature,
                self.normalize)
