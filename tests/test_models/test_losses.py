"""Class-balanced focal losses (mini-CBL, Cui et al.), the class-counts hook and SupCon."""
import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import sar_mm  # noqa: F401
from sar_mm.engine.hooks import ClassCountsHook, dataset_class_counts
from sar_mm.models.losses import (ClassBalancedFocalLoss, MiniBatchClassBalancedLoss, SupConLoss,
                                  effective_number_weights)


# ---------------------------------------------------------------------- direct references
def direct_mini_cbl(logits, labels, beta=0.995, gamma=2.0, counts=None):
    """Per-sample evaluation of the mini-CBL formula with Python loops."""
    num, num_classes = logits.shape
    if counts is None:
        counts = [max(1, sum(1 for y in labels.tolist() if y == c)) for c in range(num_classes)]
    weights = [(1 - beta) / (1 - beta**max(1, n)) for n in counts]
    total, norm = 0.0, 0.0
    for i in range(num):
        row = logits[i].tolist()
        y = int(labels[i])
        denom = sum(math.exp(v) for v in row)
        p = math.exp(row[y]) / denom
        ce = -math.log(p)
        total += weights[y] * (1 - p)**gamma * ce
        norm += weights[y]
    return total / norm


def direct_multilabel_cbl(logits, targets, beta=0.995, gamma=2.0):
    """Per-element evaluation of the sigmoid (multi-label) variant."""
    num, num_classes = logits.shape
    counts = [max(1.0, float(targets[:, c].sum())) for c in range(num_classes)]
    weights = [(1 - beta) / (1 - beta**n) for n in counts]
    total, norm = 0.0, 0.0
    for i in range(num):
        for c in range(num_classes):
            x, t = float(logits[i, c]), float(targets[i, c])
            p = 1 / (1 + math.exp(-x))
            q = p if t == 1 else 1 - p
            bce = -math.log(q)
            total += weights[c] * (1 - q)**gamma * bce
            norm += weights[c]
    return total / norm


@pytest.fixture
def batch():
    torch.manual_seed(0)
    logits = torch.randn(7, 5, dtype=torch.float64) * 2
    labels = torch.tensor([0, 0, 0, 1, 2, 2, 0])  # classes 3 and 4 are missing from the batch
    return logits, labels


# ---------------------------------------------------------------------- mini-CBL
def test_effective_number_weights_formula():
    counts = torch.tensor([0., 1., 3., 10.])
    w = effective_number_weights(counts, 0.9)
    expected = [(1 - 0.9) / (1 - 0.9**n) for n in (1, 1, 3, 10)]
    assert torch.allclose(w, torch.tensor(expected), atol=1e-6)
    assert float(effective_number_weights(counts, 0.9, normalize=True).sum()) == pytest.approx(4)
    with pytest.raises(ValueError, match='beta'):
        effective_number_weights(counts, 1.0)


@pytest.mark.parametrize('gamma', [0.0, 2.0])
def test_mini_cbl_matches_direct_evaluation_with_missing_classes(batch, gamma):
    logits, labels = batch
    loss = MiniBatchClassBalancedLoss(beta=0.995, gamma=gamma)(logits, labels)
    assert float(loss) == pytest.approx(direct_mini_cbl(logits, labels, 0.995, gamma), rel=1e-9)
    # missing classes weigh as one sample: a different beta changes their weight, so a loss
    # that treated them as zero-count (infinite weight) or dropped them would not match
    loss = MiniBatchClassBalancedLoss(beta=0.5, gamma=gamma)(logits, labels)
    assert float(loss) == pytest.approx(direct_mini_cbl(logits, labels, 0.5, gamma), rel=1e-9)


def test_mini_cbl_gamma0_is_class_weighted_cross_entropy(batch):
    """With gamma=0 it is the reference's weighted CE (torch cross_entropy with class weights)."""
    logits, labels = batch
    counts = torch.bincount(labels, minlength=5).clamp_min(1).double()
    weights = (1 - 0.995) / (1 - 0.995**counts)
    expected = F.cross_entropy(logits, labels, weight=weights)
    loss = MiniBatchClassBalancedLoss(gamma=0.0)(logits, labels)
    assert torch.allclose(loss, expected)


