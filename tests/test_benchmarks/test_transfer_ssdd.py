"""benchmarks/transfer_ssdd.py: arguments, the generated-data fallback and the FCOS config it
writes (the end-to-end --quick run takes minutes: not here; its hrsid_mini -> COCO converter is
tested in tests/test_tools/test_hrsid_to_coco.py)."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from benchmarks import transfer_ssdd as bench


def test_arguments():
    args = bench.parse_args([])
    assert (args.iters, args.batch, args.img_size, args.threads) == (300, 2, 512, 1)
    quick = bench.parse_args(['--quick'])
    assert (quick.iters, quick.img_size, quick.pretrain_iters, quick.speed_iters) == bench.QUICK


@pytest.mark.parametrize('argv', [['--iters', '0'], ['--img-size', '500'], ['--threads', '0']])
def test_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert 'error' in capsys.readouterr().err


def test_generated_fallback_and_config(tmp_path):
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    args = bench.parse_args(['--quick', '--synthetic', '--work-dir', str(tmp_path)])
    data = bench.prepare_data(args, str(tmp_path))
    assert not data['real'] and data['splits']['train']['images'] == 8
    assert osp.isfile(osp.join(data['root'], 'annotations', 'train_png8.json'))
    png = cv2.imread(
        osp.join(data['root'], 'png8', 'train', 'train_0000.png'), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint8 and png.std() > 10
    mean, std = bench.db_statistics(data['root'], data['db_floor'])
    assert -40 < mean < 0 and std > 1
    body = bench.FCOS_BODY.format(
        size=128,
        mean=mean,
        std=std,
        db_floor=data['db_floor'],
        batch=2,
        root=data['root'],
        iters=6,
        warmup=1,
        milestone=4,
        lr=0.005,
        seed=0,
        score_thr=0.0)
    cfg = Config.fromfile(bench.write_config(str(tmp_path / 'fcos.py'), bench.FCOS_R18, body))
    assert cfg.val_cfg is None and cfg.train_cfg.max_iters == 6
    assert cfg.test_evaluator.ann_file == data['root'] + 'annotations/val.json'
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    assert model.backbone.conv1.in_channels == 1
