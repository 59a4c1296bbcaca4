"""Large SAR scenes for detection: slice them into overlapping tiles, merge detections back.

A Sentinel-1 scene of LS-SSDD-v1.0 is 24000 x 16000 pixels; detectors train and run on tiles
(LS-SSDD's own 800 x 800 sub-images). This module holds both directions:

* :func:`tile_windows` lays a regular grid of fixed-size windows over a scene, with an overlap
  (or stride); the last row / column is moved back to end at the scene border, so every window
  of a scene larger than the tile has the full tile size and nothing is left uncovered;
* :func:`boxes_in_window` intersects the scene's boxes with a window, with the fraction of each
  box that is visible there;
* :func:`slice_coco_scenes` (``tools/dataset_converters/slice_scenes.py``) writes the tiles of
  every scene of a COCO json and a tile-level COCO json that records, for every tile, its scene
  and offset, and keeps the scene-level annotations for scene-level evaluation;
* :func:`merge_tile_detections` shifts detections on tiles by their offsets into scene
  coordinates and merges the duplicates of overlapping tiles with NMS (mmcv's ``batched_nms``),
  which is what ``SlicedCocoMetric`` does before COCO evaluation on whole scenes.

Boxes cut by a tile border (policy of :func:`slice_coco_scenes`): a box is kept, clipped to the
tile, when at least ``min_visible`` (default 0.5) of its area lies inside; a box of which less is
visible becomes an *ignore* region (``iscrowd=1``: neither a positive nor a negative in training,
and detections on it are not counted as false positives in COCO evaluation) or, with
``partial='drop'``, is left out. A box entirely inside a tile is copied unchanged (shifted by the
tile offset), so ``tile box + offset`` gives the scene box back.

Tile json (standard COCO plus extra keys): each ``images`` entry has ``scene_id`` (the image id
in the source json), ``scene_file`` and ``tile_offset`` ``[x0, y0]`` (scene pixel of the tile's
top-left corner); each annotation has ``scene_ann_id`` and ``visible`` (fraction of the box in
the tile); the top-level ``scenes`` entry holds the source ``images`` and ``annotations`` (the
scene-level ground truth) and ``slicing`` the settings used.
"""
import json
import os
import os.path as osp

import numpy as np

PARTIAL_POLICIES = ('ignore', 'drop')
TILE_FORMATS = ('auto', 'tif', 'png', 'npy')


def _pair(value, name):
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f'{name} must be a positive int or (height, width), got {value!r}')
    return value


def _starts(length, tile, stride):
    """Window starts along one axis: every ``stride``, the last one ending at the border."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts


def tile_windows(height, width, tile_size, overlap=0.0, stride=None):
    """Windows of ``tile_size`` that cover a ``height x width`` image.

    Args:
        height (int): Image height.
        width (int): Image width.
        tile_size (int | tuple[int, int]): Tile (height, width).
        overlap (float): Fraction of the tile shared by neighbouring tiles, in [0, 1): the
            stride is ``round(tile * (1 - overlap))``. Ignored when ``stride`` is given.
            Defaults to 0.
        stride (int | tuple[int, int], optional): Step between tile origins (rows, columns).

    Returns:
        list[tuple[int, int, int, int]]: ``(x0, y0, x1, y1)`` windows, row by row. A side of the
        image shorter than the tile gives windows of that side's length.
    """
    th, tw = _pair(tile_size, 'tile_size')
    if stride is None:
        if not 0 <= overlap < 1:
            raise ValueError(f'overlap must be in [0, 1), got {overlap}')
        stride = (max(1, int(round(th * (1 - overlap)))), max(1, int(round(tw * (1 - overlap)))))
    sh, sw = _pair(stride, 'stride')
    if sh > th or sw > tw:
        raise ValueError(f'stride {(sh, sw)} is larger than the tile {(th, tw)}: pixels between '
                         'tiles would be skipped')
    if height < 1 or width < 1:
        raise ValueError(f'image size must be positive, got {height}x{width}')
    return [(x0, y0, min(x0 + tw, width), min(y0 + th, height)) for y0 in _starts(height, th, sh)
            for x0 in _starts(width, tw, sw)]


def boxes_in_window(boxes, window):
    """Intersect ``xyxy`` boxes with a window.

    Args:
        boxes (array-like): ``(N, 4)`` boxes ``x0, y0, x1, y1`` in image coordinates.
        window (tuple[int, int, int, int]): ``(x0, y0, x1, y1)``.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: for the boxes that overlap the window with a
        positive area: their indices ``(K,)``, the clipped boxes in window coordinates
        ``(K, 4)`` and the visible fraction of each box's area ``(K,)`` (1 for a box inside).
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    wx0, wy0, wx1, wy1 = window
    clipped = np.stack([
        np.maximum(boxes[:, 0], wx0),
        np.maximum(boxes[:, 1], wy0),
        np.minimum(boxes[:, 2], wx1),
        np.minimum(boxes[:, 3], wy1)
    ], 1)
    inter_w = clipped[:, 2] - clipped[:, 0]
    inter_h = clipped[:, 3] - clipped[:, 1]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    index = np.nonzero((inter_w > 0) & (inter_h > 0) & (area > 0))[0]
    visible = inter_w[index] * inter_h[index] / area[index]
    local = clipped[index] - np.array([wx0, wy0, wx0, wy0], np.float64)
    return index, local, np.minimum(visible, 1.0)


