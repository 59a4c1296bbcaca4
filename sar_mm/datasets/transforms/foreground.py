"""Target and shadow regions of SAR chips, and their labels on a grid of cells (for SAR-KP).

Knowledge points are counted in the target, in its radar shadow and in the background
(:mod:`sar_mm.models.explainers.knowledge_points`). The regions come from given masks (label-map
files or boxes) or, for MSTAR-like vehicle chips, which have no official masks, from the
heuristic SAR-HUB used (:func:`mstar_target_shadow_masks`). A region map is an ``(H, W)`` uint8
array: 0 background, 1 target, 2 shadow.
"""
import json
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform

from sar_mm.registry import TRANSFORMS

BACKGROUND, TARGET, SHADOW = 0, 1, 2
#: SAR-HUB's shadow search box (rows y0:y1, cols x0:x1) on a 128 x 128 MSTAR chip.
MSTAR_SHADOW_BOX = (40, 96, 40, 80)
MSTAR_REFERENCE_SIZE = 128


def counting_filter(binary, window=7, min_count=15):
    """Keep the 1-pixels whose ``window x window`` neighbourhood holds at least ``min_count`` ones.

    Removes isolated speckle hits while keeping compact bright (or dark) areas. The window is
    centred (for an even window the extra row/column is before the pixel); outside the image
    counts as 0.

    Args:
        binary (np.ndarray): ``(H, W)`` bool.
        window (int): Window side. Defaults to 7.
        min_count (int): Ones needed in the window. Defaults to 15.
    """
    import cv2
    counts = cv2.boxFilter(
        binary.astype(np.float32),
        -1, (window, window),
        normalize=False,
        borderType=cv2.BORDER_CONSTANT)
    return binary & (counts >= min_count - 0.5)


