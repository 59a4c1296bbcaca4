"""Metrics sar_mm adds to the codebases (mmpretrain's ``Accuracy``, ``SingleLabelMetric``,
``MultiLabelMetric``, ``AveragePrecision`` and ``ConfusionMatrix`` are used as they are)."""
from .classification import PerClassAccuracy, per_class_accuracy
from .sar_kp import SARKnowledgePointMetric, aggregate_kp_counts, write_kp_tables
from .segmentation import PerClassIoUMetric
from .sliced_coco_metric import SlicedCocoMetric

__all__ = [
    'PerClassAccuracy', 'PerClassIoUMetric', 'per_class_accuracy', 'SlicedCocoMetric',
    'SARKnowledgePointMetric', 'aggregate_kp_counts', 'write_kp_tables'
]
