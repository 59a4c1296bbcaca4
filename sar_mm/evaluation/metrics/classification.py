"""Per-class and mean per-class (balanced) accuracy for single-label classification."""
import re
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS


def per_class_accuracy(pred, target, num_classes):
    """Accuracy of each class (its recall) and their mean over the classes that occur.

    For class ``c`` with ``n_c`` samples in ``target``, ``acc_c = #{i: y_i = c, p_i = c} / n_c``;
    the mean per-class (balanced) accuracy averages ``acc_c`` over the classes with ``n_c > 0``
    (a class absent from the evaluation set has no defined accuracy and does not count).

    Args:
        pred (array-like): Predicted labels ``(N,)`` or class scores ``(N, C)`` (argmax taken).
        target (array-like): True labels ``(N,)``.
        num_classes (int): Number of classes ``C``.

    Returns:
        tuple[np.ndarray, np.ndarray, float]: Per-class accuracy in [0, 1] ``(C,)`` with NaN for
        absent classes, the number of samples per class ``(C,)``, and the mean per-class accuracy
        (NaN when ``target`` is empty).
    """
    pred = torch.as_tensor(np.asarray(pred) if not torch.is_tensor(pred) else pred)
    target = torch.as_tensor(np.asarray(target) if not torch.is_tensor(target) else target)
    if pred.ndim == 2:
        pred = pred.argmax(dim=1)  # (N, C) scores -> (N,) labels
    pred, target = pred.long().reshape(-1), target.long().reshape(-1)
    if pred.numel() != target.numel():
        raise ValueError(f'{pred.numel()} predictions for {target.numel()} targets')
    for name, labels in (('target', target), ('prediction', pred)):
        if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f'a {name} label is outside the {num_classes} classes '
                             f'(0..{num_classes - 1}): {labels.min().item()}..'
                             f'{labels.max().item()}')
    support = torch.bincount(target, minlength=num_classes).numpy()
    correct = torch.bincount(target[pred == target], minlength=num_classes).numpy()
    acc = np.full(num_classes, np.nan)
    present = support > 0
    acc[present] = correct[present] / support[present]
    mean = float(acc[present].mean()) if present.any() else float('nan')
    return acc, support, mean


def _metric_key(name):
    """A class name as a metric-key suffix: whitespace and '/' become '_'."""
    return re.sub(r'[\s/]+', '_', str(name).strip())


@METRICS.register_module()
class PerClassAccuracy(BaseMetric):
    """Accuracy of every class and the mean per-class (balanced) accuracy, in percent.

    The accuracy of class ``c`` is its recall, the fraction of the samples of ``c`` predicted as
    ``c``; the mean per-class accuracy is their average over the classes present in the
    evaluation set, which weighs rare and frequent classes equally (what the SAR ATR literature
    reports beside overall accuracy on imbalanced sets such as OpenSARShip or FUSAR-Ship).

    Keys (with the default prefix): ``per_class_accuracy/mean`` and one
    ``per_class_accuracy/acc_<class name>`` per class, named from ``dataset_meta['classes']``
    (whitespace and ``/`` replaced by ``_``; the class index when the dataset has no class
    names). A class **absent from the evaluation set** has no accuracy: its key is omitted and
    it is excluded from the mean (its wrong predictions on other classes still lower those
    classes' accuracies). Single-label only: use mmpretrain's ``MultiLabelMetric`` and
    ``AveragePrecision`` for multi-label sets. Use it beside mmpretrain's ``Accuracy``::

        val_evaluator = [dict(type='Accuracy', topk=(1, )), dict(type='PerClassAccuracy')]

    Args:
        num_classes (int, optional): Number of classes. Defaults to None: the length of
            ``dataset_meta['classes']``, else the size of the predicted scores.
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or
            ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric keys. Defaults to
            ``'per_class_accuracy'``.
    """
    default_prefix: Optional[str] = 'per_class_accuracy'

    def __init__(self, num_classes=None, collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes

    def process(self, data_batch, data_samples: Sequence[dict]):
        """Keep the predicted and true label of each sample (and the number of scores)."""
        for sample in data_samples:
            gt = torch.as_tensor(sample['gt_label']).reshape(-1)
            if gt.numel() != 1:
                raise ValueError(
                    f'PerClassAccuracy is single-label, got a sample with {gt.numel()} labels; '
                    'use MultiLabelMetric / AveragePrecision for multi-label data')
            if 'pred_score' in sample:
                score = sample['pred_score']
                result = dict(pred=int(score.argmax()), num_scores=int(score.numel()))
            else:
                result = dict(
                    pred=int(torch.as_tensor(sample['pred_label']).reshape(-1)[0]), num_scores=None)
            result['gt'] = int(gt[0])
            self.results.append(result)

    def _class_names(self, results):
        """``(num_classes, names)`` from the arguments, the dataset or the predictions."""
        classes = (self.dataset_meta or {}).get('classes')
        num_classes = self.num_classes
        if num_classes is None and classes:
            num_classes = len(classes)
        scores = {r['num_scores'] for r in results if r['num_scores'] is not None}
        if num_classes is None and scores:
            num_classes = max(scores)
        if num_classes is None:
            num_classes = 1 + max(max(r['gt'], r['pred']) for r in results)
        if classes and len(classes) != num_classes:
            raise ValueError(f'PerClassAccuracy: num_classes={num_classes} but the dataset '
                             f'has {len(classes)} classes')
        names = [_metric_key(c)
                 for c in classes] if classes else [str(i) for i in range(num_classes)]
        # keep keys unique if two names only differ by the characters replaced
        seen = {}
        for i, name in enumerate(names):
            if name in seen:
                names[i] = f'{name}_{i}'
            seen[names[i]] = i
        return num_classes, names

    def compute_metrics(self, results):
        """``mean`` and ``acc_<class>`` (percent) over all collected results."""
        if not results:
            raise ValueError('PerClassAccuracy: no predictions to evaluate')
        num_classes, names = self._class_names(results)
        pred = np.array([r['pred'] for r in results])
        target = np.array([r['gt'] for r in results])
        acc, support, mean = per_class_accuracy(pred, target, num_classes)
        metrics = {'mean': 100.0 * mean}
        for name, value, count in zip(names, acc, support):
            if count > 0:
                metrics[f'acc_{name}'] = 100.0 * float(value)
        return metrics
