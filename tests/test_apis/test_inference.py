"""Classification, detection and segmentation inferencers on SAR files and arrays."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.registry import DefaultScope
from PIL import Image

from sar_mm.apis import (SARDetInferencer, SARImageClassificationInferencer, SARSegInferencer,
                         display_image, inference_sar_classifier, init_sar_classifier)
from sar_mm.engine import CheckpointMismatchError
from sar_mm.fileio import read_sar
from .helpers import (CLASSES, DEEPLAB, FCOS, RESNET_CLS, VIT_CLS, config_path, sar_amplitude,
                      save_random_checkpoint, write_all_formats)


@pytest.fixture(scope='module')
def resnet_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('ckpt') / 'resnet.pth'
    return save_random_checkpoint(RESNET_CLS, path, dataset_meta=dict(classes=CLASSES))


@pytest.fixture(scope='module')
def formats(tmp_path_factory):
    return write_all_formats(str(tmp_path_factory.mktemp('formats') / 'sub'), sar_amplitude())


def reference_scores(model, cfg, path):
    """The class probabilities tools/test.py would compute: the config's own test pipeline."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        data = default_collate([pipeline(dict(img_path=path))])
    with torch.no_grad():
        return model.test_step(data)[0].pred_score.numpy()


def test_classifier_on_every_format(resnet_ckpt, formats, tmp_path):
    inferencer = SARImageClassificationInferencer(config_path(RESNET_CLS), resnet_ckpt)
    assert inferencer.classes == CLASSES
    show_dir = tmp_path / 'show'
    results = inferencer(osp.dirname(formats['mstar']), show_dir=str(show_dir), topk=2)
    assert [r['img_path'] for r in results] == sorted(formats.values())
    cfg = Config.fromfile(config_path(RESNET_CLS))
    for result in results:
        assert set(result) == {
            'img_path', 'pred_label', 'pred_class', 'pred_score', 'pred_scores', 'topk'
        }
        assert list(result['pred_scores']) == CLASSES
        scores = np.array(list(result['pred_scores'].values()))
        assert scores.sum() == pytest.approx(1.0, abs=1e-5)
        assert result['pred_class'] == CLASSES[result['pred_label']] == result['topk'][0][0]
        assert result['pred_score'] == pytest.approx(scores.max())
        # exactly the numbers of the config's test pipeline
        np.testing.assert_allclose(
            scores, reference_scores(inferencer.model, cfg, result['img_path']), atol=1e-6)
    # the same amplitudes in four formats: the same prediction
    first = np.array(list(results[0]['pred_scores'].values()))
    for result in results[1:]:
        np.testing.assert_allclose(list(result['pred_scores'].values()), first, atol=1e-4)
    pictures = sorted(osp.basename(p) for p in glob.glob(str(show_dir / '*.png')))
    assert pictures == ['HB03787.015.png', 'chip16.png', 'chipc64.png', 'chipf32.png']
    assert np.asarray(Image.open(show_dir / 'chipf32.png')).shape[:2] == (256, 256)


def test_classifier_api_on_arrays_and_batches(resnet_ckpt, formats):
    model = init_sar_classifier(config_path(RESNET_CLS), resnet_ckpt)
    by_path = inference_sar_classifier(model, formats['tiff'])[0]
    array = read_sar(formats['tiff'])[0]
    by_array = inference_sar_classifier(model, [array, array], batch_size=2)
    assert len(by_array) == 2 and 'img_path' not in by_array[0]
    for result in by_array:
        assert result['pred_scores'] == pytest.approx(by_path['pred_scores'], abs=1e-6)


def test_class_names_from_the_config_or_numbered(tmp_path, formats):
    ckpt = save_random_checkpoint(RESNET_CLS, tmp_path / 'nometa.pth')
    # no names in the checkpoint: the config's dataset metainfo gives them
    cfg = Config.fromfile(config_path(RESNET_CLS))
    result = SARImageClassificationInferencer(config_path(RESNET_CLS), ckpt)(formats['npy'])[0]
    assert list(result['pred_scores']) == list(cfg.classes)
    # nor in the config: numbered classes
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.pop('metainfo', None)
    nameless = str(tmp_path / 'nameless.py')
    cfg.dump(nameless)
    result = SARImageClassificationInferencer(nameless, ckpt)(formats['npy'])[0]
    assert list(result['pred_scores']) == [f'class_{i}' for i in range(5)]


def test_mismatched_checkpoint_is_refused(resnet_ckpt):
    with pytest.raises(CheckpointMismatchError) as err:
        init_sar_classifier(config_path(VIT_CLS), resnet_ckpt)
    message = str(err.value)
    assert resnet_ckpt in message and 'missing keys' in message and \
        'unexpected keys' in message and 'backbone.conv1.weight' in message and \
        'backbone.cls_token' in message


@pytest.fixture(scope='module')
def scene(tmp_path_factory):
    """A 96 x 128 float32 amplitude scene with two bright ships."""
    import tifffile
    rng = np.random.default_rng(3)
    amp = rng.gamma(1.0, 0.05, (96, 128)).astype(np.float32)
    amp[20:26, 30:50] = 3.0
    amp[60:64, 90:100] = 2.0
    path = str(tmp_path_factory.mktemp('scene') / 'scene.tif')
    tifffile.imwrite(path, amp)
    return path


