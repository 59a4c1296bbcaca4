"""Frozen-feature few-shot evaluation as the SSL literature does it: features once, then fast fits.

The linear probe and the kNN classifier of self-supervised learning papers evaluate a frozen
backbone. Neither needs the backbone again once the features exist, so here every labelled sample
is passed through the network **once** (with the config's test pipeline, no augmentation), and
each (shots, seed) setting only indexes those features:

* **linear probe** (:func:`fit_linear_probe`): multinomial logistic regression fitted to
  convergence with L-BFGS (scikit-learn) on standardised features, as in the linear evaluation
  of SimCLR (Chen et al., ICML 2020, App. B.6: L-BFGS logistic regression, regularisation chosen
  on held-out training data) and of Kornblith et al. ("Do better ImageNet models transfer
  better?", CVPR 2019). The L2 strength ``C`` is chosen by stratified cross-validation on the
  **K training shots only**; the test features never enter a choice.
* **weighted kNN** (:func:`knn_predict`): cosine similarity, ``k`` neighbours voting with weights
  ``exp(s / T)`` (Wu et al., CVPR 2018; DINO, Caron et al., ICCV 2021), the same function the
  :class:`~sar_mm.engine.hooks.KNNAccuracyHook` uses during pretraining.

Feature choices (:func:`pool_backbone_outputs`) follow the papers: a CNN's global-average-pooled
last stage, or the concatenation of several pooled stages; a ViT's class token, the mean of its
patch tokens, or the concatenation over its last ``n`` blocks (DINO's linear evaluation
concatenates the class tokens of the last 4 blocks).
"""
import copy

import numpy as np
import torch

from sar_mm.evaluation.knn import features_to_vectors, weighted_knn_predict

FEATURES = ('auto', 'gap', 'concat_stages', 'cls_token', 'mean_patch', 'cls_mean_patch')


class FeatureProbeError(ValueError):
    """A feature-probe setting that cannot work; the message says why."""


# ------------------------------------------------------------------------- features
def prepare_backbone_for_features(model_cfg, feature='auto', num_blocks=1):
    """A copy of a classifier's model config whose backbone returns what ``feature`` pools.

    Args:
        model_cfg (dict): The ``model`` of a classification config (mmpretrain).
        feature (str): One of :data:`FEATURES`. ``auto``: ``gap`` for CNNs, ``mean_patch`` for
            a ViT (the pooling its recognition configs use).
        num_blocks (int): Last stages (CNN, ``concat_stages``) or blocks (ViT) concatenated.

    Returns:
        tuple[dict, str]: The changed config and the resolved feature name.
    """
    if feature not in FEATURES:
        raise FeatureProbeError(f'feature must be one of {FEATURES}, got {feature!r}')
    if int(num_blocks) != num_blocks or num_blocks < 1:
        raise FeatureProbeError(f'num_blocks must be a positive integer, got {num_blocks}')
    cfg = copy.deepcopy(dict(model_cfg))
    backbone = dict(cfg['backbone'])
    kind = str(backbone.get('type', ''))
    is_vit = 'VisionTransformer' in kind or 'ViT' in kind
    if feature == 'auto':
        feature = 'mean_patch' if is_vit else 'gap'
    if is_vit:
        if feature not in ('cls_token', 'mean_patch', 'cls_mean_patch'):
            raise FeatureProbeError(f'{kind}: a ViT feature is cls_token, mean_patch or '
                                    f'cls_mean_patch, got {feature!r}')
        if feature != 'mean_patch' and backbone.get('with_cls_token') is False:
            raise FeatureProbeError(f'{kind} has with_cls_token=False: no class token to pool')
        layers = _vit_num_layers(backbone)
        backbone['out_indices'] = tuple(range(layers - int(num_blocks), layers))
        backbone['out_type'] = 'raw'  # (N, extra + L, C) token sequences
    else:
        if feature not in ('gap', 'concat_stages'):
            raise FeatureProbeError(f'{kind}: a CNN feature is gap or concat_stages, got '
                                    f'{feature!r}')
        if feature == 'concat_stages':
            stages = int(backbone.get('num_stages', 4))
            backbone['out_indices'] = tuple(range(stages - int(num_blocks), stages))
    cfg['backbone'] = backbone
    return cfg, feature


