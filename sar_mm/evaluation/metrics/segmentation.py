"""Segmentation metrics: mmseg's IoU metric with the per-class figures in the results."""
import numpy as np
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """mmseg's ``IoUMetric``, also returning each class's figures (e.g. building IoU and F1).

    mmseg's metric returns only the means (``mIoU``, ``mFscore``, ...) and prints the per-class
    table to the log. SAR building and ship segmentation is judged on the foreground class
    (SAR-HUB reports building IoU and F1 on SpaceNet 6), so this metric adds ``IoU.<class>``,
    ``Fscore.<class>`` (and ``Acc``, ``Precision``, ``Recall``, ``Dice`` per class when those
    are computed), in percent like the means, to the dict the Runner logs and ``tools/test.py``
    writes. Computation is mmseg's, unchanged.

    Args:
        classes (Sequence[str], optional): Only report these classes (names from the dataset's
            ``classes``); None reports every class. Defaults to None.
        **kwargs: ``IoUMetric`` arguments (``iou_metrics``, ``beta``, ``nan_to_num``,
            ``ignore_index``, ...).
    """

    def __init__(self, classes=None, **kwargs):
        super().__init__(**kwargs)
        self.report_classes = None if classes is None else tuple(classes)

    def compute_metrics(self, results):
        metrics = super().compute_metrics(results)
        if self.format_only:
            return metrics
        intersect, union, pred_area, label_area = (sum(part) for part in zip(*results))
        per_class = self.total_area_to_metrics(intersect, union, pred_area, label_area,
                                               self.metrics, self.nan_to_num, self.beta)
        per_class.pop('aAcc', None)
        names = list(self.dataset_meta['classes'])
        wanted = names if self.report_classes is None else self.report_classes
        unknown = [c for c in wanted if c not in names]
        if unknown:
            raise ValueError(f'PerClassIoUMetric: classes {unknown} are not in the dataset '
                             f'classes {names}')
        for key, values in per_class.items():
            values = np.asarray(values, dtype=np.float64)
            for name in wanted:
                metrics[f'{key}.{name}'] = float(np.round(values[names.index(name)] * 100, 2))
        return metrics
