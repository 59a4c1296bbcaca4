"""SEN12MS / DFC2020 S1 + S2 pairs on tiny GeoTIFFs in the real layout, and the DFC2020 config."""
import math
import os
import os.path as osp

import numpy as np
import pytest
import tifffile
from mmengine.config import Config
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from sar_mm.datasets import DFC2020, SEN12MS
from sar_mm.datasets.sen12ms import (S2_BANDS, class_fractions, dfc2020_class_lut, majority_label,
                                     multi_label, select_bands)
from sar_mm.datasets.transforms import S1DbClipScale, S2ReflectanceScale

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'multimodal',
                  'multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020.py')
MULTI_CONFIG = osp.join(ROOT, 'configs', 'multimodal',
                        'multimodal-bce-ntxent_resnet50-s1s2-x2_1xb16-100e_dfc2020-multilabel.py')
SIZE = 32
SQUARE = (slice(4, 12), slice(18, 26))  # a bright square shared by S1 and S2 of a patch


def _tif(path, bands):
    """Write (C, H, W) bands as a band-separate GeoTIFF-like TIFF (as GDAL writes them)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    tifffile.imwrite(path, bands, photometric='minisblack', planarconfig='separate')


def write_patch(root, roi, folder, scene, patch, mask, label_sensor='dfc', s2_bands=13, s1=True):
    """One S1/S2/mask triplet in the SEN12MS/DFC2020 layout; returns the S2 path.

    S2 band b holds b + 1 (its index) outside the square and 10000 inside; S1 holds -25 dB
    (VV) / -24 dB (VH) outside and 0 dB inside.
    """

    def path(sensor):
        return osp.join(root, roi, f'{sensor}_{folder}', f'{roi}_{sensor}_{scene}_p{patch}.tif')

    s2 = np.empty((s2_bands, SIZE, SIZE), np.uint16)
    for b in range(s2_bands):
        s2[b] = b + 1
    s2[(slice(None), ) + SQUARE] = 10000
    _tif(path('s2'), s2)
    if s1:
        vv_vh = np.stack([np.full((SIZE, SIZE), -25.0), np.full((SIZE, SIZE), -24.0)])
        vv_vh[(slice(None), ) + SQUARE] = 0.0
        _tif(path('s1'), vv_vh.astype(np.float32))
    _tif(path(label_sensor), np.asarray(mask, np.uint8))
    return path('s2')


def _mask(counts):
    """A (SIZE, SIZE) mask with ``{value: pixels}`` (value 0 fills the rest)."""
    flat = np.zeros(SIZE * SIZE, np.uint8)
    start = 0
    for value, num in counts.items():
        flat[start:start + num] = value
        start += num
    return flat.reshape(SIZE, SIZE)


@pytest.fixture(scope='module')
def dfc_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('dfc2020'))
    masks = [
        {
            1: 600,
            4: 100
        },  # Forest
        {
            3: 500,
            4: 300
        },  # Savanna, then Grassland
        {
            10: 700,
            2: 200
        },  # Water
        {
            6: 400,
            8: 500
        },  # Snow/Ice, then Croplands
    ] * 2
    for i, counts in enumerate(masks):
        write_patch(root, 'ROIs0000_validation', 'validation', 0, i, _mask(counts))
    write_patch(root, 'ROIs0000_validation', 'validation', 0, 99, _mask({}))  # no data
    for i in range(2):
        write_patch(root, 'ROIs0000_test', '0', 0, i, _mask({7: 800}))
    return root


def test_majority_label_and_class_schemes(dfc_root):
    ds = DFC2020(data_root=dfc_root, subsets=('ROIs0000_validation', ))
    assert len(ds) == 8  # the patch without labelled pixels is skipped
    assert ds.metainfo['classes'][2] == 'Savanna' and len(ds.metainfo['classes']) == 10
    assert ds.get_gt_labels().tolist()[:4] == [0, 2, 9, 7]
    info = ds.get_data_info(0)
    assert info['img_paths'][0].endswith(
        osp.join('s1_validation', 'ROIs0000_validation_s1_0_p0.tif'))
    assert info['mask_path'].endswith(
        osp.join('dfc_validation', 'ROIs0000_validation_dfc_0_p0.tif'))
    # no_savanna (DFC2020 baseline): Savanna pixels ignored, later classes move down
    ns = DFC2020(data_root=dfc_root, subsets='ROIs0000_validation', no_savanna=True)
    assert len(ns.metainfo['classes']) == 9 and 'Savanna' not in ns.metainfo['classes']
    assert ns.get_gt_labels().tolist()[:4] == [0, 2, 8, 6]  # Grassland, Water, Snow/Ice
    assert ns.metainfo['classes'][2] == 'Grassland'
    # + no_snow_ice: the 8 classes of SSLTransformerRS / SupCon_SSL
    eight = DFC2020(
        data_root=dfc_root, subsets='ROIs0000_validation', no_savanna=True, no_snow_ice=True)
    assert eight.metainfo['classes'] == ('Forest', 'Shrubland', 'Grassland', 'Wetlands',
                                         'Croplands', 'Urban/Built-up', 'Barren', 'Water')
    assert eight.get_gt_labels().tolist()[:4] == [0, 2, 7, 4]  # Snow/Ice -> Croplands next
    test = DFC2020(data_root=dfc_root, subsets='ROIs0000_test')
    assert len(test) == 2 and set(test.get_gt_labels().tolist()) == {6}
    assert len(DFC2020(data_root=dfc_root)) == 10  # every ROIs* folder
    # IGBP masks map to DFC classes first
    lut, _ = dfc2020_class_lut()
    assert majority_label(_mask({12: 300, 14: 300, 1: 500}), lut, 'x', igbp=True) == 5
    assert majority_label(_mask({8: 10}), dfc2020_class_lut(True)[0], 'x', igbp=True) is None


def test_sen12ms_layout_uses_the_igbp_band(tmp_path):
    root = str(tmp_path)
    lc = np.zeros((4, SIZE, SIZE), np.uint8)
    lc[0] = 13  # IGBP urban -> DFC 7 (Urban/Built-up, index 6)
    lc[1:] = 1  # the LCCS bands are not the label
    s2 = write_patch(root, 'ROIs1158_spring', '1', 1, 30, lc, label_sensor='lc')
    ds = SEN12MS(data_root=root)
    assert len(ds) == 1 and ds.get_gt_labels().tolist() == [6]
    assert ds.get_data_info(0)['img_paths'][1] == s2
    assert ds.get_data_info(0)['mask_path'].endswith(
        osp.join('ROIs1158_spring', 'lc_1', 'ROIs1158_spring_lc_1_p30.tif'))
    with pytest.raises(FileNotFoundError, match='ROIs1868_summer'):
        SEN12MS(data_root=root, subsets=('ROIs1868_summer', ))


def test_band_selection_picks_the_named_bands(dfc_root):
    assert select_bands('hr', S2_BANDS, {'hr': ('B2', 'B3', 'B4', 'B8')}) == (1, 2, 3, 7)
    cases = {
        'hr': ['B2', 'B3', 'B4', 'B8'],
        ('hr', 'mr'): ['B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B11', 'B12'],
        ('lr', ): ['B1', 'B9', 'B10'],
        ('B04', 'b3', 'B2', 'B8a'): ['B4', 'B3', 'B2', 'B8A'],  # names keep their order
    }
    pipeline = [
        dict(
            type='LoadModalityPair',
            loaders=[dict(type='LoadSARImage', file_kind='db', to='db'),
                     dict(type='LoadSARImage')])
    ]
    for spec, names in cases.items():
        ds = DFC2020(
            data_root=dfc_root,
            subsets='ROIs0000_test',
            s2_bands=spec,
            s1_bands=('VH', ),
            pipeline=pipeline)
        assert ds.s2_band_names == tuple(names) and ds.modality_channels == (1, len(names))
        img = ds[0]['img']
        assert img.shape == (SIZE, SIZE, 1 + len(names))
        assert img[0, 0, 0] == pytest.approx(-24.0)  # VH
        expected = [S2_BANDS.index(n) + 1 for n in names]  # each band holds its index + 1
        np.testing.assert_allclose(img[0, 0, 1:], expected)
        assert ds[0]['modality_channels'] == (1, len(names))
    with pytest.raises(ValueError, match=r"unknown band\(s\) \['B13'\]"):
        DFC2020(data_root=dfc_root, s2_bands=('B2', 'B13'))
    with pytest.raises(ValueError, match='metainfo has 3 classes'):
        DFC2020(data_root=dfc_root, metainfo=dict(classes=('a', 'b', 'c')))


def test_pair_stays_aligned_under_augmentation(dfc_root):
    """The shared square lands at the same place in S1 and S2 in every augmented view."""
    aug = [
        dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
        dict(type='Rotate', angle=20.0, prob=1.0, pad_val=0, interpolation='bilinear'),
        dict(type='RandomResizedCrop', scale=24, crop_ratio_range=(0.4, 1.0), backend='cv2')
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = DFC2020(
            data_root=dfc_root,
            subsets='ROIs0000_test',
            s2_bands='hr',
            pipeline=[
                dict(
                    type='LoadModalityPair',
                    loaders=[
                        dict(type='LoadSARImage', file_kind='db', to='db'),
                        dict(type='LoadSARImage')
                    ]),
                dict(type='S1DbClipScale', modality=0),
                dict(type='S2ReflectanceScale', modality=1),
                dict(type='RandomCrop', crop_size=28),
                dict(type='MultiView', num_views=[1, 8], transforms=[[], aug]),
            ])
        views = ds[0]['img']
    assert views[0].shape == (28, 28, 6)
    moved = 0
    for view in views:
        vv = view[:, :, 0]  # 0 outside the square, 1 inside
        assert vv.max() <= 1 and view.min() >= 0
        # crops, flips and the rotation interpolate every channel with the same weights: each
        # S2 band (background <= 5e-4 after scaling) equals VV up to that background, and VH
        # (background 0.04) too
        for c in range(2, 6):
            np.testing.assert_allclose(view[:, :, c], vv, atol=1e-3)
        np.testing.assert_allclose(view[:, :, 1], vv, atol=0.05)
        moved += not np.array_equal(vv > 0.5, views[0][:, :, 0] > 0.5)
    assert moved >= 4  # the views did move the square


def test_scaling_transforms():
    img = np.stack([np.full((2, 2), v, np.float32) for v in (-30, -12.5, 5, 2500, 12000)], axis=2)
    img[0, 0, 0] = np.nan
    out = S1DbClipScale(modality=0)(dict(img=img.copy(), modality_channels=(2, 3)))['img']
    np.testing.assert_allclose(out[1, 1, :2], [0.0, 0.5])
    assert out[0, 0, 0] == 0 and out[1, 1, 2] == 5  # S2 channels untouched
    out = S2ReflectanceScale(modality=1)(dict(img=out, modality_channels=(2, 3)))['img']
    np.testing.assert_allclose(out[1, 1], [0.0, 0.5, 5e-4, 0.25, 1.0])
    whole = S1DbClipScale(low_db=-20, high_db=0)(dict(img=img[:, :, :2].copy()))['img']
    np.testing.assert_allclose(whole[1, 1], [0.0, 0.375])
    with pytest.raises(KeyError, match='modality_channels'):
        S2ReflectanceScale(modality=1)(dict(img=img))
    with pytest.raises(ValueError, match='modality 2 does not exist'):
        S2ReflectanceScale(modality=2)(dict(img=img, modality_channels=(2, 3)))
    with pytest.raises(ValueError, match='high > low'):
        S1DbClipScale(low_db=0, high_db=-25)


def test_missing_partner_and_wrong_band_count_name_the_file(tmp_path):
    root = str(tmp_path / 'missing')
    s2 = write_patch(root, 'ROIs0000_validation', 'validation', 0, 3, _mask({1: 10}), s1=False)
    with pytest.raises(
            FileNotFoundError,
            match=r'p3\.tif: missing partner file \(Sentinel-1\)'
            r': .*s1_validation.*_s1_0_p3\.tif'):
        DFC2020(data_root=root)
    os.remove(s2.replace('s2_', 'dfc_'))
    write_patch(root, 'ROIs0000_validation', 'validation', 0, 3, _mask({1: 10}))
    os.remove(s2.replace('s2_', 'dfc_'))
    with pytest.raises(FileNotFoundError, match=r'missing partner file \(dfc mask\)'):
        DFC2020(data_root=root)

    root = str(tmp_path / 'bands')
    write_patch(root, 'ROIs0000_validation', 'validation', 0, 0, _mask({1: 10}), s2_bands=12)
    ds = DFC2020(
        data_root=root,
        pipeline=[
            dict(
                type='LoadModalityPair',
                loaders=[
                    dict(type='LoadSARImage', file_kind='db', to='db'),
                    dict(type='LoadSARImage')
                ])
        ])
    with pytest.raises(
            ValueError,
            match=r'_s2_0_p0\.tif: 12 bands, but this file of '
            r'modality 1 should hold 13'):
        ds[0]

    root = str(tmp_path / 'values')
    write_patch(root, 'ROIs0000_validation', 'validation', 0, 0, _mask({12: 10}))
    with pytest.raises(ValueError, match=r'_dfc_0_p0\.tif: land-cover value 12 outside'):
        DFC2020(data_root=root)
    with pytest.raises(ValueError, match="label_source must be 'igbp' or 'dfc'"):
        DFC2020(data_root=root, label_source='modis')


def _small_resnet50(model_cfg):
    for backbone in model_cfg['backbone']:
        backbone.update(stem_channels=8, base_channels=8)  # 256-d features
    model_cfg['head']['in_channels'] = 512
    model_cfg['projector'].update(in_channels=256, hid_channels=64, out_channels=32)
    return model_cfg


def _expected_set(counts, lut, threshold):
    """Classes whose pixels (``counts``: mask value -> pixels) reach ``threshold`` of the patch."""
    per_class = {}
    for value, num in counts.items():
        cls = int(lut[value])
        if cls != 255:
            per_class[cls] = per_class.get(cls, 0) + num
    return sorted(c for c, n in per_class.items() if n / (SIZE * SIZE) >= threshold)


# mask value -> pixels of 1024: Forest .59, Grassland .107, Wetlands .098, Savanna .2; Savanna
# .68, Water .103, Snow/Ice .146; Shrubland only; labelled, but no class reaches 10 % (an empty
# set)
MULTI_MASKS = [
    dict([(1, 600), (4, 110), (5, 100), (3, 200)]),
    dict([(3, 700), (10, 105), (8, 150)]),
    dict([(2, 1024)]),
    dict([(1, 50), (6, 40)]),
]


@pytest.fixture(scope='module')
def multi_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('dfc2020_multi'))
    for i, counts in enumerate(MULTI_MASKS):
        write_patch(root, 'ROIs0000_validation', 'validation', 0, i, _mask(counts))
    write_patch(root, 'ROIs0000_validation', 'validation', 0, 9, _mask({}))  # no data
    return root


@pytest.mark.parametrize(
    'scheme',
    [{}, dict(no_savanna=True), dict(no_savanna=True, no_snow_ice=True)])
@pytest.mark.parametrize('threshold', [0.1, 0.05, 0.5])
def test_multi_label_sets_are_the_classes_above_threshold(multi_root, scheme, threshold):
    ds = DFC2020(data_root=multi_root, label_mode='multi', label_threshold=threshold, **scheme)
    lut, classes = dfc2020_class_lut(**scheme)
    assert ds.metainfo['classes'] == classes
    assert len(ds) == len(MULTI_MASKS)  # the patch without labelled pixels is skipped
    onehot = ds.get_gt_labels()
    assert onehot.shape == (len(MULTI_MASKS), len(classes))
    for i, counts in enumerate(MULTI_MASKS):
        expected = _expected_set(counts, lut, threshold)
        assert ds.get_data_info(i)['gt_label'] == expected, (i, counts)
        assert ds.get_cat_ids(i) == expected
        assert onehot[i].nonzero()[0].tolist() == expected
    savanna = classes.index('Savanna') if 'Savanna' in classes else None
    if threshold == 0.1:
        if savanna is None:
            # no_savanna: Savanna pixels count in the denominator but are no class; the later
            # classes move down (Grassland 4 -> index 2)
            assert ds.get_data_info(0)['gt_label'] == [0, 2]
            assert ds.get_data_info(1)['gt_label'] == ([6, 8] if len(classes) == 9 else [7])
        else:
            assert ds.get_data_info(0)['gt_label'] == [0, 2, 3]
            assert ds.get_data_info(1)['gt_label'] == [2, 7, 9]
        assert ds.get_data_info(3)['gt_label'] == []


def test_multi_label_helpers_and_packing(multi_root):
    lut, _ = dfc2020_class_lut()
    mask = _mask({12: 300, 14: 300, 1: 200, 13: 100})  # IGBP: croplands x2, forest, urban
    np.testing.assert_allclose(
        class_fractions(mask, lut, 'x', igbp=True),
        np.array([200, 0, 0, 0, 0, 600, 100, 0, 0, 0]) / 1024)
    assert multi_label(mask, lut, 'x', igbp=True) == [0, 5]  # urban 0.098 < 0.1
    assert multi_label(mask, lut, 'x', igbp=True, threshold=0.09) == [0, 5, 6]
    assert multi_label(_mask({}), lut, 'x') is None
    assert majority_label(mask, lut, 'x', igbp=True) == 5  # single mode unchanged
    with pytest.raises(ValueError, match=r'x: land-cover value 11 outside'):
        multi_label(_mask({11: 5}), lut, 'x')
    # SEN12MS lc masks (IGBP band 1) in multi mode
    ds = DFC2020(data_root=multi_root, label_mode='multi')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        packed = DFC2020(
            data_root=multi_root,
            label_mode='multi',
            pipeline=[
                dict(
                    type='LoadModalityPair',
                    loaders=[
                        dict(type='LoadSARImage', file_kind='db', to='db'),
                        dict(type='LoadSARImage')
                    ]),
                dict(type='PackInputs')
            ])
        for i in range(len(packed)):
            sample = packed[i]['data_samples']
            assert sample.gt_label.tolist() == ds.get_data_info(i)['gt_label']
    for bad, match in ((dict(label_mode='multilabel'), "label_mode must be 'single' or 'multi'"),
                       (dict(label_mode='multi', label_threshold=0), r'label_threshold must be'),
                       (dict(label_mode='multi', num_shots=2), 'num_shots')):
        with pytest.raises(ValueError, match=match):
            DFC2020(data_root=multi_root, **bad)


def test_sen12ms_igbp_masks_in_multi_label_mode(tmp_path):
    root = str(tmp_path)
    lc = np.zeros((4, SIZE, SIZE), np.uint8)
    lc[0] = _mask({12: 300, 14: 300, 1: 200, 9: 224})  # croplands, forest, savanna
    write_patch(root, 'ROIs1158_spring', '1', 1, 30, lc, label_sensor='lc')
    ds = SEN12MS(data_root=root, label_mode='multi')
    assert ds.get_data_info(0)['gt_label'] == [0, 2, 5]
    ds = SEN12MS(data_root=root, label_mode='multi', no_savanna=True)
    assert ds.get_data_info(0)['gt_label'] == [0, 4]


def _train_two_iterations(config, root, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.model = _small_resnet50(cfg.model)
    cfg.work_dir = str(tmp_path / 'work')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(num_workers=0, persistent_workers=False, batch_size=4)
        loader.dataset.update(data_root=root, subsets=('ROIs0000_validation', ))
        for step in loader.dataset.pipeline:
            if step['type'] == 'RandomCrop':
                step['crop_size'] = 24
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.message_hub


def test_dfc2020_multilabel_config_trains_two_iterations(multi_root, tmp_path):
    cfg = Config.fromfile(MULTI_CONFIG)
    assert cfg.train_dataloader.dataset.label_mode == 'multi'
    assert cfg.val_dataloader.dataset.label_mode == 'multi'
    assert cfg.model.head.type == 'MultiLabelLinearClsHead' and cfg.model.use_labels is False
    hub = _train_two_iterations(MULTI_CONFIG, multi_root, tmp_path)
    assert math.isfinite(hub.get_scalar('train/loss_supcon').current())
    assert math.isfinite(hub.get_scalar('train/loss_cls').current())
    assert 0 <= hub.get_scalar('val/multi-label/f1-score').current() <= 100
    assert 0 <= hub.get_scalar('val/multi-label/f1-score_micro').current() <= 100
    assert 0 <= hub.get_scalar('val/multi-label/mAP').current() <= 100


def test_dfc2020_supcon_config_trains_two_iterations(dfc_root, tmp_path):
    hub = _train_two_iterations(CONFIG, dfc_root, tmp_path)
    assert math.isfinite(hub.get_scalar('train/loss_supcon').current())
    assert math.isfinite(hub.get_scalar('train/loss_cls').current())
    assert 0 <= hub.get_scalar('val/accuracy/top1').current() <= 100


@pytest.mark.parametrize('name', [
    'multimodal-ce_resnet50-s1s2-x2_1xb16-100e_dfc2020.py',
    'multimodal-ce_resnet50-s1s2-x2_1xb16-100e_dfc2020-noaug.py',
    'multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020-noaug.py'
])
def test_dfc2020_variants_are_short_diffs(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'multimodal', name))
    views = cfg.train_dataloader.dataset.pipeline[4]
    assert views['type'] == 'MultiView'
    assert (cfg.model.supcon_loss.loss_weight == 0) == name.startswith('multimodal-ce')
    augmented = any(t for t in views['transforms'])
    assert augmented != name.endswith('-noaug.py')
    if name.startswith('multimodal-ce') and augmented:
        assert views['transforms'][0]  # the CE view (view 0) is the augmented one