def test_mini_cbl_reductions_and_normalisation(batch):
    logits, labels = batch
    plain = MiniBatchClassBalancedLoss()
    normed = MiniBatchClassBalancedLoss(normalize_weights=True)
    # the weighted mean does not depend on a common scale of the weights
    assert torch.allclose(plain(logits, labels), normed(logits, labels))
    per_sample = plain(logits, labels, reduction_override='none')
    assert per_sample.shape == (7, )
    assert torch.allclose(per_sample.sum(), plain(logits, labels, reduction_override='sum'))
    counts = torch.bincount(labels, minlength=5)
    w = effective_number_weights(counts.double(), 0.995)
    scale = 5 / w.sum()
    assert torch.allclose(
        normed(logits, labels, reduction_override='sum'),
        plain(logits, labels, reduction_override='sum') * scale)
    # sample weights scale both the loss and the normaliser
    sample_w = torch.tensor([1., 1., 1., 0., 1., 1., 1.], dtype=torch.float64)
    expected = (per_sample * sample_w).sum() / (w[labels] * sample_w).sum()
    assert torch.allclose(plain(logits, labels, weight=sample_w), expected)


def test_mini_cbl_one_hot_targets_equal_indices_and_soft_targets_work(batch):
    logits, labels = batch
    loss = MiniBatchClassBalancedLoss()
    one_hot = F.one_hot(labels, 5).double()
    assert torch.allclose(loss(logits, one_hot), loss(logits, labels))
    assert torch.allclose(loss(logits, labels.view(-1, 1)), loss(logits, labels))
    soft = 0.7 * one_hot + 0.3 * F.one_hot(labels.roll(1), 5).double()
    assert torch.isfinite(loss(logits, soft))


def test_mini_cbl_gradients_finite_even_for_extreme_logits(batch):
    logits, labels = batch
    for scale in (1.0, 1e4):
        x = (logits.float() * scale).requires_grad_(True)
        for use_sigmoid in (False, True):
            out = MiniBatchClassBalancedLoss(use_sigmoid=use_sigmoid)(x, labels)
            (grad, ) = torch.autograd.grad(out, x)
            assert torch.isfinite(out) and torch.isfinite(grad).all(), (scale, use_sigmoid)
            assert grad.abs().sum() > 0 or scale > 1


def test_mini_cbl_multilabel_matches_direct_evaluation():
    torch.manual_seed(1)
    logits = torch.randn(6, 4, dtype=torch.float64)
    targets = torch.tensor(
        [[1, 0, 1, 0], [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0]],
        dtype=torch.float64)  # label 1, 3 absent
    loss = MiniBatchClassBalancedLoss(use_sigmoid=True)(logits, targets)
    assert float(loss) == pytest.approx(direct_multilabel_cbl(logits, targets), rel=1e-9)
    per_element = MiniBatchClassBalancedLoss(use_sigmoid=True, reduction='none')(logits, targets)
    assert per_element.shape == (6, 4)


def test_mini_cbl_as_mmpretrain_head_losses(batch):
    logits, labels = batch
    feats = torch.randn(7, 8)
    head = MODELS.build(
        dict(
            type='LinearClsHead',
            num_classes=5,
            in_channels=8,
            loss=dict(type='MiniBatchClassBalancedLoss')))
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    scores = head((feats, ))
    out = head.loss((feats, ), samples)
    assert out['loss'].item() == pytest.approx(
        direct_mini_cbl(scores.detach().double(), labels), rel=1e-5)
    # gt_score (one-hot / mixup) path of ClsHead
    scored = [
        DataSample().set_gt_label(int(y)).set_gt_score(F.one_hot(y, 5).float()) for y in labels
    ]
    assert torch.allclose(head.loss((feats, ), scored)['loss'], out['loss'])

    ml_head = MODELS.build(
        dict(
            type='MultiLabelLinearClsHead',
            num_classes=5,
            in_channels=8,
            loss=dict(type='MiniBatchClassBalancedLoss', use_sigmoid=True)))
    ml_samples = [DataSample().set_gt_label([0, 2]),
                  DataSample().set_gt_label([1])] * 3 + [DataSample().set_gt_label([0])]
    targets = torch.zeros(7, 5, dtype=torch.float64)
    for i, s in enumerate(ml_samples):
        targets[i, s.gt_label] = 1
    ml_out = ml_head.loss((feats, ), ml_samples)
    assert ml_out['loss'].item() == pytest.approx(
        direct_multilabel_cbl(ml_head((feats, )).detach().double(), targets), rel=1e-5)


def test_mini_cbl_rejects_bad_targets(batch):
    logits, labels = batch
    loss = MiniBatchClassBalancedLoss()
    with pytest.raises(ValueError, match='outside the 5 classes'):
        loss(logits, torch.tensor([0, 1, 2, 3, 4, 5, 0]))
    with pytest.raises(ValueError, match='does not match'):
        loss(logits, torch.zeros(7, 3))
    with pytest.raises(ValueError, match='reduction'):
        MiniBatchClassBalancedLoss(reduction='avg')