def largest_region(binary):
    """The filled interior of the largest external contour of ``binary`` (all False if none)."""
    import cv2
    contours, _ = cv2.findContours(
        binary.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out = np.zeros(binary.shape, np.uint8)
    if contours:
        biggest = max(contours, key=cv2.contourArea)
        cv2.drawContours(out, [biggest], -1, 1, thickness=cv2.FILLED)
    return out.astype(bool)


def mstar_target_shadow_masks(image,
                              target_percentile=70.0,
                              shadow_percentile=50.0,
                              window=7,
                              min_count=15,
                              shadow_box=MSTAR_SHADOW_BOX,
                              reference_size=MSTAR_REFERENCE_SIZE):
    """Heuristic target and shadow masks of an MSTAR-like chip (SAR-HUB's ``KP_visual``).

    * **Target**: pixels brighter than the ``target_percentile``-th percentile of the image
      (the brightest 30 %), then :func:`counting_filter`, then the filled largest external
      contour (:func:`largest_region`).
    * **Shadow**: inside ``shadow_box`` only (SAR-HUB's fixed box for MSTAR geometry, scaled
      from ``reference_size`` to the image size), pixels darker than the
      ``shadow_percentile``-th percentile of the image (when that threshold is the image minimum,
      pixels equal to it: the reference raises a threshold of 0 to 1 on 8-bit chips), minus the
      target, then the same filter and largest contour.

    Percentiles depend only on the order of the values, so the masks are the same for 8-bit
    grey, amplitude or dB images of the same chip (up to quantisation ties). Departures from the
    reference: the counting window is the centred ``7 x 7`` it was written as (the reference's
    loop bound makes it an off-centre ``6 x 6``; pass ``window=6``), and a pixel must itself be
    selected to survive the filter.

    Args:
        image (np.ndarray): ``(H, W)`` or ``(H, W, C)`` (first channel used), any real dtype.
        target_percentile (float): Defaults to 70.
        shadow_percentile (float): Defaults to 50.
        window (int): Counting-filter window. Defaults to 7.
        min_count (int): Counting-filter threshold. Defaults to 15.
        shadow_box (tuple[int, int, int, int] | None): ``(y0, y1, x0, x1)`` on a
            ``reference_size`` chip; ``None`` searches the whole image.
        reference_size (int): Side the box is given for. Defaults to 128.

    Returns:
        tuple[np.ndarray, np.ndarray]: target and shadow masks, ``(H, W)`` bool.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        img = img[..., 0]
    if img.ndim != 2 or img.size == 0:
        raise ValueError(f'expected an (H, W) or (H, W, C) image, got shape {np.shape(image)}')
    h, w = img.shape
    bright = img > np.percentile(img, target_percentile)
    target = largest_region(counting_filter(bright, window, min_count))

    t = np.percentile(img, shadow_percentile)
    dark = img <= t if t <= img.min() else img < t
    dark &= ~target
    if shadow_box is not None:
        y0, y1, x0, x1 = (int(round(v * s / reference_size))
                          for v, s in zip(shadow_box, (h, h, w, w)))
        inside = np.zeros_like(dark)
        inside[y0:y1, x0:x1] = True
        dark &= inside
    shadow = largest_region(counting_filter(dark, window, min_count)) & ~target
    return target, shadow


def region_map(target, shadow):
    """``(H, W)`` uint8 region map from bool masks; target wins where they overlap."""
    out = np.zeros(np.shape(target), np.uint8)
    out[np.asarray(shadow, bool)] = SHADOW
    out[np.asarray(target, bool)] = TARGET
    return out


def boxes_to_region(shape, target_boxes=(), shadow_boxes=()):
    """Region map of the given size from ``[x0, y0, x1, y1]`` pixel boxes (x1, y1 exclusive)."""
    target = np.zeros(shape[:2], bool)
    shadow = np.zeros(shape[:2], bool)
    for boxes, mask in ((target_boxes, target), (shadow_boxes, shadow)):
        for box in boxes or ():
            if len(box) != 4:
                raise ValueError(f'a box must be [x0, y0, x1, y1], got {box}')
            x0, y0, x1, y1 = (int(round(float(v))) for v in box)
            mask[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
    return region_map(target, shadow)


def read_region_file(path):
    """Read a region map file: ``.npy`` or an image (PNG, ...) of values 0/1/2.

    A binary mask saved as 0/255 counts as target/background. Other values are an error naming
    the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: region mask file not found')
    if path.endswith('.npy'):
        arr = np.load(path)
    else:
        import cv2
        arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if arr is None:
            raise ValueError(f'{path}: cannot read the region mask image')
    if arr.ndim == 3:
        arr = arr[..., 0]
    values = set(np.unique(arr).tolist())
    if values <= {0, 255}:
        return (arr == 255).astype(np.uint8) * TARGET
    if not values <= {BACKGROUND, TARGET, SHADOW}:
        raise ValueError(f'{path}: a region mask holds 0 (background), 1 (target) and 2 '
                         f'(shadow), or 0/255; found values {sorted(values)[:10]}')
    return arr.astype(np.uint8)


def center_crop(array, size):
    """Centre crop of an ``(H, W, ...)`` array to ``size = (h, w)`` (the offset rounds down, as
    mmcv's ``CenterCrop``)."""
    h, w = array.shape[:2]
    ch, cw = size
    if ch > h or cw > w:
        raise ValueError(f'cannot centre-crop {h}x{w} to {ch}x{cw}')
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return array[y0:y0 + ch, x0:x0 + cw]


def cell_labels(region, cell_size):
    """Label of each ``cell_size`` cell: target if any target pixel, else shadow if any shadow
    pixel, else background (SAR-HUB's any-pixel rule).

    Args:
        region (np.ndarray): ``(H, W)`` region map, ``H`` and ``W`` multiples of ``cell_size``.
        cell_size (int): Cell side in pixels.

    Returns:
        np.ndarray: ``(H / cell_size, W / cell_size)`` uint8.
    """
    region = np.asarray(region)
    h, w = region.shape
    if h % cell_size or w % cell_size:
        raise ValueError(f'region map {h}x{w} is not a multiple of the cell size {cell_size}')
    cells = region.reshape(h // cell_size, cell_size, w // cell_size, cell_size)
    out = np.full((h // cell_size, w // cell_size), BACKGROUND, np.uint8)
    out[(cells == SHADOW).any(axis=(1, 3))] = SHADOW
    out[(cells == TARGET).any(axis=(1, 3))] = TARGET
    return out


@TRANSFORMS.register_module()
class SARTargetShadowRegions(BaseTransform):
    """Add the target/shadow region map of a SAR chip (``kp_region``) for knowledge-point counts.

    ``results['kp_region']`` is ``(H, W)`` uint8 (0 background, 1 target, 2 shadow) of the image
    as it is at this step. Put the step after the geometric transforms (e.g. ``CenterCrop``) and
    add ``'kp_region'`` to ``PackInputs``' ``meta_keys`` so that
    :class:`~sar_mm.evaluation.metrics.SARKnowledgePointMetric` finds it.

    Args:
        source (str): ``'mstar'``: :func:`mstar_target_shadow_masks` on ``results['img']``;
            ``'mask_file'``: a region map file ``mask_dir/<image stem><mask_suffix>``
            (:func:`read_region_file`); ``'boxes'``: a JSON file mapping image file names (or
            stems) to ``{"target": [[x0, y0, x1, y1], ...], "shadow": [...]}``. Masks and boxes
            are in the coordinates of the original image; when the image was centre-cropped
            before this step they are centre-cropped to it the same way.
        mask_dir (str, optional): Folder of the region map files (``'mask_file'``).
        mask_suffix (str): Suffix of the region map files. Defaults to ``'.png'``.
        boxes (str, optional): The JSON file of boxes (``'boxes'``).
        heuristic (dict, optional): Keyword arguments of :func:`mstar_target_shadow_masks`.
    """

    SOURCES = ('mstar', 'mask_file', 'boxes')

    def __init__(self,
                 source='mstar',
                 mask_dir=None,
                 mask_suffix='.png',
                 boxes=None,
                 heuristic=None):
        if source not in self.SOURCES:
            raise ValueError(f'source must be one of {self.SOURCES}, got {source!r}')
        if source == 'mask_file' and not mask_dir:
            raise ValueError("source='mask_file' needs mask_dir")
        if source == 'boxes':
            if not boxes or not osp.isfile(boxes):
                raise FileNotFoundError(f"source='boxes' needs a JSON file of boxes, got {boxes}")
            with open(boxes) as f:
                self._boxes = json.load(f)
        self.source = source
        self.mask_dir = mask_dir
        self.mask_suffix = mask_suffix
        self.boxes = boxes
        self.heuristic = dict(heuristic or {})

    def _boxes_for(self, path):
        name = osp.basename(path)
        for key in (name, osp.splitext(name)[0], path):
            if key in self._boxes:
                return self._boxes[key]
        raise KeyError(f'{self.boxes}: no boxes for image {path} (keys are file names or stems)')

    def region_for(self, path, image, ori_shape=None):
        """The region map of ``image`` (read from ``path`` when given as masks or boxes)."""
        shape = image.shape[:2]
        if self.source == 'mstar':
            return region_map(*mstar_target_shadow_masks(image, **self.heuristic))
        if self.source == 'mask_file':
            stem = osp.splitext(osp.basename(path))[0]
            mask_path = osp.join(self.mask_dir, stem + self.mask_suffix)
            region = read_region_file(mask_path)
        else:
            entry = self._boxes_for(path)
            region = boxes_to_region(ori_shape or shape, entry.get('target'), entry.get('shadow'))
            mask_path = self.boxes
        if region.shape != tuple(shape):
            if region.shape[0] < shape[0] or region.shape[1] < shape[1]:
                raise ValueError(f'{mask_path}: region map {region.shape} is smaller than the '
                                 f'image {tuple(shape)} of {path}')
            region = center_crop(region, shape)
        return region

    def transform(self, results):
        results['kp_region'] = self.region_for(
            results.get('img_path', ''), results['img'], results.get('ori_shape'))
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(source={self.source!r})'
