"""sar_mm modules are reachable from every scope they are meant for, and the README says so."""
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from sar_mm.registry import CODEBASE_SCOPES
from sar_mm.utils import module_table, registered_modules

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_something_is_registered_in_each_kind():
    kinds = {(r['scope'], r['registry']) for r in registered_modules()}
    assert ('mmengine', 'transform') in kinds
    assert ('mmengine', 'optim_wrapper') in kinds
    for scope in CODEBASE_SCOPES:
        assert (scope, 'dataset') in kinds


@pytest.mark.parametrize('scope', CODEBASE_SCOPES)
def test_root_modules_reachable_and_not_shadowed(scope):
    """Every module sar_mm put in a root registry resolves to itself from each codebase.

    ``switch_scope_and_registry`` is what ``Registry.build`` does: it picks the codebase's child
    registry when there is one (else the root), and the lookup then walks up to the root.
    """
    rows = [r for r in registered_modules() if r['scope'] == 'mmengine']
    assert rows
    for row in rows:
        with DefaultScope.overwrite_default_scope(scope):
            with row['registry_obj'].switch_scope_and_registry(scope) as registry:
                assert registry.scope in (scope, 'mmengine')
                assert registry.get(row['name']) is row['cls'], (scope, row['name'])


def test_codebase_modules_live_in_their_scope():
    for row in registered_modules():
        assert row['scope'] in ('mmengine', ) + CODEBASE_SCOPES
        if row['scope'] != 'mmengine':
            assert row['module'].startswith('sar_mm.'), row


@pytest.mark.parametrize('scope, packer', [('mmpretrain', 'PackInputs'), ('mmdet', 'PackDetInputs'),
                                           ('mmseg', 'PackSegInputs')])
def test_sar_transform_in_each_codebase_pipeline(tmp_path, scope, packer):
    """A pipeline of each codebase builds sar_mm's LoadSARImage by plain name and runs it."""
    from mmcv.transforms import Compose
    np.save(tmp_path / 'x.npy', np.full((16, 12), 2.0, np.float32))
    with DefaultScope.overwrite_default_scope(scope):
        pipeline = Compose([dict(type='LoadSARImage', to='db'), dict(type=packer)])
        out = pipeline(dict(img_path=str(tmp_path / 'x.npy')))
    assert tuple(out['inputs'].shape) == (1, 16, 12)
    assert float(out['inputs'].max()) == pytest.approx(10 * np.log10(4.0), rel=1e-5)


def test_readme_module_table_matches_registries():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    match = re.search(r'<!-- module-table:start -->(.*?)<!-- module-table:end -->', readme, re.S)
    assert match, 'README.md lacks the module-table markers'
    assert match.group(1).strip() == module_table().strip(), (
        'README module table is stale: run `python tools/misc/update_module_table.py`')


def test_every_registered_class_documents_args():
    for row in registered_modules():
        doc = row['cls'].__doc__ or ''
        assert doc.strip(), f"{row['name']} has no docstring"
        assert 'Args:' in doc, f"{row['name']} docstring lacks an Args section"


@pytest.fixture
def temporary_backbone():
    """A backbone registered the way sar_mm registers shared models (root MODELS), then removed."""
    import torch
    from mmengine.model import BaseModule

    from sar_mm.registry import MODELS

    class _ProbeBackbone(BaseModule):
        """Three feature maps of strides 8, 16, 32 from a 1-channel image (test only)."""

        def __init__(self, channels=(8, 16, 32), init_cfg=None):
            super().__init__(init_cfg)
            layers, in_ch = [], 1
            for i, ch in enumerate(channels):
                stride = 8 if i == 0 else 2
                layers.append(torch.nn.Conv2d(in_ch, ch, stride, stride))
                in_ch = ch
            self.layers = torch.nn.ModuleList(layers)

        def forward(self, x):
            outs = []
            for layer in self.layers:
                x = layer(x)
                outs.append(x)
            return tuple(outs)

    MODELS.register_module(name='_ProbeBackbone', module=_ProbeBackbone)
    yield _ProbeBackbone
    MODELS.module_dict.pop('_ProbeBackbone')


def test_shared_backbone_builds_inside_mmdet_and_mmseg_models(temporary_backbone):
    import torch
    from mmdet.registry import MODELS as DET_MODELS
    from mmseg.registry import MODELS as SEG_MODELS
    with DefaultScope.overwrite_default_scope('mmdet'):
        fcos = DET_MODELS.build(
            dict(
                type='FCOS',
                backbone=dict(type='_ProbeBackbone'),
                data_preprocessor=dict(type='DetDataPreprocessor', mean=[0.], std=[1.]),
                neck=dict(type='FPN', in_channels=[8, 16, 32], out_channels=16, num_outs=3),
                bbox_head=dict(
                    type='FCOSHead',
                    num_classes=1,
                    in_channels=16,
                    feat_channels=16,
                    stacked_convs=1,
                    strides=[8, 16, 32],
                    norm_cfg=dict(type='GN', num_groups=4))))
    assert isinstance(fcos.backbone, temporary_backbone)
    feats = fcos.extract_feat(torch.zeros(1, 1, 64, 64))
    assert [f.shape[-1] for f in feats] == [8, 4, 2]
    with DefaultScope.overwrite_default_scope('mmseg'):
        seg = SEG_MODELS.build(
            dict(
                type='EncoderDecoder',
                backbone=dict(type='_ProbeBackbone'),
                data_preprocessor=dict(
                    type='SegDataPreProcessor', mean=[0.], std=[1.], size_divisor=32),
                decode_head=dict(
                    type='FCNHead',
                    in_channels=32,
                    in_index=2,
                    channels=8,
                    num_convs=1,
                    num_classes=2)))
    assert isinstance(seg.backbone, temporary_backbone)
    assert seg.encode_decode(torch.zeros(1, 1, 64, 64),
                             [dict(img_shape=(64, 64))]).shape == (1, 2, 64, 64)