def shift_boxes(boxes, offset):
    """Tile boxes ``(N, 4)`` xyxy to scene coordinates: add the tile offset ``(x0, y0)``."""
    x0, y0 = offset
    return np.asarray(boxes, np.float64).reshape(-1, 4) + np.array([x0, y0, x0, y0], np.float64)


def merge_tile_detections(detections, iou_thr=0.5, class_agnostic=False, max_per_scene=None):
    """Detections on the tiles of one scene, in scene coordinates, with duplicates removed.

    Each tile's boxes are shifted by its offset; a ship seen by two overlapping tiles then gives
    two (nearly) equal boxes, of which NMS keeps the higher-scoring one. NMS runs per class
    (``mmcv.ops.batched_nms``) unless ``class_agnostic``.

    Args:
        detections (Sequence[dict]): One dict per tile with ``bboxes`` ``(N, 4)`` xyxy in tile
            coordinates, ``scores`` ``(N,)``, ``labels`` ``(N,)`` (arrays or tensors) and
            ``offset`` ``(x0, y0)``.
        iou_thr (float): IoU above which the lower-scoring of two boxes is removed.
            Defaults to 0.5.
        class_agnostic (bool): Suppress across classes. Defaults to False.
        max_per_scene (int, optional): Keep at most this many (highest-scoring) boxes.

    Returns:
        dict: ``bboxes`` ``(M, 4)`` float32, ``scores`` ``(M,)`` float32 and ``labels`` ``(M,)``
        int64 numpy arrays in scene coordinates, by decreasing score.
    """
    import torch
    from mmcv.ops import batched_nms

    def _np(x):
        return x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)

    boxes, scores, labels = [], [], []
    for det in detections:
        b = _np(det['bboxes']).reshape(-1, 4)
        boxes.append(shift_boxes(b, det['offset']))
        scores.append(_np(det['scores']).reshape(-1).astype(np.float64))
        labels.append(_np(det['labels']).reshape(-1).astype(np.int64))
        if not len(boxes[-1]) == len(scores[-1]) == len(labels[-1]):
            raise ValueError(f'tile at offset {det["offset"]}: {len(boxes[-1])} boxes, '
                             f'{len(scores[-1])} scores and {len(labels[-1])} labels')
    if not boxes or sum(len(b) for b in boxes) == 0:
        return dict(
            bboxes=np.zeros((0, 4), np.float32),
            scores=np.zeros(0, np.float32),
            labels=np.zeros(0, np.int64))
    # float32 would lose whole pixels at 10^7 coordinates; scenes are far smaller
    b = torch.from_numpy(np.concatenate(boxes)).float()  # (N, 4) scene xyxy
    s = torch.from_numpy(np.concatenate(scores)).float()  # (N,)
    lab = torch.from_numpy(np.concatenate(labels))  # (N,)
    dets, keep = batched_nms(
        b, s, lab, dict(type='nms', iou_threshold=float(iou_thr)),
        class_agnostic=class_agnostic)  # dets (M, 5): xyxy + score
    if max_per_scene is not None:
        dets, keep = dets[:max_per_scene], keep[:max_per_scene]
    return dict(
        bboxes=dets[:, :4].numpy().astype(np.float32),
        scores=dets[:, 4].numpy().astype(np.float32),
        labels=lab[keep].numpy().astype(np.int64))


# --- slicing a COCO set of scenes -------------------------------------------------------------