def test_detector_on_a_float_scene(tmp_path, scene):
    ckpt = save_random_checkpoint(FCOS, tmp_path / 'fcos.pth')
    cfg = Config.fromfile(config_path(FCOS))
    cfg.model.test_cfg.score_thr = 0.0  # an untrained detector scores low
    inferencer = SARDetInferencer(cfg, ckpt, device='cpu', show_progress=False)
    assert inferencer.model.dataset_meta['classes'] == ('ship', )
    drawn = []
    original = inferencer.visualizer.add_datasample

    def spy(name, image, *args, **kwargs):
        drawn.append(image)
        return original(name, image, *args, **kwargs)

    inferencer.visualizer.add_datasample = spy
    out = inferencer(scene, out_dir=str(tmp_path / 'vis'), pred_score_thr=0.0)
    result = out['predictions'][0]
    assert set(result) == {'img_path', 'labels', 'scores', 'bboxes', 'label_names'}
    assert result['img_path'] == scene and len(result['bboxes']) == len(result['scores']) > 0
    boxes = np.array(result['bboxes'])
    assert boxes.shape[1] == 4 and boxes[:, 0].min() >= 0 and boxes[:, 2].max() <= 128
    assert set(result['label_names']) == {'ship'}
    # the visualizer draws on the dB-stretched uint8 picture, not on mmcv's 8-bit read
    assert drawn[0].dtype == np.uint8 and drawn[0].shape == (96, 128, 3)
    np.testing.assert_array_equal(drawn[0], display_image(scene, inferencer.loader))
    assert osp.isfile(tmp_path / 'vis' / 'scene.png')

    # same boxes as the config's own test pipeline; arrays go through the same conversion
    with DefaultScope.overwrite_default_scope('mmdet'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        data = pseudo_collate([pipeline(dict(img_path=scene, img_id=0, instances=[]))])
    with torch.no_grad():
        expected = inferencer.model.test_step(data)[0].pred_instances
    np.testing.assert_allclose(boxes, expected.bboxes.numpy(), atol=1e-4)
    by_array = inferencer(read_sar(scene)[0])['predictions'][0]
    np.testing.assert_allclose(by_array['bboxes'], boxes, atol=1e-4)


def test_segmentor_on_a_float_scene(tmp_path, scene):
    ckpt = save_random_checkpoint(DEEPLAB, tmp_path / 'deeplab.pth')
    inferencer = SARSegInferencer(config_path(DEEPLAB), ckpt, device='cpu')
    out = inferencer([scene],
                     show_dir=str(tmp_path / 'vis'),
                     mask_dir=str(tmp_path / 'masks'),
                     return_masks=True)
    result = out['predictions'][0]
    assert result['img_path'] == scene and result['img_shape'] == [96, 128]
    assert list(result['class_pixels']) == ['background', 'ship']
    assert sum(result['class_pixels'].values()) == 96 * 128
    mask = np.asarray(Image.open(result['mask_path']))
    assert result['mask_path'] == str(tmp_path / 'masks' / 'scene.png')
    np.testing.assert_array_equal(mask, result['mask'])
    assert np.bincount(mask.ravel(), minlength=2).tolist() == \
        list(result['class_pixels'].values())
    assert osp.isfile(tmp_path / 'vis' / 'scene.png')


def test_classifier_after_another_codebase_set_the_default_scope(resnet_ckpt, formats):
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')  # as mmseg's and mmdet's inferencers leave it
    try:
        result = SARImageClassificationInferencer(config_path(RESNET_CLS),
                                                  resnet_ckpt)(formats['tiff'])[0]
    finally:
        init_default_scope('mmpretrain')
    assert result['pred_class'] in CLASSES


def test_checkpoints_go_through_the_safe_loader(tmp_path, resnet_ckpt):
    """A checkpoint with a pickled object off sar_mm's allow-list is refused by every
    inferencer (torch weights_only loading), naming the file."""
    import argparse

    from sar_mm.engine import UnsafeCheckpointError, load_checkpoint_file
    checkpoint = load_checkpoint_file(resnet_ckpt)
    checkpoint['meta']['args'] = argparse.Namespace(lr=0.1)
    unsafe = str(tmp_path / 'unsafe.pth')
    torch.save(checkpoint, unsafe)
    with pytest.raises(UnsafeCheckpointError, match='unsafe.pth: refused.*Namespace'):
        init_sar_classifier(config_path(RESNET_CLS), unsafe)
    det = load_checkpoint_file(save_random_checkpoint(FCOS, tmp_path / 'fcos.pth'))
    det['meta']['args'] = argparse.Namespace(lr=0.1)
    torch.save(det, unsafe)
    with pytest.raises(UnsafeCheckpointError, match='unsafe.pth: refused.*Namespace'):
        SARDetInferencer(config_path(FCOS), unsafe, device='cpu')
