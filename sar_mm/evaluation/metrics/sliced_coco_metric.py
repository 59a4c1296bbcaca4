"""COCO detection metrics on whole scenes from detections on their tiles (mmdet ``METRICS``)."""
import json
import os.path as osp
from collections import defaultdict
from typing import Optional, Sequence

from mmdet.datasets.api_wrappers import COCO
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.logging import print_log

from sar_mm.datasets.slicing import merge_tile_detections


@METRICS.register_module()
class SlicedCocoMetric(CocoMetric):
    """COCO bbox metrics of whole scenes, from detections on their tiles merged with NMS.

    For a test set made by ``tools/dataset_converters/slice_scenes.py`` (tiles of large scenes,
    e.g. LS-SSDD-v1.0's 24000 x 16000 Sentinel-1 scenes): the detections of each tile are shifted
    by the tile's offset into its scene, the duplicates of overlapping tiles are removed with NMS
    (:func:`sar_mm.datasets.slicing.merge_tile_detections`), and mmdet's COCO evaluation runs on
    the scenes against the scene-level ground truth stored in the tile json (its ``scenes``
    entry), so ships cut by tile borders are scored once, whole. Scenes none of whose tiles was
    evaluated are left out of the evaluation. Use it as the test evaluator::

        test_evaluator = dict(type='SlicedCocoMetric', iou_thr=0.5)

    Metric names carry the prefix ``coco_scene`` (``coco_scene/bbox_mAP``, ...), so it can run
    beside a tile-level ``CocoMetric``. COCO evaluation keeps the ``proposal_nums[-1]`` (default
    1000) highest-scoring detections per scene.

    Args:
        ann_file (str, optional): The tile json written by ``slice_scenes.py``. Defaults to the
            evaluated dataset's own annotation file (``SARShipDataset`` and its subclasses put it
            in their ``metainfo``), so overriding the dataset's ``data_root`` is enough.
        iou_thr (float): NMS IoU threshold of the merge. Defaults to 0.5.
        class_agnostic (bool): Merge across classes. Defaults to False.
        max_per_scene (int, optional): Keep at most this many detections per scene after the
            merge. Defaults to None (all).
        **kwargs: Other arguments of :class:`mmdet.evaluation.CocoMetric` (``metric`` must be
            ``'bbox'``; ``classwise``, ``proposal_nums``, ``outfile_prefix``, ...).
    """

    default_prefix: Optional[str] = 'coco_scene'

    def __init__(self,
                 ann_file=None,
                 iou_thr=0.5,
                 class_agnostic=False,
                 max_per_scene=None,
                 **kwargs):
        metric = kwargs.pop('metric', 'bbox')
        if metric not in ('bbox', ['bbox']):
            raise ValueError(f"SlicedCocoMetric evaluates boxes only (metric='bbox'), got "
                             f'{metric!r}')
        super().__init__(ann_file=None, metric='bbox', **kwargs)
        self.tile_ann_file = ann_file
        self.iou_thr = iou_thr
        self.class_agnostic = class_agnostic
        self.max_per_scene = max_per_scene
        self._tiles = None  # {tile image id: (scene id, (x0, y0))}, read once

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each tile's predictions (tile coordinates) and its image id."""
        for sample in data_samples:
            pred = sample['pred_instances']
            self.results.append(
                dict(
                    img_id=sample['img_id'],
                    bboxes=pred['bboxes'].cpu().numpy(),
                    scores=pred['scores'].cpu().numpy(),
                    labels=pred['labels'].cpu().numpy()))

    def _read_tile_json(self):
        ann_file = self.tile_ann_file or (self.dataset_meta or {}).get('ann_file')
        if not ann_file:
            raise ValueError('SlicedCocoMetric: no tile json: set ann_file=... (the json of '
                             'slice_scenes.py) or evaluate a SARShipDataset, whose metainfo '
                             'names its annotation file')
        if not osp.isfile(ann_file):
            raise FileNotFoundError(f'SlicedCocoMetric: tile json not found: {ann_file}')
        with open(ann_file) as f:
            coco = json.load(f)
        scenes = coco.get('scenes')
        if not isinstance(scenes, dict) or not all('tile_offset' in img and 'scene_id' in img
                                                   for img in coco.get('images', [])):
            raise ValueError(f'SlicedCocoMetric: {ann_file} is not a tile json of '
                             'slice_scenes.py (no "scenes" entry, or images without '
                             '"scene_id" / "tile_offset")')
        tiles = {img['id']: (img['scene_id'], tuple(img['tile_offset'])) for img in coco['images']}
        annotations = []
        for i, ann in enumerate(scenes['annotations']):
            x, y, w, h = ann['bbox']
            annotations.append(
                dict(
                    ann,
                    id=ann.get('id', i + 1),
                    area=ann.get('area', w * h),
                    iscrowd=ann.get('iscrowd', 0)))
        scene_gt = dict(
            images=scenes['images'], annotations=annotations, categories=coco['categories'])
        return ann_file, tiles, scene_gt

    def compute_metrics(self, results: list) -> dict:
        """Merge the tiles of each scene, then run COCO evaluation on the scenes."""
        ann_file, tiles, scene_gt = self._read_tile_json()
        per_scene = defaultdict(list)
        for res in results:
            if res['img_id'] not in tiles:
                raise KeyError(f'SlicedCocoMetric: image id {res["img_id"]} is not a tile of '
                               f'{ann_file}')
            scene_id, offset = tiles[res['img_id']]
            per_scene[scene_id].append(dict(res, offset=offset))
        preds = []
        for scene_id, dets in per_scene.items():
            merged = merge_tile_detections(dets, self.iou_thr, self.class_agnostic,
                                           self.max_per_scene)
            preds.append(dict(img_id=scene_id, **merged))
        print_log(
            f'SlicedCocoMetric: {len(results)} tiles -> {len(preds)} scenes, '
            f'{sum(len(p["scores"]) for p in preds)} detections after merging '
            f'({sum(len(r["scores"]) for r in results)} on tiles)',
            logger='current')

        api = COCO()
        api.dataset = scene_gt
        api.createIndex()
        api.img_ann_map, api.cat_img_map = api.imgToAnns, api.catToImgs
        self._coco_api = api
        self.cat_ids = api.get_cat_ids(cat_names=self.dataset_meta['classes'])
        self.img_ids = sorted(per_scene)
        known = set(api.get_img_ids())
        missing = [i for i in self.img_ids if i not in known]
        if missing:
            raise KeyError(f'SlicedCocoMetric: scene ids {missing[:10]} of {ann_file} tiles have '
                           'no scene entry')
        return super().compute_metrics([(None, p) for p in preds])