def _tile_extension(fmt, dtype, is_complex, channels):
    if fmt == 'auto':
        return '.npy' if is_complex else '.tif'
    if fmt == 'png' and (is_complex or dtype not in ('uint8', 'uint16') or channels not in (1, 3)):
        raise ValueError(f"format 'png' needs 8/16-bit data with 1 or 3 bands; this scene is "
                         f'{dtype} with {channels} band(s) (use tif or npy)')
    if fmt == 'tif' and is_complex:
        raise ValueError("format 'tif' cannot hold complex data; use npy")
    return '.' + fmt


def write_tile(path, array, dtype):
    """Write an ``(H, W, C)`` float32/complex64 crop as it was stored (``dtype`` on disk).

    ``.tif``: tifffile, band-last, the on-disk dtype; ``.png``: OpenCV, 8/16-bit, RGB -> BGR;
    ``.npy``: the array itself (complex64 stays complex).
    """
    ext = osp.splitext(path)[1]
    if ext == '.npy':
        np.save(path, array if np.iscomplexobj(array) else array.astype(dtype, copy=False))
        return
    data = array.astype(dtype, copy=False)
    data = data[:, :, 0] if data.shape[2] == 1 else data
    if ext == '.tif':
        import tifffile
        tifffile.imwrite(
            path,
            np.ascontiguousarray(data),
            photometric='minisblack',
            planarconfig='contig' if data.ndim == 3 else None)
    elif ext == '.png':
        import cv2
        if data.ndim == 3:
            data = data[:, :, ::-1]  # read_sar gives RGB; OpenCV writes BGR
        if not cv2.imwrite(path, np.ascontiguousarray(data)):
            raise OSError(f'could not write {path}')
    else:
        raise ValueError(f'unsupported tile extension {ext!r}')


def _load_coco(ann_file):
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'{ann_file}: COCO annotation file not found')
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{ann_file}: not valid json ({err})') from err
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(coco.get(key), list):
            raise ValueError(f'{ann_file}: not a COCO detection file (no {key!r} list)')
    return coco


