"""The SSDD FCOS config on generated ship scenes: train 2 iterations, test with COCO mAP and
--show-dir pictures, and the LS-SSDD sliced config's scene-level metric through tools/test.py."""
import json
import os.path as osp

import pytest

from ..conftest import run_tool, write_config

SSDD_R18 = 'configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_ssdd.py'
LS_SSDD_SLICED = 'configs/fcos/fcos_r50-1ch_fpn_gn-head_1xb4-12e_ls-ssdd-sliced.py'

# generated scenes: float32 amplitude TIFFs at 128 px (the real configs resize to 800)
SMALL = """
img_scale = (128, 128)
data_preprocessor = dict(mean=[0.16], std=[0.17])
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor', 'instances')),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2)
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False, save_best=None),
                     logger=dict(interval=1))
log_processor = dict(by_epoch=False)
# an untrained detector scores below 0.05: keep every box so that COCO has something to rank
model = dict(test_cfg=dict(score_thr=0.0))
"""
SSDD_BODY = SMALL + """
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    data_root='{root}', ann_file='annotations/train.json', data_prefix=dict(img='images/train/'),
    pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root='{root}', ann_file='annotations/val.json', data_prefix=dict(img='images/val/'),
    pipeline=test_pipeline))
test_dataloader = val_dataloader
"""
SLICED_BODY = SMALL + """
model = dict(backbone=dict(depth=18), neck=dict(in_channels=[128, 256, 512]))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root='{root}', ann_file='annotations/val.json', pipeline=test_pipeline))
"""


@pytest.fixture(scope='module')
def trained(synthetic_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('fcos_ssdd')
    root = osp.join(synthetic_root, 'ships') + '/'
    config = write_config(tmp / 'ssdd_r18.py', SSDD_R18, SSDD_BODY.format(root=root))
    run_tool(['tools/train.py', config, '--work-dir', str(tmp / 'work'), '--no-validate'])
    ckpt = tmp / 'work' / 'iter_2.pth'
    assert ckpt.is_file()
    return tmp, config, str(ckpt)


def test_ssdd_config_trains_tests_and_draws(trained, synthetic_root):
    import matplotlib.image as mpimg
    tmp, config, ckpt = trained
    show = tmp / 'show'
    proc = run_tool([
        'tools/test.py', config, ckpt, '--work-dir',
        str(tmp / 'work'), '--show-dir',
        str(show), '--show-score-thr', '0.0'
    ])
    with open(tmp / 'work' / 'test_metrics.json') as f:
        metrics = json.load(f)
    assert 0 <= metrics['coco/bbox_mAP'] <= 1, proc.stdout[-2000:]
    with open(osp.join(synthetic_root, 'ships', 'annotations', 'val.json')) as f:
        names = [img['file_name'] for img in json.load(f)['images']]
    assert sorted(p.name
                  for p in show.iterdir()) == sorted(osp.splitext(n)[0] + '.png' for n in names)
    picture = mpimg.imread(str(show / 'val_0000.png'))
    # ground truth and predictions side by side on the 128 px scene, shown in dB: not black
    assert picture.shape[:2] == (128, 256) and picture.std() > 0.05


def test_sliced_config_reports_scene_metrics(trained, synthetic_root):
    """Tiles of the generated scenes; detections merged back into the scenes by the metric."""
    from sar_mm.datasets.slicing import slice_coco_scenes
    tmp, _, ckpt = trained
    ships = osp.join(synthetic_root, 'ships')
    tiles = tmp / 'tiles'
    slice_coco_scenes(
        osp.join(ships, 'annotations', 'val.json'),
        osp.join(ships, 'images', 'val'),
        str(tiles),
        tile_size=64,
        overlap=0.5,
        progress=False)
    config = write_config(tmp / 'sliced_r18.py', LS_SSDD_SLICED,
                          SLICED_BODY.format(root=str(tiles) + '/'))
    proc = run_tool(['tools/test.py', config, ckpt, '--work-dir', str(tmp / 'sliced')])
    with open(tmp / 'sliced' / 'test_metrics.json') as f:
        metrics = json.load(f)
    assert 0 <= metrics['coco/bbox_mAP'] <= 1 and 0 <= metrics['coco_scene/bbox_mAP'] <= 1
    assert 'SlicedCocoMetric: 18 tiles -> 2 scenes' in proc.stdout + proc.stderr
