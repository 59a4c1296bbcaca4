"""Give dataset-level class-balanced losses the class counts of the training set."""
import numpy as np
from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.utils.data import ConcatDataset as TorchConcatDataset
from torch.utils.data import Subset

from sar_mm.registry import HOOKS


def _base_datasets(dataset):
    """The datasets holding the samples behind mmengine/torch dataset wrappers.

    ``RepeatDataset`` and ``ClassBalancedDataset`` repeat samples of one dataset: repeating
    a sample adds no information, so its counts are those of the wrapped dataset.
    ``ConcatDataset`` contributes each of its parts.
    """
    if isinstance(dataset, (RepeatDataset, ClassBalancedDataset)):
        return _base_datasets(dataset.dataset)
    if isinstance(dataset, (ConcatDataset, TorchConcatDataset)):
        return [d for part in dataset.datasets for d in _base_datasets(part)]
    if isinstance(dataset, Subset):
        raise TypeError('dataset_class_counts: torch Subset wrappers are not supported; use '
                        "the dataset's own subset options (e.g. indices=..., num_shots=...)")
    return [dataset]


def _labels_of(dataset):
    """Per-sample lists of class indices of one (unwrapped) dataset."""
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    from mmpretrain.datasets import MultiLabelDataset
    if not isinstance(dataset, MultiLabelDataset) and hasattr(dataset, 'get_gt_labels'):
        try:
            labels = np.asarray(dataset.get_gt_labels())
        except ValueError:  # ragged: multi-label lists
            labels = None
        if labels is not None and labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer):
            return [[int(v)] for v in labels]
    if hasattr(dataset, 'get_cat_ids'):
        return [[int(c) for c in dataset.get_cat_ids(i)] for i in range(len(dataset))]
    raise TypeError(f'{type(dataset).__name__} has neither get_gt_labels() nor get_cat_ids(): '
                    'cannot count its classes')


def dataset_class_counts(dataset, num_classes=None):
    """Samples per class of a (possibly wrapped) classification dataset.

    Single-label datasets are counted from ``get_gt_labels()``; multi-label ones
    (:class:`mmpretrain.datasets.MultiLabelDataset`) count every sample once for each of its
    labels, from ``get_cat_ids``. Wrappers are unwrapped as in :func:`_base_datasets`.

    Args:
        dataset: The dataset (or a ``RepeatDataset``/``ClassBalancedDataset``/``ConcatDataset``
            of them).
        num_classes (int, optional): Length of the result. Defaults to the number of
            ``metainfo['classes']`` of the dataset, else the largest label + 1.

    Returns:
        numpy.ndarray: int64 counts, shape (num_classes,).
    """
    labels = []
    for part in _base_datasets(dataset):
        labels.extend(_labels_of(part))
    if num_classes is None:
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        num_classes = len(classes) if classes else 1 + max(
            (c for sample in labels for c in sample), default=-1)
    counts = np.zeros(int(num_classes), np.int64)
    for sample in labels:
        for c in sample:
            if not 0 <= c < num_classes:
                raise ValueError(f'dataset_class_counts: label {c} outside the {num_classes} '
                                 'classes of the dataset')
            counts[c] += 1
    return counts


@HOOKS.register_module()
class ClassCountsHook(Hook):
    """Set the training set's class counts on every loss of the model that needs them.

    Before training, counts the samples per class of ``runner.train_dataloader.dataset``
    (:func:`dataset_class_counts`: single- or multi-label, through ``RepeatDataset``,
    ``ClassBalancedDataset`` and ``ConcatDataset`` wrappers) and calls ``set_class_counts``
    on each sub-module of the model that has it (e.g.
    :class:`~sar_mm.models.losses.ClassBalancedFocalLoss`), so that configs never hard-code
    class frequencies. Every rank counts the full dataset, so distributed runs get the same
    counts everywhere.

    Args:
        num_classes (int, optional): Number of classes; defaults to the dataset's
            ``metainfo['classes']``.
    """

    priority = 'NORMAL'

    def __init__(self, num_classes=None):
        self.num_classes = num_classes

    def before_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        targets = [(name, m) for name, m in model.named_modules()
                   if callable(getattr(m, 'set_class_counts', None))]
        if not targets:
            runner.logger.warning('ClassCountsHook: no module of the model has '
                                  'set_class_counts(); the hook does nothing')
            return
        counts = dataset_class_counts(runner.train_dataloader.dataset, self.num_classes)
        for name, module in targets:
            module.set_class_counts(counts)
        runner.logger.info(f'ClassCountsHook: class counts {counts.tolist()} of the training set '
                           f'set on {", ".join(name for name, _ in targets)}')
