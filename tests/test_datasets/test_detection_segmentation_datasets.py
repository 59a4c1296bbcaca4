"""SSDD / HRSID / LS-SSDD detection sets and the SpaceNet 6 SAR segmentation set on tiny files."""
import json
import os
import re

import numpy as np
import pytest
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401

DET_PIPELINE = [
    dict(type='LoadSARImage', to='db'),
    dict(type='LoadAnnotations'),
    dict(type='PackDetInputs')
]
SEG_PIPELINE = [
    dict(type='LoadSARImage', file_kind='intensity', to='intensity'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]

# image name -> (height, width, COCO boxes [x, y, w, h])
SCENES = {
    'scene_a.tif': (40, 60, [[3, 5, 10, 6], [30.5, 20, 12, 8]]),
    'scene_b.tif': (32, 48, [[0, 0, 4, 4]]),
    'scene_c.tif': (24, 24, []),  # pure sea, no ship
}


def _write_coco(path, scenes, category='ship'):
    images, annotations = [], []
    for i, (name, (h, w, boxes)) in enumerate(scenes.items(), start=1):
        images.append(dict(id=i, file_name=name, height=h, width=w))
        for box in boxes:
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=i,
                    category_id=1,
                    bbox=box,
                    area=box[2] * box[3],
                    iscrowd=0))
    with open(path, 'w') as f:
        json.dump(
            dict(images=images, annotations=annotations, categories=[dict(id=1, name=category)]), f)


@pytest.fixture
def coco_root(tmp_path):
    """``images/*.tif`` float32 amplitude scenes and ``annotations/train.json``."""
    import tifffile
    rng = np.random.default_rng(0)
    (tmp_path / 'images').mkdir()
    (tmp_path / 'annotations').mkdir()
    for name, (h, w, _) in SCENES.items():
        amp = rng.rayleigh(1.0, size=(h, w)).astype(np.float32) + 0.01
        tifffile.imwrite(tmp_path / 'images' / name, amp)
    _write_coco(tmp_path / 'annotations' / 'train.json', SCENES)
    return tmp_path


def _build_det(type_, root, **kwargs):
    from mmdet.registry import DATASETS
    cfg = dict(
        type=type_,
        data_root=str(root),
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=DET_PIPELINE)
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmdet'):
        ds = DATASETS.build(cfg)
        samples = [ds[i] for i in range(len(ds))]
    return ds, samples


@pytest.mark.parametrize('type_', ['SARShipDataset', 'SSDD', 'HRSID', 'LSSSDD'])
def test_detection_sets_load_scenes_and_boxes(coco_root, type_):
    from sar_mm.datasets import SARShipDataset
    ds, samples = _build_det(type_, coco_root)
    assert type(ds).__name__ == type_ and isinstance(ds, SARShipDataset)
    assert ds.metainfo['classes'] == ('ship', )
    assert len(ds) == 3
    for sample in samples:
        name = os.path.basename(sample['data_samples'].img_path)
        h, w, boxes = SCENES[name]
        assert tuple(sample['inputs'].shape) == (1, h, w)
        gt = sample['data_samples'].gt_instances
        expected = np.array([[x, y, x + bw, y + bh] for x, y, bw, bh in boxes],
                            np.float32).reshape(-1, 4)
        np.testing.assert_allclose(gt.bboxes.numpy(), expected)
        assert gt.labels.tolist() == [0] * len(boxes)


def test_detection_filter_empty_gt_drops_sea_scenes(coco_root):
    ds, samples = _build_det('SSDD', coco_root, filter_cfg=dict(filter_empty_gt=True))
    names = sorted(os.path.basename(s['data_samples'].img_path) for s in samples)
    assert names == ['scene_a.tif', 'scene_b.tif']


def test_detection_missing_annotation_file_is_named(coco_root):
    missing = str(coco_root / 'annotations' / 'val.json')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        _build_det('HRSID', coco_root, ann_file='annotations/val.json')


def test_detection_missing_image_names_image_and_json(coco_root):
    os.remove(coco_root / 'images' / 'scene_b.tif')
    with pytest.raises(FileNotFoundError) as info:
        _build_det('LSSSDD', coco_root)
    message = str(info.value)
    assert str(coco_root / 'images' / 'scene_b.tif') in message
    assert str(coco_root / 'annotations' / 'train.json') in message


def test_detection_empty_after_filtering_is_reported(coco_root):
    _write_coco(coco_root / 'annotations' / 'sea.json', {'scene_c.tif': SCENES['scene_c.tif']})
    with pytest.raises(ValueError, match=r'sea\.json is left after filtering'):
        _build_det(
            'SSDD',
            coco_root,
            ann_file='annotations/sea.json',
            filter_cfg=dict(filter_empty_gt=True))
    # the same file without filtering is a valid (negative-only) set
    ds, _ = _build_det('SSDD', coco_root, ann_file='annotations/sea.json')
    assert len(ds) == 1


