"""Every task config in configs/ parses and builds its model in its own codebase's scope."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_there_are_configs_for_each_codebase():
    scopes = {Config.fromfile(p).default_scope for p in CONFIGS}
    assert scopes == {'mmpretrain', 'mmdet', 'mmseg'}


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_model(path):
    from mmengine.registry import MODELS

    import sar_mm  # noqa: F401
    cfg = Config.fromfile(path)
    assert cfg.custom_imports['imports'] == ['sar_mm']
    model_cfg = cfg.model.copy()
    if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor  # as the Runner merges it
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
            model = registry.build(model_cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert model.data_preprocessor is not None
