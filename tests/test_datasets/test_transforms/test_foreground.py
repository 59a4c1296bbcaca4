"""Target / shadow regions for SAR knowledge points: MSTAR heuristic, boxes, mask files, cells."""
import json

import cv2
import numpy as np
import pytest

import sar_mm  # noqa: F401
from sar_mm.datasets.transforms import SARTargetShadowRegions
from sar_mm.datasets.transforms.foreground import (boxes_to_region, cell_labels, counting_filter,
                                                   mstar_target_shadow_masks, read_region_file)
from sar_mm.models.explainers import knowledge_points as kp


def _chip(seed=0):
    """128-px clutter with a bright 24x20 blob at rows 44..68 and a dark 14x18 patch below it,
    inside SAR-HUB's shadow box (rows 40..96, cols 40..80)."""
    rng = np.random.default_rng(seed)
    img = rng.uniform(60, 120, size=(128, 128))
    img[44:68, 54:74] = rng.uniform(220, 255, size=(24, 20))
    img[70:84, 44:62] = rng.uniform(0, 20, size=(14, 18))
    return img.astype(np.uint8)


def test_label_constants_agree():
    from sar_mm.datasets.transforms import foreground
    assert (foreground.BACKGROUND, foreground.TARGET, foreground.SHADOW) == \
        (kp.BACKGROUND, kp.TARGET, kp.SHADOW)


def test_mstar_heuristic_finds_blob_and_shadow():
    img = _chip()
    target, shadow = mstar_target_shadow_masks(img)
    blob = np.zeros_like(target)
    blob[44:68, 54:74] = True
    assert (target & blob).sum() / blob.sum() > 0.95
    # the brightest 30 % include clutter: some of it stays attached to the blob, little
    ys, xs = np.nonzero(target)
    assert target.sum() < 1.5 * blob.sum() and blob[int(ys.mean()), int(xs.mean())]
    dark = np.zeros_like(shadow)
    dark[70:84, 44:62] = True
    assert (shadow & dark).sum() / dark.sum() > 0.9
    assert not (shadow & target).any()
    # percentiles depend on the order of values only: the dB image gives the same masks
    db = 20 * np.log10(img.astype(np.float64) + 1)
    t2, s2 = mstar_target_shadow_masks(db)
    assert np.array_equal(t2, target) and np.array_equal(s2, shadow)


def test_counting_filter_removes_isolated_pixels():
    binary = np.zeros((32, 32), bool)
    binary[5, 5] = True  # isolated
    binary[15:25, 15:25] = True  # compact
    out = counting_filter(binary, window=7, min_count=15)
    assert not out[5, 5] and out[20, 20]


def test_cell_labels_any_pixel_and_target_over_shadow():
    region = np.zeros((16, 16), np.uint8)
    region[0, 0] = 2  # one shadow pixel -> shadow cell
    region[0, 9] = 2
    region[1, 9] = 1  # target and shadow in one cell -> target
    labels = cell_labels(region, 8)
    assert labels.tolist() == [[2, 1], [0, 0]]
    with pytest.raises(ValueError, match='multiple of the cell size 6'):
        cell_labels(region, 6)


def test_boxes_and_mask_files(tmp_path):
    region = boxes_to_region((32, 32), [[4, 2, 10, 8]], [[0, 0, 32, 4]])
    assert region[5, 6] == 1 and region[0, 20] == 2 and region[2, 5] == 1 and region[20, 20] == 0
    cv2.imwrite(str(tmp_path / 'a.png'), region)
    assert np.array_equal(read_region_file(str(tmp_path / 'a.png')), region)
    cv2.imwrite(str(tmp_path / 'b.png'), (region == 1).astype(np.uint8) * 255)
    assert read_region_file(str(tmp_path / 'b.png')).max() == 1
    cv2.imwrite(str(tmp_path / 'bad.png'), np.full((4, 4), 7, np.uint8))
    with pytest.raises(ValueError, match='bad.png'):
        read_region_file(str(tmp_path / 'bad.png'))


def test_transform_sources_and_centre_crop(tmp_path):
    img = _chip()[..., None].astype(np.float32)
    out = SARTargetShadowRegions()(dict(img=img, img_path='x.png'))
    assert out['kp_region'].shape == (128, 128) and set(np.unique(out['kp_region'])) == {0, 1, 2}

    boxes = tmp_path / 'boxes.json'
    boxes.write_text(json.dumps({'chip.png': {'target': [[60, 60, 70, 70]], 'shadow': []}}))
    # the image was centre-cropped from 160 to 128 px: the boxes are cropped the same way
    t = SARTargetShadowRegions('boxes', boxes=str(boxes))
    region = t(dict(img=img, img_path='dir/chip.png', ori_shape=(160, 160)))['kp_region']
    ys, xs = np.nonzero(region == 1)
    assert (ys.min(), xs.min(), ys.max(), xs.max()) == (44, 44, 53, 53)
    with pytest.raises(KeyError, match='other.png'):
        t(dict(img=img, img_path='other.png'))

    cv2.imwrite(str(tmp_path / 'chip.png'), np.ones((128, 128), np.uint8))
    t = SARTargetShadowRegions('mask_file', mask_dir=str(tmp_path))
    assert t(dict(img=img, img_path='/data/chip.jpeg'))['kp_region'].all()
