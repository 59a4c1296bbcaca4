"""Weighted k-nearest-neighbour classification of frozen features, and the pooling that makes
one feature vector per sample from a backbone's outputs.

Shared by the kNN monitor of pretraining (:class:`sar_mm.engine.hooks.KNNAccuracyHook`) and the
frozen-feature few-shot probe (:func:`sar_mm.evaluation.feature_probe.knn_predict`).
"""
import torch
import torch.nn.functional as F


def weighted_knn_predict(bank_feats,
                         bank_labels,
                         query_feats,
                         num_classes,
                         k=(20, ),
                         temperature=0.07,
                         chunk_size=1024):
    """Weighted kNN classification on cosine similarity (Wu et al. 2018; as used by DINO).

    Z. Wu, Y. Xiong, S. X. Yu, D. Lin, "Unsupervised feature learning via non-parametric
    instance discrimination", CVPR 2018 (Sec. 3.4); M. Caron et al., "Emerging properties in
    self-supervised vision transformers" (DINO), ICCV 2021. Features are L2-normalised; for a
    query ``q`` the ``k`` bank samples of highest cosine similarity ``s_i = <q, f_i>`` vote for
    their class with weight ``exp(s_i / T)``, and the class with the largest summed weight wins:
    ``pred(q) = argmax_c sum_{i in topk(q)} exp(s_i / T) [y_i = c]``. The weights are computed as
    ``exp((s_i - max_j s_j) / T)``, the same ratios without overflow for small ``T``.

    Args:
        bank_feats (torch.Tensor): Features of the labelled memory bank, ``(N_bank, D)``.
        bank_labels (torch.Tensor): Their class indices, ``(N_bank,)``.
        query_feats (torch.Tensor): Features to classify, ``(N_query, D)``.
        num_classes (int): Number of classes.
        k (int | Sequence[int]): Number(s) of neighbours; each is capped at ``N_bank``.
            Defaults to ``(20,)``.
        temperature (float): Temperature ``T`` of the vote weights. Defaults to 0.07.
        chunk_size (int): Queries per similarity block (memory bound). Defaults to 1024.

    Returns:
        dict[int, torch.Tensor]: For each requested ``k``, the predicted labels ``(N_query,)``.
    """
    ks = (k, ) if isinstance(k, int) else tuple(k)
    if not ks or min(ks) < 1:
        raise ValueError(f'k must be positive integers, got {k}')
    if temperature <= 0:
        raise ValueError(f'temperature must be positive, got {temperature}')
    if bank_feats.shape[0] == 0:
        raise ValueError('the kNN memory bank is empty')
    bank = F.normalize(bank_feats.float(), dim=1)  # (N_bank, D)
    queries = F.normalize(query_feats.float(), dim=1)  # (N_query, D)
    bank_labels = bank_labels.long().to(bank.device)
    k_max = min(max(ks), bank.shape[0])
    preds = {kk: [] for kk in ks}
    for start in range(0, queries.shape[0], chunk_size):
        sim = queries[start:start + chunk_size] @ bank.t()  # (B, N_bank)
        top_sim, top_idx = sim.topk(k_max, dim=1)  # (B, k_max), sorted descending
        weights = torch.exp((top_sim - top_sim[:, :1]) / temperature)  # (B, k_max)
        top_labels = bank_labels[top_idx]  # (B, k_max)
        for kk in ks:
            n = min(kk, k_max)
            votes = torch.zeros(sim.shape[0], num_classes, device=sim.device)  # (B, C)
            votes.scatter_add_(1, top_labels[:, :n], weights[:, :n])
            preds[kk].append(votes.argmax(dim=1))
    return {
        kk: (torch.cat(p) if p else torch.zeros(0, dtype=torch.long))
        for kk, p in preds.items()
    }


def features_to_vectors(feats, out_index=-1):
    """One feature vector per sample from what a backbone (or neck) returns.

    A tuple/list of stage outputs is indexed with ``out_index`` (repeatedly, for nested
    lists); then a feature map ``(N, C, H, W)`` is global-average-pooled, a token sequence
    ``(N, L, C)`` is averaged over its tokens, a ``(N, C)`` tensor (e.g. a ViT class token,
    ``out_type='cls_token'``) is kept, and anything else is flattened to ``(N, -1)``.
    """
    while isinstance(feats, (list, tuple)):
        feats = feats[out_index]
    if feats.ndim == 4:
        feats = feats.mean(dim=(2, 3))  # (N, C, H, W) -> (N, C)
    elif feats.ndim == 3:
        feats = feats.mean(dim=1)  # (N, L, C) -> (N, C)
    elif feats.ndim != 2:
        feats = feats.flatten(1)  # (N, ...) -> (N, D)
    return feats.float()
