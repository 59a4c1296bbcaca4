"""METERML S1 + S2 pairs on tiny site folders in the METER-ML layout, and its config."""
import json
import math
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from sar_mm.datasets import METERML

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'multimodal',
                  'multimodal-supcon_resnet18-s1s2-x2_1xb32-20e_meter-ml.py')
SIZE = 24
TYPES = [
    'CAFOs', 'Landfills-WWTreatment', 'Negative', 'WWTreatment-Mines', 'RefineriesAndTerminals',
    'Mines', 'ProcessingPlants-Landfills', 'CAFOs-Landfills'
]


def _site(root, folder, s2_bands=4, s1=True):
    site = osp.join(root, folder)
    os.makedirs(site, exist_ok=True)
    s2 = np.empty((SIZE, SIZE, s2_bands), np.float32)
    s2[:] = np.arange(1, s2_bands + 1)  # band b holds b + 1
    s2[3:9, 12:20] = 5000
    np.save(osp.join(site, 'sentinel-2-10m.npy'), s2)
    if s1:
        vv_vh = np.empty((SIZE, SIZE, 2), np.float32)
        vv_vh[:] = (100, 200)
        vv_vh[3:9, 12:20] = 5000
        np.save(osp.join(site, 'sentinel-1.npy'), vv_vh)


def _write_list(root, name, types, folders=None):
    folders = folders or [f'sites/site_{i}' for i in range(len(types))]
    features = [
        dict(type='Feature', properties=dict(Image_Folder=f, Type=t))
        for f, t in zip(folders, types)
    ]
    with open(osp.join(root, name), 'w') as f:
        json.dump(dict(type='FeatureCollection', features=features), f)
    return name


@pytest.fixture(scope='module')
def meter_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('meter_ml'))
    for i in range(len(TYPES)):
        _site(root, f'sites/site_{i}')
    _write_list(root, 'train_dataset.json', TYPES)
    _write_list(root, 'val_dataset.json', TYPES)
    return root


def test_labels_pairs_and_bands(meter_root):
    pipeline = [dict(type='LoadModalityPair', loaders=[dict(type='LoadSARImage')] * 2)]
    ds = METERML(data_root=meter_root, ann_file='train_dataset.json', pipeline=pipeline)
    assert len(ds) == 8 and ds.modality_channels == (2, 4)
    # compound types take their first source
    assert ds.get_gt_labels().tolist() == [0, 1, 3, 6, 5, 2, 4, 0]
    info = ds.get_data_info(0)
    assert info['img_paths'][0].endswith(osp.join('site_0', 'sentinel-1.npy'))
    assert info['img_paths'][1].endswith(osp.join('site_0', 'sentinel-2-10m.npy'))
    img = ds[0]['img']
    np.testing.assert_allclose(img[0, 0], [100, 200, 1, 2, 3, 4])
    picked = METERML(
        data_root=meter_root,
        ann_file='train_dataset.json',
        pipeline=pipeline,
        s1_bands=('VH', ),
        s2_bands=('B8', 'B4'))
    assert picked.modality_channels == (1, 2)
    np.testing.assert_allclose(picked[0]['img'][0, 0], [200, 4, 3])
    no_negatives = METERML(
        data_root=meter_root, ann_file='train_dataset.json', exclude_negatives=True)
    assert len(no_negatives) == 7 and 3 not in no_negatives.get_gt_labels().tolist()
    with pytest.raises(ValueError, match='must all come from one of the files'):
        METERML(data_root=meter_root, ann_file='train_dataset.json', s2_bands=('B2', 'B5'))
    with pytest.raises(FileNotFoundError, match=r'site_0.sentinel-2-20m\.npy'):
        METERML(data_root=meter_root, ann_file='train_dataset.json', s2_bands='20m')


def test_pair_stays_aligned_under_augmentation(meter_root):
    aug = [
        dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
        # nearest: with bilinear resampling an edge pixel's value depends on each band's own
        # background, so a threshold could split the bands there even when they are aligned
        dict(
            type='RandomResizedCrop',
            scale=16,
            crop_ratio_range=(0.3, 1.0),
            backend='cv2',
            interpolation='nearest')
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = METERML(
            data_root=meter_root,
            ann_file='train_dataset.json',
            pipeline=[
                dict(type='LoadModalityPair', loaders=[dict(type='LoadSARImage')] * 2),
                dict(type='MultiView', num_views=8, transforms=[aug])
            ])
        views = ds[0]['img']
    for view in views:
        square = view[:, :, 0] > 2500
        assert square.any() or not (view > 2500).any()
        for c in range(1, 6):
            np.testing.assert_array_equal(square, view[:, :, c] > 2500)


def test_errors_name_the_file(tmp_path):
    root = str(tmp_path)
    _site(root, 'a')
    _site(root, 'b', s1=False)
    _site(root, 'c', s2_bands=3)
    _write_list(root, 'missing.json', ['CAFOs', 'Mines'], ['a', 'b'])
    with pytest.raises(
            FileNotFoundError,
            match=r'missing\.json, feature 1: missing file of '
            r'the pair: .*b.sentinel-1\.npy'):
        METERML(data_root=root, ann_file='missing.json')
    _write_list(root, 'type.json', ['CAFOs', 'Volcanoes'], ['a', 'a'])
    with pytest.raises(ValueError, match=r"type\.json, feature 1: Type 'Volcanoes'"):
        METERML(data_root=root, ann_file='type.json')
    _write_list(root, 'bands.json', ['CAFOs'], ['c'])
    ds = METERML(
        data_root=root,
        ann_file='bands.json',
        pipeline=[dict(type='LoadModalityPair', loaders=[dict(type='LoadSARImage')] * 2)])
    with pytest.raises(
            ValueError,
            match=r'c.sentinel-2-10m\.npy: 3 bands, but this file of '
            r'modality 1 should hold 4'):
        ds[0]
    with open(osp.join(root, 'bad.json'), 'w') as f:
        f.write('[1, 2]')
    with pytest.raises(ValueError, match=r'bad\.json: not a METER-ML list'):
        METERML(data_root=root, ann_file='bad.json')


def test_meter_ml_config_trains_two_iterations(meter_root, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(CONFIG)
    for backbone in cfg.model.backbone:
        backbone.update(stem_channels=8, base_channels=8)  # 64-d features
    cfg.model.head.in_channels = 128
    cfg.model.projector.update(in_channels=64, hid_channels=64, out_channels=32)
    cfg.work_dir = str(tmp_path / 'work')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(num_workers=0, persistent_workers=False, batch_size=4)
        loader.dataset.update(data_root=meter_root)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    assert math.isfinite(hub.get_scalar('train/loss_supcon').current())
    assert 0 <= hub.get_scalar('val/accuracy/top1').current() <= 100
