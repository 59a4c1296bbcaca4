"""PerClassIoUMetric: mmseg's means unchanged, per-class IoU / F-score added and correct."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.evaluation.metrics import IoUMetric
from mmseg.structures import SegDataSample

from sar_mm.evaluation.metrics import PerClassIoUMetric


def _samples():
    gt = torch.zeros(1, 4, 4, dtype=torch.long)
    gt[0, :2, :2] = 1  # 4 building pixels
    pred = torch.zeros(1, 4, 4, dtype=torch.long)
    pred[0, :2, :3] = 1  # 6 predicted, 4 of them right
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=gt)
    sample.pred_sem_seg = PixelData(data=pred)
    return [sample.to_dict()]


def _run(metric):
    metric.dataset_meta = dict(classes=('background', 'building'))
    metric.process({}, _samples())
    return metric.compute_metrics(metric.results)


def test_per_class_iou_and_fscore_match_hand_values():
    metrics = _run(PerClassIoUMetric(iou_metrics=['mIoU', 'mFscore']))
    # building: intersection 4, union 6 -> IoU 66.67; precision 4/6, recall 1 -> F1 0.8
    assert metrics['IoU.building'] == pytest.approx(66.67, abs=0.01)
    assert metrics['Fscore.building'] == pytest.approx(80.0, abs=0.01)
    # background: 10 pixels, 10 predicted right out of 10 predicted; union 12 -> 83.33
    assert metrics['IoU.background'] == pytest.approx(83.33, abs=0.01)
    # the means are mmseg's
    reference = _run(IoUMetric(iou_metrics=['mIoU', 'mFscore']))
    for key, value in reference.items():
        assert metrics[key] == value
    assert metrics['mIoU'] == pytest.approx(np.mean([66.67, 83.33]), abs=0.01)


def test_selected_classes_and_unknown_class_error():
    metrics = _run(PerClassIoUMetric(classes=['building']))
    assert 'IoU.building' in metrics and 'IoU.background' not in metrics
    with pytest.raises(ValueError, match="'ship'.*not in the dataset classes"):
        _run(PerClassIoUMetric(classes=['ship']))