def _vit_num_layers(backbone):
    arch = backbone.get('arch', 'base')
    if isinstance(arch, dict):
        return int(arch['num_layers'])
    from mmpretrain.models import VisionTransformer
    settings = VisionTransformer.arch_zoo.get(str(arch).lower())
    if settings is None:
        raise FeatureProbeError(f'unknown ViT arch {arch!r}')
    return int(settings['num_layers'])


def pool_backbone_outputs(outs, feature, num_extra_tokens=1):
    """One vector per sample from the backbone outputs configured by
    :func:`prepare_backbone_for_features`; several outputs are concatenated.

    Args:
        outs (tuple[torch.Tensor]): Backbone outputs, ``(N, C, H, W)`` maps or ``(N, L, C)``
            token sequences (class token first when ``num_extra_tokens`` > 0).
        feature (str): A resolved feature name (not ``auto``).
        num_extra_tokens (int): Leading non-patch tokens of a ViT sequence.

    Returns:
        torch.Tensor: ``(N, D)`` float32.
    """
    vectors = []
    for out in (outs if isinstance(outs, (list, tuple)) else (outs, )):
        if feature in ('gap', 'concat_stages'):
            vectors.append(features_to_vectors(out))  # the kNN hook's pooling
            continue
        if out.ndim != 3:
            raise FeatureProbeError(f'{feature}: expected (N, L, C) tokens, got {tuple(out.shape)}')
        patches = out[:, num_extra_tokens:].mean(dim=1)  # (N, C)
        if feature == 'mean_patch':
            vectors.append(patches)
        elif feature == 'cls_token':
            vectors.append(out[:, 0])
        else:  # cls_mean_patch
            vectors.append(torch.cat([out[:, 0], patches], dim=1))
    return torch.cat(vectors, dim=1).float()


@torch.no_grad()
def extract_features(model, dataloader, feature):
    """Features and labels of every sample of ``dataloader``, in dataset order (one pass).

    Args:
        model: An mmpretrain classifier with ``data_preprocessor`` and ``backbone``, whose
            backbone was configured by :func:`prepare_backbone_for_features`.
        dataloader: A non-shuffling dataloader of the samples.
        feature (str): The resolved feature name.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(N, D)`` float32 features, ``(N,)`` int64 labels.
    """
    was_training = model.training
    model.eval()
    extra = int(getattr(model.backbone, 'num_extra_tokens', 0) or 0)
    feats, labels = [], []
    try:
        for batch in dataloader:
            data = model.data_preprocessor(batch, False)
            outs = model.backbone(data['inputs'])
            feats.append(pool_backbone_outputs(outs, feature, extra).cpu())
            labels.extend(int(s.gt_label[0]) for s in data['data_samples'])
    finally:
        model.train(was_training)
    if not feats:
        raise FeatureProbeError('the dataloader yielded no samples')
    return torch.cat(feats).numpy(), np.asarray(labels, dtype=np.int64)


# ------------------------------------------------------------------------ classifiers
DEFAULT_CS = tuple(float(c) for c in np.logspace(-4, 2, 13))


