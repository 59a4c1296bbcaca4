"""PerClassAccuracy, and mmpretrain's multi-label metrics on sar_mm's BigEarthNetS1."""
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score

import sar_mm  # noqa: F401
from sar_mm.evaluation import PerClassAccuracy, per_class_accuracy


def test_per_class_accuracy_by_hand_with_an_absent_class():
    target = [0, 0, 1, 1, 1, 3]
    pred = [0, 1, 1, 1, 0, 2]  # class 2 is predicted but absent from the targets
    acc, support, mean = per_class_accuracy(pred, target, num_classes=4)
    assert support.tolist() == [2, 3, 0, 1]
    assert acc[0] == pytest.approx(0.5) and acc[1] == pytest.approx(2 / 3)
    assert math.isnan(acc[2]) and acc[3] == 0.0
    assert mean == pytest.approx((0.5 + 2 / 3 + 0.0) / 3)
    # scores (N, C) give the same result through their argmax
    scores = torch.nn.functional.one_hot(torch.tensor(pred), 4).float()
    assert per_class_accuracy(scores, target, 4)[2] == pytest.approx(mean)
    with pytest.raises(ValueError, match='outside the 4 classes'):
        per_class_accuracy([0, 4], [0, 1], 4)


def _samples(pred_scores, gt):
    return [
        dict(pred_score=torch.as_tensor(s, dtype=torch.float32), gt_label=torch.tensor([g]))
        for s, g in zip(pred_scores, gt)
    ]


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_metric_keys_named_by_class_and_mean_equals_balanced_accuracy():
    rng = np.random.default_rng(0)
    classes = ('tank', 'Other Type', 'truck', 'never/seen')
    gt = rng.integers(0, 3, 60)  # the 4th class never occurs
    scores = rng.random((60, 4))
    scores[np.arange(60), gt] += rng.random(60) * 0.8  # better than chance, not perfect
    metric = PerClassAccuracy()
    metric.dataset_meta = dict(classes=classes)
    metric.process(None, _samples(scores, gt))
    out = metric.evaluate(60)
    pred = scores.argmax(1)
    assert out['per_class_accuracy/mean'] == pytest.approx(100 * balanced_accuracy_score(gt, pred))
    for c, key in enumerate(('acc_tank', 'acc_Other_Type', 'acc_truck')):
        assert out[f'per_class_accuracy/{key}'] == pytest.approx(100 * np.mean(pred[gt == c] == c))
    # the absent class is omitted, not reported as 0
    assert not any('never' in k for k in out)
    assert len(out) == 4


def test_metric_with_labels_only_and_evaluator_from_config():
    samples = [
        dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([g]))
        for p, g in zip([0, 1, 1, 2], [0, 1, 2, 2])
    ]
    metric = PerClassAccuracy(num_classes=3)
    metric.process(None, samples)
    out = metric.evaluate(4)
    assert out == pytest.approx({
        'per_class_accuracy/mean': 100 * (1 + 1 + 0.5) / 3,
        'per_class_accuracy/acc_0': 100.0,
        'per_class_accuracy/acc_1': 100.0,
        'per_class_accuracy/acc_2': 50.0
    })
    # as a config uses it, next to mmpretrain's Accuracy (built from the mmpretrain scope)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        evaluator = Evaluator(
            [dict(type='Accuracy', topk=(1, )),
             dict(type='PerClassAccuracy', prefix='pc')])
    evaluator.dataset_meta = dict(classes=('a', 'b', 'c'))
    evaluator.process(_samples(np.eye(3)[[0, 1, 1, 2]], [0, 1, 2, 2]))
    out = evaluator.evaluate(4)
    assert out['accuracy/top1'] == pytest.approx(75.0)
    assert out['pc/mean'] == pytest.approx(100 * 2.5 / 3) and out['pc/acc_c'] == 50.0


