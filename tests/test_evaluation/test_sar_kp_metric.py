"""SARKnowledgePointMetric: per-image counts, averages, region maps, errors, registry."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample

import sar_mm  # noqa: F401
from sar_mm.evaluation.metrics import SARKnowledgePointMetric, aggregate_kp_counts
from sar_mm.models.explainers import NoBackgroundCellsError, count_knowledge_points


def _sample(entropy, region, name, cell=4):
    sample = DataSample(metainfo=dict(img_path=name, kp_region=region, kp_cell_size=cell))
    sample.set_field(torch.as_tensor(entropy, dtype=torch.float32), 'kp_entropy')
    return sample.to_dict()


def _random_case(seed):
    rng = np.random.default_rng(seed)
    entropy = rng.normal(size=(4, 4))
    region = np.zeros((16, 16), np.uint8)
    region[4:8, 4:12] = 1
    region[8:12, 6:10] = 2
    return entropy, region


def test_metric_is_registered_and_averages_the_images():
    metric = METRICS.build(dict(type='SARKnowledgePointMetric', thresholds=(0.25, 0.5)))
    cases = [_random_case(s) for s in range(5)]
    samples = [_sample(h, r, f'img{i}.png') for i, (h, r) in enumerate(cases)]
    metric.process(None, samples[:3])  # two batches
    metric.process(None, samples[3:])
    result = metric.evaluate(5)
    labels = np.zeros((4, 4), np.uint8)  # the region map's 4-px cells
    labels[1, 1:3] = 1
    labels[2, 1:3] = 2
    per_image = [count_knowledge_points(h, labels, (0.25, 0.5)) for h, _ in cases]
    for b in (0.25, 0.5):
        for key in ('num_target', 'num_shadow', 'num_background', 'num_foreground'):
            expected = np.mean([c[b][key] for c in per_image])
            assert result[f'sar_kp/b{b:g}/{key}'] == pytest.approx(expected)
        ratios = [c[b]['fg_ratio'] for c in per_image if not math.isnan(c[b]['fg_ratio'])]
        assert result[f'sar_kp/b{b:g}/fg_ratio'] == pytest.approx(np.mean(ratios))
    assert result['sar_kp/num_images'] == 5
    assert [name for name, _ in metric.per_image] == [f'img{i}.png' for i in range(5)]


def test_counts_by_hand_and_images_without_kp():
    region = np.zeros((8, 8), np.uint8)
    region[:4, :4] = 1  # cell (0, 0) target
    region[:4, 4:] = 2  # cell (0, 1) shadow
    h_kp = np.array([[0.0, 0.9], [1.0, 1.0]])  # target margin 1.0, shadow margin 0.1
    h_flat = np.ones((2, 2))
    metric = SARKnowledgePointMetric(thresholds=(0.3, ))
    metric.process(None, [_sample(h_kp, region, 'a'), _sample(h_flat, region, 'b')])
    result = metric.evaluate(2)
    assert result['sar_kp/b0.3/num_target'] == 0.5  # (1 + 0) / 2 images
    assert result['sar_kp/b0.3/num_shadow'] == 0.0
    assert result['sar_kp/b0.3/fg_ratio'] == 1.0  # image b has no KP: not averaged
    assert result['sar_kp/b0.3/num_images_without_kp'] == 1
    assert result['sar_kp/b0.3/shadow_margin'] == pytest.approx(0.05)


def test_aggregate_of_nothing_is_nan():
    out = aggregate_kp_counts([], (0.3, ))
    assert out['num_images'] == 0 and math.isnan(out['b0.3/num_target'])


def test_errors_name_the_image():
    metric = SARKnowledgePointMetric()
    with pytest.raises(NoBackgroundCellsError, match='full.png'):
        metric.process(None, [_sample(np.zeros((2, 2)), np.ones((8, 8), np.uint8), 'full.png')])
    sample = DataSample(metainfo=dict(img_path='none.png')).to_dict()
    with pytest.raises(KeyError, match='none.png.*kp_entropy'):
        metric.process(None, [sample])
    sample = DataSample(metainfo=dict(img_path='noregion.png'))
    sample.set_field(torch.zeros(2, 2), 'kp_entropy')
    with pytest.raises(KeyError, match='noregion.png.*kp_region'):
        metric.process(None, [sample.to_dict()])
