"""SlicedCocoMetric: detections on overlapping tiles, merged back, scored on whole scenes."""
import json
import os.path as osp

import pytest
import torch

import sar_mm  # noqa: F401
from sar_mm.datasets.slicing import boxes_in_window, slice_coco_scenes


@pytest.fixture(scope='module')
def tile_json(synthetic_root, tmp_path_factory):
    """The generated validation scenes (128 px) cut into 64 px tiles overlapping by half."""
    ships = osp.join(synthetic_root, 'ships')
    out = str(tmp_path_factory.mktemp('tiles'))
    summary = slice_coco_scenes(
        osp.join(ships, 'annotations', 'val.json'),
        osp.join(ships, 'images', 'val'),
        out,
        tile_size=64,
        overlap=0.5,
        progress=False)
    with open(summary['ann_file']) as f:
        return summary['ann_file'], json.load(f)


def _perfect_detections(tiles):
    """Per tile: every scene box lying wholly inside it, in tile coordinates."""
    scene_boxes = {}
    for ann in tiles['scenes']['annotations']:
        x, y, w, h = ann['bbox']
        scene_boxes.setdefault(ann['image_id'], []).append([x, y, x + w, y + h])
    samples = []
    for k, img in enumerate(tiles['images']):
        x0, y0 = img['tile_offset']
        window = (x0, y0, x0 + img['width'], y0 + img['height'])
        _, local, visible = boxes_in_window(scene_boxes[img['scene_id']], window)
        boxes = local[visible == 1]
        samples.append(
            dict(
                img_id=img['id'],
                pred_instances=dict(
                    bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                    scores=torch.full((len(boxes), ), 0.9 - 0.001 * k),
                    labels=torch.zeros(len(boxes), dtype=torch.long))))
    return samples


def _evaluate(metric, samples, ann_file):
    metric.dataset_meta = dict(classes=('ship', ), ann_file=ann_file)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_whole_scene_map_of_merged_tiles(tile_json):
    from mmdet.registry import METRICS
    ann_file, tiles = tile_json
    samples = _perfect_detections(tiles)
    num_dets = sum(len(s['pred_instances']['scores']) for s in samples)
    num_ships = len(tiles['scenes']['annotations'])
    assert num_dets > num_ships  # overlapping tiles see some ships twice or more

    # the tile json comes from the dataset's metainfo (ann_file), as in a Runner
    metrics = _evaluate(METRICS.build(dict(type='SlicedCocoMetric')), samples, ann_file)
    assert metrics['coco_scene/bbox_mAP'] == pytest.approx(1.0)
    assert metrics['coco_scene/bbox_mAP_50'] == pytest.approx(1.0)

    # without merging (NMS never suppresses above IoU 1) the duplicates are false positives
    unmerged = _evaluate(
        METRICS.build(dict(type='SlicedCocoMetric', iou_thr=1.0, ann_file=ann_file)), samples, None)
    assert unmerged['coco_scene/bbox_mAP'] < 0.95


def test_errors(tile_json, tmp_path, synthetic_root):
    from mmdet.registry import METRICS
    ann_file, tiles = tile_json
    samples = _perfect_detections(tiles)
    with pytest.raises(ValueError, match='no tile json'):
        _evaluate(METRICS.build(dict(type='SlicedCocoMetric')), samples, None)
    plain = osp.join(synthetic_root, 'ships', 'annotations', 'val.json')
    with pytest.raises(ValueError, match='not a tile json of slice_scenes.py'):
        _evaluate(METRICS.build(dict(type='SlicedCocoMetric')), samples, plain)
    samples[0]['img_id'] = 999
    with pytest.raises(KeyError, match='image id 999 is not a tile'):
        _evaluate(METRICS.build(dict(type='SlicedCocoMetric')), samples, ann_file)
    with pytest.raises(ValueError, match="boxes only"):
        METRICS.build(dict(type='SlicedCocoMetric', metric='segm'))