def fit_linear_probe(train_feats, train_labels, Cs=DEFAULT_CS, cv_folds=5, max_iter=2000, seed=0):
    """Multinomial logistic regression on standardised features, ``C`` chosen on the shots.

    The features are standardised with the training shots' mean and std (a scikit-learn
    ``Pipeline``, refitted inside every fold, so no fold sees statistics of its validation
    part). ``C`` (inverse L2 strength) is the value of ``Cs`` with the best mean accuracy over a
    stratified ``min(cv_folds, K)``-fold split of the training shots (``K`` = fewest shots of a
    class; ties go to the stronger regularisation); the model is then refitted on all shots.
    L-BFGS runs to its tolerance (``max_iter`` is a safety cap, not the stopping rule); within a
    fold the ``Cs`` are fitted in increasing order, each from the previous solution (the
    regularisation path, as ``LogisticRegressionCV`` walks it).

    Args:
        train_feats (np.ndarray): ``(N, D)`` features of the training shots.
        train_labels (np.ndarray): ``(N,)`` class indices.
        Cs (Sequence[float]): Candidate values of ``C``.
        cv_folds (int): Folds of the cross-validation (at most ``K``; one ``C`` when ``K`` < 2).
        max_iter (int): L-BFGS iteration cap.
        seed (int): Seed of the fold split.

    Returns:
        tuple[sklearn.pipeline.Pipeline, dict]: The fitted probe and ``dict(C=..., cv_scores=
        {C: mean accuracy})``.
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    x = np.asarray(train_feats, dtype=np.float64)
    y = np.asarray(train_labels)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise FeatureProbeError(f'expected (N, D) features and N labels, got {x.shape} and '
                                f'{y.shape}')
    if len(np.unique(y)) < 2:
        raise FeatureProbeError('the linear probe needs at least two classes in the shots')
    Cs = sorted(float(c) for c in Cs)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=int(max_iter), tol=1e-6))
    folds = min(int(cv_folds), int(np.bincount(y)[np.unique(y)].min()))
    # one BLAS thread: these small problems run several times slower when threads oversubscribe
    # the cores (measured: 40 shots of 512-d features, 27 s with one thread, 271 s with two
    # while another job ran)
    with threadpool_limits(1):
        if folds < 2 or len(Cs) == 1:
            C = Cs[len(Cs) // 2] if folds < 2 else Cs[0]
            pipe.set_params(logisticregression__C=C).fit(x, y)
            return pipe, dict(C=C, cv_scores={})
        scores = np.zeros(len(Cs))
        split = StratifiedKFold(folds, shuffle=True, random_state=int(seed))
        for train, val in split.split(x, y):
            # the probe on the fold (its scaler fitted on the fold's part only) along the
            # regularisation path, weakest C last, each fit started from the previous one
            model = clone(pipe).set_params(logisticregression__warm_start=True)
            for i, C in enumerate(Cs):
                model.set_params(logisticregression__C=C).fit(x[train], y[train])
                scores[i] += model.score(x[val], y[val]) / folds
        C = Cs[int(np.flatnonzero(scores >= scores.max() - 1e-12)[0])]  # smallest of the best
        pipe.set_params(logisticregression__C=C).fit(x, y)
    return pipe, dict(C=C, cv_scores=dict(zip(Cs, scores.tolist())))


def knn_predict(train_feats, train_labels, test_feats, num_classes, k=20, temperature=0.07):
    """Weighted kNN predictions (cosine, ``exp(s / T)`` votes; see
    :func:`sar_mm.evaluation.knn.weighted_knn_predict`), as a numpy array."""
    preds = weighted_knn_predict(
        torch.as_tensor(np.asarray(train_feats, np.float32)),
        torch.as_tensor(np.asarray(train_labels)),
        torch.as_tensor(np.asarray(test_feats, np.float32)),
        int(num_classes),
        k=int(k),
        temperature=float(temperature))
    return preds[int(k)].numpy()


def accuracy_metrics(preds, labels, num_classes):
    """``top1``, ``mean_per_class`` (percent), ``confusion`` ``(C, C)`` and ``per_class``
    (percent; NaN for classes absent from ``labels``), as the Runner-based modes report them."""
    preds, labels = np.asarray(preds), np.asarray(labels)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (labels, preds), 1)
    per_class = per_class_from_confusion(confusion)
    return dict(
        top1=100.0 * float((preds == labels).mean()),
        mean_per_class=float(np.nanmean(per_class)),
        confusion=confusion,
        per_class=per_class)


def per_class_from_confusion(confusion):
    """Accuracy of each class (percent) from a confusion matrix (rows true, columns
    predicted); NaN for classes without test samples."""
    confusion = np.asarray(confusion)
    support = confusion.sum(axis=1)
    per_class = np.full(len(support), np.nan)
    present = support > 0
    per_class[present] = 100.0 * np.diag(confusion)[present] / support[present]
    return per_class