def test_detection_no_images_and_wrong_category_and_bad_json(coco_root):
    ann = coco_root / 'annotations'
    _write_coco(ann / 'none.json', {})
    with pytest.raises(ValueError, match=r'none\.json lists no images'):
        _build_det('SSDD', coco_root, ann_file='annotations/none.json')
    _write_coco(ann / 'boats.json', SCENES, category='boat')
    with pytest.raises(ValueError, match=r"boats\.json has 3 annotations but no category"):
        _build_det('SSDD', coco_root, ann_file='annotations/boats.json')
    (ann / 'broken.json').write_text('{"images": [')
    with pytest.raises(ValueError, match=r'broken\.json'):
        _build_det('SSDD', coco_root, ann_file='annotations/broken.json')


# ----------------------------------------------------------------------------- SpaceNet 6

TILES = {'tile_1': (20, 30), 'tile_2': (16, 16)}
PREFIX = 'SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_'


@pytest.fixture
def spacenet_root(tmp_path):
    """``SAR-Intensity/*.tif`` 4-band planar float32 tiles and ``masks/*.png`` 0/1 masks."""
    import cv2
    import tifffile
    rng = np.random.default_rng(1)
    (tmp_path / 'SAR-Intensity').mkdir()
    (tmp_path / 'masks').mkdir()
    masks = {}
    for name, (h, w) in TILES.items():
        # band b holds intensities around 10 * (b + 1): HH, HV, VH, VV stay distinguishable
        bands = np.stack([10.0 * (b + 1) + rng.random((h, w)) for b in range(4)])
        tifffile.imwrite(
            tmp_path / 'SAR-Intensity' / f'{PREFIX}{name}.tif',
            bands.astype(np.float32),
            photometric='minisblack',
            planarconfig='separate')
        mask = np.zeros((h, w), np.uint8)
        mask[2:7, 3:11] = 1
        mask[h - 4:, w - 5:] = 1
        cv2.imwrite(str(tmp_path / 'masks' / f'{PREFIX}{name}.png'), mask)
        masks[name] = mask
    return tmp_path, masks


def _build_seg(root, pipeline=SEG_PIPELINE, **kwargs):
    from mmseg.registry import DATASETS
    cfg = dict(
        type='SpaceNet6SAR',
        data_root=str(root),
        data_prefix=dict(img_path='SAR-Intensity', seg_map_path='masks'),
        pipeline=pipeline)
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmseg'):
        ds = DATASETS.build(cfg)
        samples = [ds[i] for i in range(len(ds))]
    return ds, samples


def test_spacenet6_loads_four_band_tiles_and_masks(spacenet_root):
    root, masks = spacenet_root
    ds, samples = _build_seg(root)
    assert ds.metainfo['classes'] == ('background', 'building')
    assert len(ds) == 2
    for sample in samples:
        name = os.path.basename(sample['data_samples'].img_path)[len(PREFIX):-len('.tif')]
        h, w = TILES[name]
        inputs = sample['inputs'].numpy()
        assert inputs.shape == (4, h, w)
        # band order HH, HV, VH, VV is kept
        np.testing.assert_allclose(inputs.mean(axis=(1, 2)), [10.5, 20.5, 30.5, 40.5], atol=0.2)
        seg = sample['data_samples'].gt_sem_seg.data.numpy()
        assert seg.shape == (1, h, w)
        np.testing.assert_array_equal(seg[0], masks[name])


def test_spacenet6_band_selection_and_split_file(spacenet_root):
    root, _ = spacenet_root
    (root / 'val.txt').write_text(f'{PREFIX}tile_2\n')
    pipeline = [
        dict(type='LoadSARImage', file_kind='intensity', to='db', bands=[0, 3]),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    ds, samples = _build_seg(root, pipeline=pipeline, ann_file='val.txt')
    assert len(ds) == 1
    inputs = samples[0]['inputs'].numpy()
    assert inputs.shape == (2, 16, 16)
    np.testing.assert_allclose(inputs.mean(axis=(1, 2)), 10 * np.log10([10.5, 40.5]), atol=0.1)


def test_spacenet6_missing_mask_names_image_and_mask(spacenet_root):
    root, _ = spacenet_root
    mask = root / 'masks' / f'{PREFIX}tile_2.png'
    os.remove(mask)
    with pytest.raises(FileNotFoundError) as info:
        _build_seg(root)
    message = str(info.value)
    assert 'has no mask' in message
    assert str(mask) in message
    assert str(root / 'SAR-Intensity' / f'{PREFIX}tile_2.tif') in message


def test_spacenet6_custom_suffixes_and_empty_folder(spacenet_root, tmp_path_factory):
    root, _ = spacenet_root
    for path in (root / 'masks').iterdir():
        path.rename(path.with_name(path.stem + '_mask.png'))
    ds, samples = _build_seg(root, seg_map_suffix='_mask.png')
    assert len(ds) == 2 and samples[0]['data_samples'].gt_sem_seg.data.max() == 1
    empty = tmp_path_factory.mktemp('empty_sn6')
    (empty / 'SAR-Intensity').mkdir()
    (empty / 'masks').mkdir()
    with pytest.raises(ValueError, match=r'no \*\.tif image in .*SAR-Intensity'):
        _build_seg(empty)
    with pytest.raises(FileNotFoundError, match='image folder not found'):
        _build_seg(empty, data_prefix=dict(img_path='missing', seg_map_path='masks'))