def test_metric_rejects_multi_label_samples_and_class_count_mismatch():
    metric = PerClassAccuracy()
    with pytest.raises(ValueError, match='single-label'):
        metric.process(None, [dict(pred_score=torch.rand(3), gt_label=torch.tensor([0, 2]))])
    metric = PerClassAccuracy(num_classes=5)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process(None, _samples(np.eye(3), [0, 1, 2]))
    with pytest.raises(ValueError, match='num_classes=5 but the dataset has 3 classes'):
        metric.evaluate(3)


# ------------------------------------------------------------------ BigEarthNet-S1 (multi-label)
@pytest.fixture
def tiny_bigearthnet(tmp_path):
    """24 two-band (VV, VH) 16x16 patches covering all 19 classes, listed as 'path l1,l2'."""
    rng = np.random.default_rng(1)
    lines = []
    for i in range(24):
        labels = sorted({i % 19, (7 * i + 3) % 19})
        np.save(tmp_path / f'p{i}.npy', rng.gamma(2.0, 0.5, (16, 16, 2)).astype(np.float32))
        lines.append(f'p{i}.npy ' + ','.join(map(str, labels)))
    (tmp_path / 'list.txt').write_text('\n'.join(lines) + '\n')
    return tmp_path


def test_multilabel_f1_and_map_on_bigearthnet_samples(tiny_bigearthnet):
    from mmpretrain.registry import DATASETS
    pipeline = [dict(type='LoadSARImage', to='db'), dict(type='PackInputs')]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(
            dict(
                type='BigEarthNetS1',
                data_root=str(tiny_bigearthnet),
                ann_file='list.txt',
                pipeline=pipeline))
        evaluator = Evaluator([
            dict(type='MultiLabelMetric', items=('f1-score', ), thr=0.5),
            dict(type='AveragePrecision')
        ])
    evaluator.dataset_meta = dataset.metainfo
    rng = np.random.default_rng(2)
    onehot = np.zeros((len(dataset), 19))
    scores = rng.random((len(dataset), 19))
    samples = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        onehot[i, sample.gt_label.numpy()] = 1
        sample.set_pred_score(torch.from_numpy(scores[i]).float())
        samples.append(sample.to_dict())
    evaluator.process(samples)
    out = evaluator.evaluate(len(dataset))
    assert onehot.sum(0).min() >= 1  # every class has a positive, so AP is defined for all
    assert out['multi-label/mAP'] == pytest.approx(
        100 * average_precision_score(onehot, scores, average='macro'), abs=1e-3)
    assert out['multi-label/f1-score'] == pytest.approx(
        100 * f1_score(onehot, scores >= 0.5, average='macro', zero_division=0), abs=1e-3)


def test_multilabel_config_trains_and_tests_on_bigearthnet(tiny_bigearthnet, tmp_path):
    """A classifier config with MultiLabelMetric + AveragePrecision runs in mmengine's Runner."""
    from mmengine.runner import Runner
    pipeline = [dict(type='LoadSARImage', to='db'), dict(type='PackInputs')]
    loader = dict(
        batch_size=8,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='BigEarthNetS1',
            data_root=str(tiny_bigearthnet),
            ann_file='list.txt',
            pipeline=pipeline))
    runner = Runner(
        model=dict(
            type='ImageClassifier',
            data_preprocessor=dict(
                type='ClsDataPreprocessor',
                num_classes=19,
                mean=[0., 0.],
                std=[5., 5.],
                to_onehot=True),
            backbone=dict(type='ResNet', depth=18, in_channels=2),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='MultiLabelLinearClsHead', num_classes=19, in_channels=512)),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=loader,
        test_dataloader=loader,
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        test_cfg=dict(),
        test_evaluator=[dict(type='MultiLabelMetric'),
                        dict(type='AveragePrecision')],
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=-1, save_last=False)),
        default_scope='mmpretrain',
        experiment_name='bigearthnet_multilabel_test')
    runner.train()
    metrics = runner.test()
    for key in ('multi-label/precision', 'multi-label/recall', 'multi-label/f1-score',
                'multi-label/mAP'):
        assert 0.0 <= metrics[key] <= 100.0, (key, metrics)
