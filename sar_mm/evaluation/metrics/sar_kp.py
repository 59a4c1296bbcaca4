"""Knowledge-point counts in target, shadow and background, per image and averaged (SAR-KP),
and their tables."""
import csv
import math
import os.path as osp
from typing import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from sar_mm.datasets.transforms.foreground import cell_labels
from sar_mm.models.explainers.knowledge_points import DEFAULT_THRESHOLDS, count_knowledge_points

#: Per-image quantities averaged over the images (ratios and margins skip NaN: images without
#: KPs, or without target/shadow cells).
COUNT_KEYS = ('num_target', 'num_shadow', 'num_background', 'num_foreground')
RATIO_KEYS = ('fg_ratio', 'target_ratio', 'target_margin', 'shadow_margin')
#: The averages in the columns of :func:`write_kp_tables`' ``kp_metrics`` tables.
TABLE_COLUMNS = COUNT_KEYS + ('fg_ratio', 'target_ratio', 'num_images_without_kp')


def _threshold_key(b):
    return f'b{b:g}'


def aggregate_kp_counts(per_image, thresholds=DEFAULT_THRESHOLDS):
    """Average per-image KP counts (:func:`~sar_mm.models.explainers.count_knowledge_points`).

    Counts are averaged over all images; ``fg_ratio`` (``lambda = N_fg / (N_fg + N_bg)``),
    ``target_ratio`` and the margins over the images where they are defined (an image without
    any KP has no ratio); ``num_images_without_kp`` counts the others.

    Args:
        per_image (Sequence[dict]): One ``count_knowledge_points`` result per image.
        thresholds (Sequence[float]): The values of ``b`` to report.

    Returns:
        dict: ``{'b0.3/num_target': ..., 'b0.3/fg_ratio': ..., ...}`` plus ``num_images``.
    """
    out = {'num_images': len(per_image)}
    for b in thresholds:
        rows = [counts[float(b)] for counts in per_image]
        key = _threshold_key(b)
        for name in COUNT_KEYS:
            out[f'{key}/{name}'] = float(np.mean([r[name] for r in rows])) if rows else math.nan
        for name in RATIO_KEYS:
            values = [r[name] for r in rows if not math.isnan(r[name])]
            out[f'{key}/{name}'] = float(np.mean(values)) if values else math.nan
        out[f'{key}/num_images_without_kp'] = sum(r['num_foreground'] + r['num_background'] == 0
                                                  for r in rows)
    return out


def _format_cell(value):
    if isinstance(value, float):
        return 'n/a' if math.isnan(value) else f'{value:.3f}'
    return str(value)


