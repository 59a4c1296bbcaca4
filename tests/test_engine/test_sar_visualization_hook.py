"""SAR display for mmdet / mmseg visualization hooks, and what tools/test.py --show-dir sets."""
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import tifffile
import torch
from mmengine.config import Config

import sar_mm  # noqa: F401
from sar_mm.engine.hooks import SARSegVisualizationHook, enable_show_dir, read_sar_for_display
from ..conftest import ROOT


def test_read_sar_for_display(tmp_path):
    rng = np.random.default_rng(0)
    amplitude = rng.gamma(1.0, 0.05, (40, 30)).astype(np.float32)
    amplitude[5:10, 5:10] = 20.0  # a bright ship: a linear cast to uint8 would hide the sea
    tifffile.imwrite(tmp_path / 'scene.tif', amplitude)
    shown = read_sar_for_display(str(tmp_path / 'scene.tif'))
    assert shown.shape == (40, 30, 3) and shown.dtype == np.uint8
    assert (shown[..., 0] == shown[..., 2]).all()
    assert shown[7, 7, 0] == 255 and np.percentile(shown[15:, 15:, 0], 90) > 60  # sea visible
    # dB files are stretched without a second log; complex data by its magnitude
    np.save(tmp_path / 'slc.npy', (amplitude * np.exp(1j * 0.3)).astype(np.complex64))
    np.testing.assert_array_equal(read_sar_for_display(str(tmp_path / 'slc.npy')), shown)
    db = (20 * np.log10(amplitude)).astype(np.float32)
    tifffile.imwrite(tmp_path / 'db.tif', db)
    np.testing.assert_allclose(read_sar_for_display(str(tmp_path / 'db.tif'), 'db'), shown, atol=1)
    # 8-bit renderings (SSDD / HRSID JPEG, PNG) are shown as stored
    grey = rng.integers(0, 256, (20, 24), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'chip.png'), grey)
    np.testing.assert_array_equal(read_sar_for_display(str(tmp_path / 'chip.png'))[..., 1], grey)
    with pytest.raises(ValueError, match='file_kind must be one of'):
        SARSegVisualizationHook(file_kind='sigma0')


def test_enable_show_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    det = Config.fromfile(osp.join(ROOT, 'configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_ssdd.py'))
    enable_show_dir(det, str(tmp_path / 'det'), 0.4)
    assert det.default_hooks.visualization == dict(
        type='SARDetVisualizationHook',
        draw=True,
        test_out_dir=str(tmp_path / 'det'),
        score_thr=0.4)
    assert (tmp_path / 'det').is_dir()
    seg = Config.fromfile(
        osp.join(ROOT, 'configs/deeplabv3/deeplabv3_r18-d8-1ch_1xb4-2k_synthetic-sar-ships.py'))
    seg.default_hooks.visualization = dict(type='SARSegVisualizationHook', file_kind='db')
    enable_show_dir(seg, 'rel_dir')
    assert seg.default_hooks.visualization == dict(
        type='SARSegVisualizationHook',
        draw=True,
        test_out_dir=str(tmp_path / 'rel_dir'),
        file_kind='db')
    cls = Config.fromfile(
        osp.join(ROOT, 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py'))
    with pytest.raises(ValueError, match="draws detection .* 'mmpretrain' config"):
        enable_show_dir(cls, str(tmp_path))


def test_seg_hook_writes_one_png_per_test_image(tmp_path):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from mmseg.visualization import SegLocalVisualizer
    vis = SegLocalVisualizer.get_instance('sar_seg_hook_test', save_dir=str(tmp_path / 'vis'))
    vis.dataset_meta = dict(classes=('background', 'ship'), palette=[[0, 0, 0], [0, 255, 0]])
    amplitude = np.random.default_rng(0).gamma(1.0, 0.05, (32, 48)).astype(np.float32)
    tifffile.imwrite(tmp_path / 'scene_7.tif', amplitude)
    mask = torch.zeros(1, 32, 48, dtype=torch.long)
    mask[:, 10:20, 10:30] = 1
    sample = SegDataSample(metainfo=dict(img_path=str(tmp_path / 'scene_7.tif')))
    sample.gt_sem_seg = PixelData(data=mask)
    sample.pred_sem_seg = PixelData(data=mask.roll(3, dims=2))
    hook = SARSegVisualizationHook(draw=True, test_out_dir=str(tmp_path / 'show'))
    runner = SimpleNamespace(work_dir=str(tmp_path), timestamp='t', iter=0)
    hook.after_test_iter(runner, 0, {}, [sample])
    picture = cv2.imread(str(tmp_path / 'show' / 'scene_7.png'))
    assert picture.shape == (32, 96, 3)  # ground truth | prediction
    # the ship class is drawn in its palette colour over the grey SAR rendering
    assert (picture[15, 20] != picture[15, 20][0]).any()