# ---------------------------------------------------------------------- dataset-level CB loss
def test_class_balanced_focal_loss_uses_set_counts(batch):
    logits, labels = batch
    loss = ClassBalancedFocalLoss(beta=0.99, normalize_weights=False)
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        loss(logits, labels)
    counts = [50, 20, 5, 0, 100]
    loss.set_class_counts(counts)
    assert float(loss(logits, labels)) == pytest.approx(
        direct_mini_cbl(logits, labels, 0.99, 2.0, counts=counts), rel=1e-6)
    loss.set_class_counts([1, 2, 3])
    with pytest.raises(ValueError, match='3 class counts'):
        loss(logits, labels)
    with pytest.raises(ValueError, match='non-negative'):
        loss.set_class_counts([1, -1])


def _write_list(path, lines):
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(path)


def test_class_counts_hook_reads_dataset_through_wrappers(synthetic_root, tmp_path):
    from mmengine.dataset import ConcatDataset, RepeatDataset
    from torch.utils.data import ConcatDataset as TorchConcatDataset

    from sar_mm.datasets import BigEarthNetS1, SARClassificationDataset
    root = osp.join(synthetic_root, 'vehicles')
    classes = ('tank', 'truck', 'apc', 'bulldozer', 'air_defence')
    # imbalanced list: 5 tanks, 2 trucks, 1 apc, 0 bulldozers, 3 air-defence units
    picks = [('tank', 5, 0), ('truck', 2, 1), ('apc', 1, 2), ('air_defence', 3, 4)]
    lines = [f'images/{n}/{n}_{i:04d}.png {label}' for n, k, label in picks for i in range(k)]
    ann = _write_list(tmp_path / 'imbalanced.txt', lines)
    dataset = SARClassificationDataset(data_root=root, ann_file=ann, metainfo=dict(classes=classes))
    assert dataset_class_counts(dataset).tolist() == [5, 2, 1, 0, 3]

    model = torch.nn.Module()
    model.head_loss = ClassBalancedFocalLoss()
    runner = SimpleNamespace(
        model=model,
        logger=MMLogger.get_current_instance(),
        train_dataloader=SimpleNamespace(
            dataset=TorchConcatDataset([RepeatDataset(dataset, times=3), dataset])))
    ClassCountsHook().before_train(runner)
    # repeats add no information; the two parts of the concatenation both count
    assert model.head_loss.class_counts.tolist() == [10, 4, 2, 0, 6]
    assert dataset_class_counts(ConcatDataset([dataset, dataset])).tolist() == [10, 4, 2, 0, 6]

    ml_lines = [
        f'images/tank/tank_{i:04d}.png {labels}'
        for i, labels in enumerate(['0,2', '2', '2,18', '0'])
    ]
    ml_dataset = BigEarthNetS1(data_root=root, ann_file=_write_list(tmp_path / 'ml.txt', ml_lines))
    counts = dataset_class_counts(ml_dataset)
    assert counts.shape == (19, ) and counts[[0, 2, 18]].tolist() == [2, 3, 1]
    assert counts.sum() == 6


def test_class_counts_hook_in_a_runner(synthetic_root, tmp_path):
    """The hook fills the counts from runner.train_dataloader before the first iteration."""
    from mmengine.runner import Runner
    root = osp.join(synthetic_root, 'vehicles')
    runner = Runner(
        model=dict(
            type='ImageClassifier',
            backbone=dict(
                type='ResNet',
                depth=18,
                in_channels=1,
                stem_channels=8,
                base_channels=8,
                out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=5,
                in_channels=64,
                loss=dict(type='ClassBalancedFocalLoss', beta=0.9))),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='SARClassificationDataset',
                data_root=root,
                ann_file='meta/all.txt',
                num_shots=3,
                pipeline=[dict(type='LoadSARImage', to='db'),
                          dict(type='PackInputs')])),
        train_cfg=dict(by_epoch=False, max_iters=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[dict(type='ClassCountsHook', num_classes=5)],
        default_scope='mmpretrain',
        default_hooks=dict(checkpoint=None),
        experiment_name='class_counts_hook_test')
    runner.train()
    assert runner.model.head.loss_module.class_counts.tolist() == [3, 3, 3, 3, 3]


