"""configs/fcos/README.md: every Python block is a config that builds (fragments on top of the
SSDD ResNet-18 config), and the DRAA pipeline of the README runs on a generated scene."""
import copy
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from ..conftest import ROOT

README = osp.join(ROOT, 'configs', 'fcos', 'README.md')
BASE = osp.join(ROOT, 'configs', 'fcos', 'fcos_r18-1ch_fpn_gn-head_1xb4-12e_ssdd.py')


def python_blocks():
    with open(README, encoding='utf-8') as f:
        return re.findall(r'^```python\n(.*?)^```', f.read(), re.S | re.M)


def _config(tmp_path, i, text):
    if text.startswith('_base_'):  # relative to configs/fcos/
        text = text.replace("'./", repr(osp.join(ROOT, 'configs', 'fcos', ''))[:-1])
    else:  # a fragment: on top of the SSDD ResNet-18 config
        text = f'_base_ = [{BASE!r}]\n' + text
    path = tmp_path / f'block_{i}.py'
    path.write_text(text)
    return Config.fromfile(str(path))


def test_readme_has_the_blocks():
    blocks = python_blocks()
    assert any('DRAAToneMapping' in b for b in blocks)
    assert any('depth=101' in b for b in blocks)
    assert sum('Pretrained' in b for b in blocks) >= 1


@pytest.mark.parametrize('i', range(len(python_blocks())))
def test_readme_block_builds(tmp_path, i):
    from mmdet.registry import MODELS
    cfg = _config(tmp_path, i, python_blocks()[i])
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    assert model.backbone is not None


def test_readme_draa_pipeline_runs(tmp_path, synthetic_root):
    from mmcv.transforms import Compose
    i = next(k for k, b in enumerate(python_blocks()) if 'DRAAToneMapping' in b)
    cfg = _config(tmp_path, i, python_blocks()[i])
    assert cfg.data_preprocessor.mean == [0.090]
    img = osp.join(synthetic_root, 'ships', 'images', 'train', 'train_0000.tif')
    info = dict(
        img_path=img,
        img_id=1,
        instances=[dict(bbox=[10., 12., 30., 20.], bbox_label=0, ignore_flag=0)])
    for pipeline, name in ((cfg.train_dataloader.dataset.pipeline, 'train'),
                           (cfg.test_dataloader.dataset.pipeline, 'test')):
        assert [t['type'] for t in pipeline][:2] == ['LoadSARImage', 'DRAAToneMapping'], name
        with DefaultScope.overwrite_default_scope('mmdet'):
            out = Compose(copy.deepcopy(pipeline))(copy.deepcopy(info))
        inputs = out['inputs'].numpy()
        assert inputs.shape == (1, 800, 800), name  # 128 px scene resized to SSDD's scale
        assert 0 <= inputs.min() and inputs.max() <= 1 and np.ptp(inputs) > 0.1, name
