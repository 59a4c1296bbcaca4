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


@pytest.mark.parametrize('scope, packer', [('mmpretrain', 'PackInputs'),
                                           ('mmdet', 'PackDetInputs'),
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