def write_kp_tables(summary, per_image, thresholds, out_dir):
    """Write the KP tables of several models: ``kp_metrics.csv`` / ``.md`` and ``kp_per_image.csv``.

    ``kp_metrics`` has a row per model and ``b``: the images and the averages of
    :func:`aggregate_kp_counts` (:data:`TABLE_COLUMNS`); the markdown version names the columns
    for readers (``λ = N_fg/(N_fg+N_bg)``; NaN as ``n/a``). ``kp_per_image.csv`` has a row per
    model, image and ``b`` with the counts, ratios and margins of that image.

    Args:
        summary (dict[str, dict]): Per model name, its :func:`aggregate_kp_counts` result.
        per_image (dict[str, Sequence[tuple[str, dict]]]): Per model name, ``(image path,
            counts)`` pairs, ``counts`` from
            :func:`~sar_mm.models.explainers.count_knowledge_points`.
        thresholds (Sequence[float]): The values of ``b``, as counted.
        out_dir (str): An existing folder.

    Returns:
        str: The markdown table.
    """
    header = ['model', 'b', 'images'] + list(TABLE_COLUMNS)
    rows = []
    for label, metrics in summary.items():
        for b in thresholds:
            key = _threshold_key(b)
            rows.append([label, f'{b:g}', metrics['num_images']] +
                        [metrics[f'{key}/{c}'] for c in TABLE_COLUMNS])
    with open(osp.join(out_dir, 'kp_metrics.csv'), 'w', newline='') as f:
        csv.writer(f).writerows([header] + rows)
    names = [
        'model', 'b', 'images', 'KP target', 'KP shadow', 'KP background', 'KP foreground',
        'λ = N_fg/(N_fg+N_bg)', 'target ratio', 'images without KP'
    ]
    lines = ['| ' + ' | '.join(names) + ' |', '|' + ' --- |' * len(names)]
    lines += ['| ' + ' | '.join(_format_cell(v) for v in row) + ' |' for row in rows]
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out_dir, 'kp_metrics.md'), 'w', encoding='utf-8') as f:
        f.write('Mean knowledge points per image (cells with mean(H_bg) - H > b); lambda and '
                'the target ratio are averaged over images with at least one KP.\n\n' + text)
    keys = ('num_target', 'num_shadow', 'num_background') + RATIO_KEYS
    with open(osp.join(out_dir, 'kp_per_image.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['model', 'image', 'b'] + list(keys))
        for label, entries in per_image.items():
            for path, counts in entries:
                for b in thresholds:
                    writer.writerow([label, path, f'{b:g}'] + [counts[float(b)][k] for k in keys])
    return text


@METRICS.register_module()
class SARKnowledgePointMetric(BaseMetric):
    """Knowledge points in target, shadow and background and the foreground ratio (SAR-KP).

    For each image the explainer's cell entropies ``H`` (data-sample field ``kp_entropy``,
    ``(gh, gw)``) and cell labels (``kp_cell_labels``, or computed from the pixel region map
    ``kp_region`` of :class:`~sar_mm.datasets.transforms.SARTargetShadowRegions` with the
    any-pixel rule, target > shadow > background) give, for every threshold ``b``, the KPs
    ``mean(H over background) - H > b`` (Cheng et al., CVPR 2020; SAR-HUB, Huang et al. 2023)
    and their numbers in target, shadow and background. Reported averages over the images:
    ``b<b>/num_target``, ``num_shadow``, ``num_background``, ``num_foreground``, ``fg_ratio``
    (``lambda = N_fg / (N_fg + N_bg)``), ``target_ratio``, ``target_margin``,
    ``shadow_margin`` (mean ``mean(H_bg) - H`` over target / shadow cells) and
    ``num_images_without_kp`` (their ratios are undefined and skipped). After
    :meth:`compute_metrics`, :attr:`per_image` holds ``(name, counts)`` of each image.

    An image without background cells raises
    :class:`~sar_mm.models.explainers.NoBackgroundCellsError` naming its file.

    Args:
        thresholds (Sequence[float]): Values of ``b``. Defaults to (0.25, 0.3, 0.4, 0.5).
        cell_size (int, optional): Cell size used to label cells from ``kp_region``; defaults
            to the sample's ``kp_cell_size`` (set by the explainers) or region size / grid size.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Metric-name prefix. Defaults to ``'sar_kp'``.
    """

    default_prefix = 'sar_kp'

    def __init__(self,
                 thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                 cell_size=None,
                 collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = tuple(float(b) for b in thresholds)
        if not self.thresholds:
            raise ValueError('SARKnowledgePointMetric needs at least one threshold b')
        self.cell_size = cell_size
        self.per_image = []

    def _labels(self, sample, entropy, name):
        if sample.get('kp_cell_labels') is not None:
            return np.asarray(sample['kp_cell_labels'])
        region = sample.get('kp_region')
        if region is None:
            raise KeyError(f'{name}: the data sample has neither kp_cell_labels nor kp_region; '
                           "add SARTargetShadowRegions to the pipeline and 'kp_region' to "
                           "PackInputs' meta_keys")
        region = np.asarray(region)
        cell = self.cell_size or sample.get('kp_cell_size') or region.shape[0] // entropy.shape[0]
        labels = cell_labels(region, int(cell))
        if labels.shape != entropy.shape:
            raise ValueError(f'{name}: region map {region.shape} with cell size {cell} gives '
                             f'{labels.shape} cells, the entropy map is {entropy.shape}')
        return labels

    def process(self, data_batch, data_samples: Sequence[dict]):
        for i, sample in enumerate(data_samples):
            if hasattr(sample, 'to_dict'):
                sample = sample.to_dict()
            name = sample.get('img_path') or f'sample {len(self.results) + i}'
            entropy = sample.get('kp_entropy')
            if entropy is None:
                raise KeyError(f'{name}: the data sample has no kp_entropy (run a SAR-KP '
                               'explainer: PerImageKPExplainer or AmortisedKPExplainer)')
            entropy = entropy.detach().cpu().numpy() if hasattr(entropy, 'detach') \
                else np.asarray(entropy)
            labels = self._labels(sample, entropy, name)
            self.results.append(
                dict(
                    name=name,
                    counts=count_knowledge_points(entropy, labels, self.thresholds, name)))

    def compute_metrics(self, results):
        self.per_image = [(r['name'], r['counts']) for r in results]
        return aggregate_kp_counts([r['counts'] for r in results], self.thresholds)
