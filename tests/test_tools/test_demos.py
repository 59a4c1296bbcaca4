"""demo/image_demo.py, det_demo.py and seg_demo.py end to end on generated SAR data."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from sar_mm.engine import load_checkpoint_file
from sar_mm.fileio import read_sar
from ..conftest import run_tool, write_config
from ..test_apis.helpers import DEEPLAB, FCOS, RESNET_CLS, save_random_checkpoint, write_all_formats

TWO_ITERATIONS = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}', num_shots=2))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{root}', num_shots=2))
test_dataloader = val_dataloader
"""


@pytest.fixture(scope='module')
def trained_classifier(tmp_path_factory, synthetic_root):
    """A ResNet-18 classifier trained for 2 iterations by tools/train.py (a Runner checkpoint,
    with message hub and dataset meta, loaded with torch's weights_only)."""
    tmp = tmp_path_factory.mktemp('classifier')
    root = osp.join(synthetic_root, 'vehicles') + '/'
    config = write_config(tmp / 'resnet_2it.py', RESNET_CLS, TWO_ITERATIONS.format(root=root))
    run_tool(['tools/train.py', config, '--work-dir', str(tmp / 'work')])
    ckpt = str(tmp / 'work' / 'iter_2.pth')
    checkpoint = load_checkpoint_file(ckpt)  # the safe loader: weights_only=True
    assert 'message_hub' in checkpoint
    # this config's list file has label indices only: no class names unless the dataset has
    # them, and the inferencer then names the classes by index
    classes = list(checkpoint['meta']['dataset_meta'].get('classes')
                   or [f'class_{i}' for i in range(5)])
    chip = sorted(glob.glob(osp.join(root, 'images', '*', '*.png')))[0]
    return dict(config=config, ckpt=ckpt, classes=classes, amp=read_sar(chip)[0][..., 0])


def test_image_demo_every_format_folder(trained_classifier, tmp_path):
    folder = tmp_path / 'images'
    paths = write_all_formats(str(folder / 'nested'), trained_classifier['amp'])
    (folder / 'readme.txt').write_text('not an image')
    out = tmp_path / 'results.json'
    proc = run_tool([
        'demo/image_demo.py',
        str(folder), trained_classifier['config'], trained_classifier['ckpt'], '--device', 'cpu',
        '--out',
        str(out), '--show-dir',
        str(tmp_path / 'show'), '--topk', '3'
    ])
    with open(out) as f:
        results = json.load(f)
    assert [r['img_path'] for r in results] == sorted(paths.values())
    classes = trained_classifier['classes']
    for result in results:
        assert set(result) == {
            'img_path', 'pred_label', 'pred_class', 'pred_score', 'pred_scores', 'topk'
        }
        assert list(result['pred_scores']) == classes and len(result['topk']) == 3
        assert result['pred_class'] == classes[result['pred_label']]
        assert sum(result['pred_scores'].values()) == pytest.approx(1, abs=1e-5)
        assert f'{result["img_path"]}: {result["pred_class"]}' in proc.stdout
        # one chip stored four ways: one prediction
        np.testing.assert_allclose(
            list(result['pred_scores'].values()),
            list(results[0]['pred_scores'].values()),
            atol=1e-4)
    assert len(glob.glob(str(tmp_path / 'show' / '*.png'))) == 4


def test_image_demo_single_mstar_prints_json(trained_classifier, tmp_path):
    paths = write_all_formats(str(tmp_path), trained_classifier['amp'])
    proc = run_tool([
        'demo/image_demo.py', paths['mstar'], trained_classifier['config'],
        trained_classifier['ckpt']
    ])
    lines = proc.stdout.splitlines()
    results = json.loads('\n'.join(lines[lines.index('['):]))
    assert len(results) == 1 and results[0]['img_path'] == paths['mstar']
    assert results[0]['pred_class'] in trained_classifier['classes']
    assert 0 < results[0]['pred_score'] <= 1


def test_det_demo(synthetic_root, tmp_path):
    ckpt = save_random_checkpoint(FCOS, tmp_path / 'fcos.pth')
    scenes = osp.join(synthetic_root, 'ships', 'images', 'val')
    out = tmp_path / 'det.json'
    proc = run_tool([
        'demo/det_demo.py', scenes, FCOS, ckpt, '--out',
        str(out), '--show-dir',
        str(tmp_path / 'show'), '--score-thr', '0', '--cfg-options', 'model.test_cfg.score_thr=0.0',
        'model.test_cfg.max_per_img=5'
    ])
    with open(out) as f:
        results = json.load(f)
    names = sorted(osp.basename(p) for p in glob.glob(osp.join(scenes, '*.tif')))
    assert [osp.basename(r['img_path']) for r in results] == names
    for result in results:
        assert set(result) == {'img_path', 'bboxes', 'scores', 'labels', 'label_names'}
        assert 0 < len(result['bboxes']) == len(result['scores']) <= 5
        assert all(len(b) == 4 and b[0] <= b[2] and b[1] <= b[3] for b in result['bboxes'])
        assert set(result['label_names']) == {'ship'} and set(result['labels']) == {0}
        assert osp.isfile(tmp_path / 'show' /
                          (osp.splitext(osp.basename(result['img_path']))[0] + '.png'))
    assert 'boxes' in proc.stdout


def test_seg_demo(synthetic_root, tmp_path):
    ckpt = save_random_checkpoint(DEEPLAB, tmp_path / 'deeplab.pth')
    scene = sorted(glob.glob(osp.join(synthetic_root, 'ships', 'images', 'val', '*.tif')))[0]
    out = tmp_path / 'seg.json'
    run_tool([
        'demo/seg_demo.py', scene, DEEPLAB, ckpt, '--out',
        str(out), '--show-dir',
        str(tmp_path / 'show')
    ])
    with open(out) as f:
        result, = json.load(f)
    h, w = read_sar(scene)[0].shape[:2]
    assert result['img_path'] == scene and result['img_shape'] == [h, w]
    assert list(result['class_pixels']) == ['background', 'ship']
    assert sum(result['class_pixels'].values()) == h * w
    assert result['mask_path'] == str(tmp_path / 'seg_masks' / 'val_0000.png')
    mask = np.asarray(Image.open(result['mask_path']))
    assert mask.shape == (h, w)
    assert np.bincount(mask.ravel(), minlength=2).tolist() == \
        list(result['class_pixels'].values())
    assert osp.isfile(tmp_path / 'show' / 'val_0000.png')
