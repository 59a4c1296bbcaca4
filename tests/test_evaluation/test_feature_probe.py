"""Frozen-feature few-shot evaluation: the L-BFGS probe, its shots-only model selection, kNN."""
import numpy as np
import pytest
import torch

from sar_mm.evaluation.feature_probe import (FeatureProbeError, accuracy_metrics, fit_linear_probe,
                                             knn_predict, pool_backbone_outputs,
                                             prepare_backbone_for_features)


def _separable(n_per_class=10, num_classes=4, dim=16, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(num_classes, dim))  # a known linear separator: class = argmax w x
    x = rng.normal(size=(20000, dim)) * scale
    y = (x @ w.T).argmax(1)
    idx = np.concatenate([np.flatnonzero(y == c)[:n_per_class] for c in range(num_classes)])
    test = np.setdiff1d(np.arange(len(y)), idx)[:2000]
    return x[idx], y[idx], x[test], y[test]


def test_probe_recovers_a_known_linear_separator():
    x, y, xt, yt = _separable(n_per_class=50)
    probe, info = fit_linear_probe(x, y)
    assert (probe.predict(xt) == yt).mean() > 0.85  # chance: 0.25
    assert info['C'] in info['cv_scores']
    # a shifted, rescaled copy of the features gives the same predictions (standardisation)
    probe2, _ = fit_linear_probe(x * 50 + 7, y)
    assert (probe2.predict(xt * 50 + 7) == probe.predict(xt)).mean() > 0.99


def test_model_selection_uses_only_the_training_shots():
    x, y, xt, yt = _separable(n_per_class=8, seed=1)
    _, info = fit_linear_probe(x, y)
    # the test features play no part in fitting: changing them changes nothing chosen
    rng = np.random.default_rng(5)
    _, info_again = fit_linear_probe(x, y)
    assert info_again == info
    probe, _ = fit_linear_probe(x, y)
    coef = probe[-1].coef_.copy()
    _ = probe.predict(rng.normal(size=xt.shape) * 100)
    np.testing.assert_array_equal(probe[-1].coef_, coef)
    # the choice does depend on the shots: other shots can give another C or scores
    _, info_other = fit_linear_probe(x[:, ::-1]**3, y)
    assert info_other['cv_scores'] != info['cv_scores']


def test_probe_errors():
    with pytest.raises(FeatureProbeError, match='two classes'):
        fit_linear_probe(np.zeros((4, 3)), np.zeros(4, dtype=int))
    with pytest.raises(FeatureProbeError, match='expected'):
        fit_linear_probe(np.zeros((4, 3)), np.zeros(3, dtype=int))


def test_knn_equals_brute_force():
    rng = np.random.default_rng(0)
    bank, labels = rng.normal(size=(60, 8)), rng.integers(0, 5, 60)
    queries = rng.normal(size=(30, 8))
    k, t = 7, 0.1
    preds = knn_predict(bank, labels, queries, 5, k=k, temperature=t)
    bn = bank / np.linalg.norm(bank, axis=1, keepdims=True)
    for q, p in zip(queries, preds):
        sim = bn @ (q / np.linalg.norm(q))
        top = np.argsort(-sim)[:k]
        votes = np.zeros(5)
        for i in top:
            votes[labels[i]] += np.exp(sim[i] / t)
        assert p == votes.argmax()


def test_accuracy_metrics():
    m = accuracy_metrics([0, 1, 1, 2], [0, 1, 2, 2], 4)
    assert m['top1'] == 75.0
    assert np.isnan(m['per_class'][3])
    assert m['mean_per_class'] == pytest.approx((100 + 100 + 50) / 3)
    assert m['confusion'][2, 1] == 1


def test_feature_choices():
    cnn = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=18, num_stages=4))
    cfg, name = prepare_backbone_for_features(cnn, 'concat_stages', 2)
    assert name == 'concat_stages' and cfg['backbone']['out_indices'] == (2, 3)
    assert prepare_backbone_for_features(cnn)[1] == 'gap'
    vit = dict(
        type='ImageClassifier',
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch=dict(embed_dims=8, num_layers=6, num_heads=2, feedforward_channels=16)))
    cfg, name = prepare_backbone_for_features(vit, 'cls_token', 4)
    assert cfg['backbone']['out_indices'] == (2, 3, 4, 5) and cfg['backbone']['out_type'] == 'raw'
    with pytest.raises(FeatureProbeError, match='a ViT feature'):
        prepare_backbone_for_features(vit, 'gap')
    with pytest.raises(FeatureProbeError, match='a CNN feature'):
        prepare_backbone_for_features(cnn, 'cls_token')
    tokens = torch.arange(2 * 5 * 3, dtype=torch.float32).reshape(2, 5, 3)
    cls = pool_backbone_outputs((tokens, tokens), 'cls_token')
    assert cls.shape == (2, 6) and torch.equal(cls[:, :3], tokens[:, 0])
    mean = pool_backbone_outputs((tokens, ), 'mean_patch')
    assert torch.allclose(mean, tokens[:, 1:].mean(1))
    maps = torch.randn(2, 4, 3, 3)
    assert torch.allclose(pool_backbone_outputs((maps, ), 'gap'), maps.mean((2, 3)))