# ---------------------------------------------------------------------- SupCon
def slow_supcon(features, labels, temperature, base_temperature):
    """Khosla et al. eq. 2 with explicit loops over anchors, positives and the denominator."""
    num, views, _ = features.shape
    z = F.normalize(features, dim=-1)
    items = [(i, v) for v in range(views) for i in range(num)]
    ids = [labels[i].item() if labels is not None else i for i, _ in items]
    losses = []
    for a, (i, v) in enumerate(items):
        sims = [float(z[i, v] @ z[j, u]) / temperature for j, u in items]
        denom = sum(math.exp(s) for b, s in enumerate(sims) if b != a)
        positives = [b for b in range(len(items)) if b != a and ids[b] == ids[a]]
        if not positives:
            continue
        losses.append(-sum(math.log(math.exp(sims[p]) / denom) for p in positives) / len(positives))
    return (temperature / base_temperature) * sum(losses) / len(losses)


@pytest.mark.parametrize('views', [2, 3])
def test_supcon_equals_slow_reference(views):
    torch.manual_seed(views)
    features = torch.randn(6, views, 5, dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 2, 1, 3])  # class 3 has one sample: positives = its views
    loss = SupConLoss(temperature=0.2, base_temperature=0.07)(features, labels)
    assert float(loss) == pytest.approx(slow_supcon(features, labels, 0.2, 0.07), rel=1e-9)
    unsup = SupConLoss(temperature=0.5)(features, None)
    assert float(unsup) == pytest.approx(slow_supcon(features, None, 0.5, 0.5), rel=1e-9)


def test_supcon_without_labels_is_nt_xent():
    torch.manual_seed(0)
    num, tau = 5, 0.3
    features = torch.randn(num, 2, 8, dtype=torch.float64)
    z = F.normalize(features, dim=-1)
    # NT-Xent (Chen et al. 2020): l(i, j) = -log exp(s_ij/tau) / sum_{k != i} exp(s_ik/tau),
    # averaged over both orderings of every positive pair
    z1, z2 = z[:, 0], z[:, 1]
    total = 0.0
    for anchor, positive in ((z1, z2), (z2, z1)):
        everything = torch.cat([z1, z2])
        for i in range(num):
            sims = everything @ anchor[i] / tau
            self_index = i if anchor is z1 else num + i
            sims = torch.cat([sims[:self_index], sims[self_index + 1:]])
            total += -(anchor[i] @ positive[i] / tau - torch.logsumexp(sims, 0))
    nt_xent = total / (2 * num)
    loss = SupConLoss(temperature=tau)(features)
    assert torch.allclose(loss, nt_xent)

    # and mmpretrain's SimCLR loss (ContrastiveHead + CrossEntropyLoss on its pos/neg split)
    from mmpretrain.models.selfsup.simclr import SimCLR
    head = MODELS.build(
        dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=tau))
    zz = z.reshape(2 * num, -1)  # SimCLR's order: sample-major (s0v0, s0v1, s1v0, ...)
    s = zz @ zz.t()
    mask, pos_idx, neg_mask = SimCLR._create_buffer(num, s.device)
    s = torch.masked_select(s, mask == 1).reshape(s.size(0), -1)
    positive = s[pos_idx].unsqueeze(1)
    negative = torch.masked_select(s, neg_mask == 1).reshape(s.size(0), -1)
    assert torch.allclose(head.loss(positive, negative), loss)


def test_supcon_stable_and_checked():
    torch.manual_seed(0)
    features = torch.randn(4, 2, 16, requires_grad=True)
    loss = SupConLoss(temperature=1e-3)(features, torch.tensor([0, 0, 1, 1]))
    (grad, ) = torch.autograd.grad(loss, features)
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    # identical embeddings: every similarity ties, each positive has log-probability
    # -log(2N - 1), with or without labels
    same = torch.ones(3, 2, 4)
    assert float(SupConLoss(temperature=0.1)(same, torch.zeros(3))) == pytest.approx(
        math.log(5), rel=1e-5)
    assert float(SupConLoss(temperature=0.1)(same)) == pytest.approx(math.log(5), rel=1e-5)
    # a single view of samples with distinct labels has no positives: zero, with a gradient
    lone = torch.randn(3, 1, 4, requires_grad=True)
    out = SupConLoss()(lone, torch.tensor([0, 1, 2]))
    assert out.item() == 0.0 and out.requires_grad
    with pytest.raises(ValueError, match=r'\(N, V, D\)'):
        SupConLoss()(torch.randn(4, 16))
    with pytest.raises(ValueError, match='3 labels for 4 samples'):
        SupConLoss()(torch.randn(4, 2, 8), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match='temperature'):
        SupConLoss(temperature=0)