def slice_coco_scenes(ann_file,
                      img_dir,
                      out_dir,
                      tile_size=800,
                      overlap=0.0,
                      stride=None,
                      min_visible=0.5,
                      partial='ignore',
                      tile_format='auto',
                      skip_empty=False,
                      out_name=None,
                      progress=True):
    """Cut every scene of a COCO json into tiles; write the tiles and a tile-level COCO json.

    Args:
        ann_file (str): Scene-level COCO json (``bbox`` as ``[x, y, w, h]``).
        img_dir (str): Folder the json's ``file_name`` entries are relative to. Scenes may be in
            any format :func:`sar_mm.fileio.read_sar` reads.
        out_dir (str): Output root: tiles go to ``out_dir/images/``, the json to
            ``out_dir/annotations/<out_name>.json``.
        tile_size (int | tuple[int, int]): Tile (height, width). Defaults to 800.
        overlap (float): Fraction of overlap between neighbouring tiles. Defaults to 0.
        stride (int | tuple[int, int], optional): Tile step, instead of ``overlap``.
        min_visible (float): Keep a box cut by the tile border, clipped, when at least this
            fraction of its area is inside the tile. Defaults to 0.5.
        partial (str): What to do with boxes less visible than that: ``'ignore'`` (annotate as
            ``iscrowd=1`` ignore regions, the default) or ``'drop'``.
        tile_format (str): ``'auto'`` (``.tif`` with the scene's on-disk dtype, ``.npy`` for
            complex data), ``'tif'``, ``'png'`` (8/16-bit) or ``'npy'``.
        skip_empty (bool): Write no tile without any box (kept by default: scene-level
            evaluation needs every tile). Defaults to False.
        out_name (str, optional): Json name; defaults to the source json's name.
        progress (bool): Show an mmengine progress bar. Defaults to True.

    Returns:
        dict: ``ann_file`` (written json), ``scenes``, ``tiles``, ``boxes`` (kept),
        ``truncated`` (kept but cut), ``ignored``, ``dropped`` and ``invalid`` (zero-size source
        boxes left out) counts.
    """
    from sar_mm.fileio import read_sar
    if partial not in PARTIAL_POLICIES:
        raise ValueError(f'partial must be one of {PARTIAL_POLICIES}, got {partial!r}')
    if tile_format not in TILE_FORMATS:
        raise ValueError(f'tile_format must be one of {TILE_FORMATS}, got {tile_format!r}')
    if not 0 < min_visible <= 1:
        raise ValueError(f'min_visible must be in (0, 1], got {min_visible}')
    coco = _load_coco(ann_file)
    out_name = out_name or osp.splitext(osp.basename(ann_file))[0]
    os.makedirs(osp.join(out_dir, 'images'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)

    anns_of = {}
    for ann in coco['annotations']:
        anns_of.setdefault(ann['image_id'], []).append(ann)
    counts = dict(scenes=0, tiles=0, boxes=0, truncated=0, ignored=0, dropped=0, invalid=0)
    images, annotations, sizes, stems = [], [], {}, {}
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(coco['images']))
    for scene in coco['images']:
        path = osp.join(img_dir, scene['file_name'])
        array, meta = read_sar(path)  # (H, W, C) float32 / complex64
        height, width = array.shape[:2]
        if (scene.get('height'), scene.get('width')) not in ((None, None), (height, width)):
            raise ValueError(f'{ann_file}: image {scene["id"]} ({scene["file_name"]}) is '
                             f'{scene.get("height")}x{scene.get("width")} in the json but '
                             f'{height}x{width} on disk')
        sizes[scene['id']] = (height, width)
        anns = anns_of.get(scene['id'], [])
        xywh = np.array([a['bbox'] for a in anns], np.float64).reshape(-1, 4)
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
        valid = (xywh[:, 2] > 0) & (xywh[:, 3] > 0)
        counts['invalid'] += int((~valid).sum())
        ext = _tile_extension(tile_format, meta['dtype'], np.iscomplexobj(array), array.shape[2])
        stem = osp.splitext(osp.basename(scene['file_name']))[0]
        if stem in stems:
            raise ValueError(f'{ann_file}: scenes {stems[stem]!r} and {scene["file_name"]!r} '
                             'have the same file name stem; their tiles would overwrite each other')
        stems[stem] = scene['file_name']
        for window in tile_windows(height, width, tile_size, overlap, stride):
            x0, y0, x1, y1 = window
            index, local, visible = boxes_in_window(np.where(valid[:, None], boxes, 0), window)
            keep = visible >= min_visible
            tile_anns = []
            for i, box, vis, full in zip(index, local, visible, keep):
                if not full and partial == 'drop':
                    counts['dropped'] += 1
                    continue
                src = anns[i]
                if full:
                    counts['boxes'] += 1
                    counts['truncated'] += int(vis < 1)
                else:
                    counts['ignored'] += 1
                w, h = float(box[2] - box[0]), float(box[3] - box[1])
                tile_anns.append(
                    dict(
                        category_id=src['category_id'],
                        bbox=[float(box[0]), float(box[1]), w, h],
                        area=w * h,
                        iscrowd=int(bool(src.get('iscrowd', 0)) or not full),
                        scene_ann_id=src.get('id'),
                        visible=round(float(vis), 6)))
            if skip_empty and not tile_anns:
                continue
            image_id = len(images) + 1
            file_name = f'{stem}_x{x0}_y{y0}{ext}'
            write_tile(osp.join(out_dir, 'images', file_name), array[y0:y1, x0:x1], meta['dtype'])
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    width=x1 - x0,
                    height=y1 - y0,
                    scene_id=scene['id'],
                    scene_file=scene['file_name'],
                    tile_offset=[x0, y0]))
            for ann in tile_anns:
                annotations.append(dict(id=len(annotations) + 1, image_id=image_id, **ann))
        counts['scenes'] += 1
        if bar is not None:
            bar.update()
    counts['tiles'] = len(images)
    scene_images = [
        dict(s, height=sizes[s['id']][0], width=sizes[s['id']][1]) for s in coco['images']
    ]
    out = dict(
        images=images,
        annotations=annotations,
        categories=coco['categories'],
        scenes=dict(images=scene_images, annotations=coco['annotations']),
        slicing=dict(
            source=osp.abspath(ann_file),
            tile_size=list(_pair(tile_size, 'tile_size')),
            overlap=overlap,
            stride=None if stride is None else list(_pair(stride, 'stride')),
            min_visible=min_visible,
            partial=partial))
    out_file = osp.join(out_dir, 'annotations', out_name + '.json')
    with open(out_file, 'w') as f:
        json.dump(out, f)
    return dict(ann_file=out_file, **counts)
