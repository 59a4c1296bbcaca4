"""docs/new_task.md: its example configs, written into a copy of configs/, build their models; the
segmentation one trains 2 iterations with tools/train.py and the SAR-JEPA one loads a checkpoint."""
import copy
import logging
import os
import os.path as osp
import re
import shutil

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from ..conftest import ROOT, run_tool, write_config

DOC = osp.join(ROOT, 'docs', 'new_task.md')
BLOCK = re.compile(r'^```python title="([^"]+)"\n(.*?)^```', re.S | re.M)
SEG = 'configs/my_task/deeplabv3_r18-d8-1ch_1xb4-2k_my-sar-oil-spills.py'
SEG_VIT = 'configs/my_task/upernet_vit-tiny-p8-1ch_mln_1xb4-2k_my-sar-oil-spills_sar-jepa.py'


def doc_blocks():
    """``(path, text)`` of every config block of the document, in order."""
    with open(DOC, encoding='utf-8') as f:
        return BLOCK.findall(f.read())


TASK_CONFIGS = [path for path, _ in doc_blocks() if '/_base_/' not in path]


@pytest.fixture(scope='module')
def doc_tree(tmp_path_factory):
    """A copy of the repo's configs/ with the document's configs written into it."""
    root = tmp_path_factory.mktemp('doc_configs')
    shutil.copytree(osp.join(ROOT, 'configs'), root / 'configs')
    for path, text in doc_blocks():
        assert path.startswith('configs/') and path.endswith('.py'), path
        target = root / path
        assert not target.exists(), f'{path} of the document would overwrite a repo config'
        os.makedirs(target.parent, exist_ok=True)
        target.write_text(text)
    return root


def _build(cfg):
    from mmengine.registry import MODELS

    import sar_mm  # noqa: F401
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        with MODELS.switch_scope_and_registry(cfg.default_scope) as registry:
            return registry.build(model_cfg)


def test_document_covers_dataset_and_every_codebase():
    paths = [path for path, _ in doc_blocks()]
    assert any(p.startswith('configs/_base_/datasets/') for p in paths)
    assert SEG in paths and SEG_VIT in paths
    assert len(TASK_CONFIGS) >= 5
    with open(DOC, encoding='utf-8') as f:
        text = f.read()
    for needle in ('extract_backbone.py', 'LoadSARImage', 'DRAA', 'input channels 1 -> 4',
                   'patch grid 8x8 -> 64x64', "prefix='backbone.'"):
        assert needle in text, needle


@pytest.mark.parametrize('path', TASK_CONFIGS)
def test_document_config_builds(doc_tree, path):
    cfg = Config.fromfile(str(doc_tree / path))
    assert cfg.custom_imports['imports'] == ['sar_mm']
    model = _build(cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert model.data_preprocessor is not None


def test_document_configs_span_the_three_codebases(doc_tree):
    scopes = {Config.fromfile(str(doc_tree / p)).default_scope for p in TASK_CONFIGS}
    assert scopes == {'mmpretrain', 'mmdet', 'mmseg'}


def test_document_segmentation_trains_two_iterations(doc_tree, synthetic_root, tmp_path):
    ships = osp.join(synthetic_root, 'ships') + '/'
    config = write_config(
        tmp_path / 'doc_seg_2it.py', str(doc_tree / SEG), f"""
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{ships}'))
val_dataloader = None
val_cfg = None
val_evaluator = None
""")
    work_dir = tmp_path / 'work'
    proc = run_tool(['tools/train.py', config, '--work-dir', str(work_dir)])
    assert osp.isfile(work_dir / 'iter_2.pth'), (proc.stdout + proc.stderr)[-3000:]
    assert 'Iter(train) [2/2]' in proc.stdout + proc.stderr


def test_document_sar_jepa_example_loads_a_checkpoint(doc_tree, tmp_path):
    """The ViT example adapts the position grid as the document says (8x8 -> 64x64)."""
    from mmengine.logging import MMLogger
    jepa_cfg = Config.fromfile(
        osp.join(ROOT, 'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py'))
    jepa = _build(jepa_cfg)
    ckpt = tmp_path / 'epoch_20.pth'
    torch.save({'state_dict': jepa.state_dict(), 'meta': {}}, ckpt)

    cfg = Config.fromfile(str(doc_tree / SEG_VIT))
    cfg.model.backbone.init_cfg.checkpoint = str(ckpt)
    model = _build(cfg)
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    # the adaptation is logged at INFO; an earlier test in the same worker may have left the
    # current logger at WARNING
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        model.init_weights()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert any('pos_embed: patch grid 8x8 -> 64x64' in m for m in messages), messages[-20:]
    torch.testing.assert_close(model.backbone.layers[3].attn.qkv.weight,
                               jepa.backbone.layers[3].attn.qkv.weight)
