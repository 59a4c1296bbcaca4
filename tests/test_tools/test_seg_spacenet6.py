"""SpaceNet 6 segmentation configs on generated 4-band float TIFF tiles: band selection in the
pipeline, and tools/train.py (2 iterations from a 1-channel checkpoint, then mIoU / F-score)."""
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config

from ..conftest import ROOT, run_tool, write_config

CFG_4CH = ('configs/deeplabv3/'
           'deeplabv3_r18b-d8-4ch_4xb2-20k_spacenet6-sar-512x512_simclr-pretrained.py')
CFG_HH = 'configs/deeplabv3/deeplabv3_r18-d8-1ch_4xb2-20k_spacenet6-sar-hh-512x512.py'
TILE = 'SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_{}'


def make_spacenet6_like(root, splits=(('train', 4), ('val', 2)), size=32, seed=0):
    """SpaceNet 6's layout with small tiles: ``SAR-Intensity/*.tif`` (4 float32 dB bands HH, HV,
    VH, VV stored band-first, a no-data strip of zeros), ``masks/*.png`` (0/1 buildings) and
    ``splits/<split>.txt`` (tile names)."""
    import cv2
    import tifffile
    rng = np.random.default_rng(seed)
    for sub in ('SAR-Intensity', 'masks', 'splits'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    index = 0
    for split, count in splits:
        names = []
        for _ in range(count):
            name = TILE.format(index)
            index += 1
            mask = np.zeros((size, size), np.uint8)
            for _ in range(rng.integers(1, 4)):
                y, x = rng.integers(0, size // 2, 2)
                h, w = rng.integers(size // 8, size // 2, 2)
                mask[y:y + h, x:x + w] = 1
            # dB: clutter around 30 (co-pol) / 22 (cross-pol), buildings 10 dB brighter
            level = np.array([30.0, 22.0, 22.0, 30.0], np.float32)[:, None, None]
            bands = level + rng.normal(0, 3, (4, size, size)) + 10.0 * mask[None]
            bands[:, :, :3] = 0  # no-data outside the swath
            tifffile.imwrite(
                osp.join(root, 'SAR-Intensity', name + '.tif'),
                bands.astype(np.float32),
                photometric='minisblack',
                planarconfig='separate')
            cv2.imwrite(osp.join(root, 'masks', name + '.png'), mask)
            names.append(name)
        with open(osp.join(root, 'splits', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(names) + '\n')
    return root


@pytest.fixture(scope='module')
def spacenet6_root(tmp_path_factory):
    return make_spacenet6_like(str(tmp_path_factory.mktemp('spacenet6')))


def _dataset(config, root, loader='test_dataloader'):
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS

    import sar_mm  # noqa: F401
    ds_cfg = Config.fromfile(osp.join(ROOT, config))[loader].dataset.copy()
    ds_cfg['data_root'] = root
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(ds_cfg)


@pytest.mark.parametrize('config, channels', [(CFG_4CH, 4), (CFG_HH, 1)])
def test_dataset_and_band_selection(spacenet6_root, config, channels):
    """The configs' datasets read the split, select the bands and stretch each to [0, 1]."""
    for loader, size in (('train_dataloader', 4), ('test_dataloader', 2)):
        dataset = _dataset(config, spacenet6_root, loader)
        assert len(dataset) == size
        assert dataset.metainfo['classes'] == ('background', 'building')
        sample = dataset[0]
        img = sample['inputs']
        assert img.shape[0] == channels and img.dtype == torch.float32
        assert 0.0 <= float(img.min()) and float(img.max()) <= 1.0
        assert set(np.unique(sample['data_samples'].gt_sem_seg.data.numpy())) <= {0, 1}


def test_hh_config_sees_band_0_of_the_4_band_config(spacenet6_root):
    quad = _dataset(CFG_4CH, spacenet6_root)[1]['inputs']
    hh = _dataset(CFG_HH, spacenet6_root)[1]['inputs']
    assert quad.shape[0] == 4 and hh.shape[0] == 1
    torch.testing.assert_close(hh[0], quad[0])
    assert not torch.equal(quad[0], quad[1])


def test_train_two_iterations_from_1ch_checkpoint_and_evaluate(spacenet6_root, tmp_path):
    from mmpretrain.models.backbones import ResNet
    torch.manual_seed(0)
    src = ResNet(depth=18, in_channels=1)
    ckpt = tmp_path / 'simclr_r18_1ch.pth'
    torch.save({
        'state_dict': {
            f'backbone.{k}': v
            for k, v in src.state_dict().items()
        },
        'meta': {}
    }, ckpt)
    body = f"""
data_root = '{spacenet6_root}/'
model = dict(backbone=dict(init_cfg=dict(checkpoint='{ckpt}')))
data_preprocessor = dict(size=(32, 32))
train_pipeline = [
    dict(type='LoadSARImage', file_kind='db', to='db', bands=[0, 1, 2, 3]),
    dict(type='DRAAPercentileTruncation', truncation_range=(0.0, 2.0)),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=(32, 32), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
"""
    config = write_config(tmp_path / 'sn6_2it.py', CFG_4CH, body)
    work_dir = str(tmp_path / 'work')
    proc = run_tool(['tools/train.py', config, '--work-dir', work_dir])
    log = proc.stdout + proc.stderr
    assert 'conv1.weight: input channels 1 -> 4' in log
    assert 'into ResNet' in log
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth')), log[-3000:]
    # the validation after the last iteration: IoUMetric's mIoU and mean F-score, and its
    # per-class table with the building IoU and F-score (tools/test.py runs the same evaluator
    # and writes test_metrics.json: tests/test_tools/test_train_test.py checks it for DeepLabv3)
    assert re.search(r'Iter\(val\) \[2/2\].*aAcc: [\d.]+\s+mIoU: [\d.]+.*mFscore: [\d.]+', log), \
        log[-3000:]
    assert re.search(r'\|\s+building\s+\|', log), log[-3000:]
    # PerClassIoUMetric puts the building IoU and F1 into the metrics themselves
    # (an F-score is nan while nothing is predicted as building, after 2 iterations)
    assert re.search(r'IoU\.building: [\d.]+.*Fscore\.building: (?:[\d.]+|nan)', log), \
        log[-3000:]
