"""tools/analysis_tools/browse_sar_dataset.py renders pipeline input and output to PNG."""
import os.path as osp

import pytest

from ..conftest import run_tool


@pytest.mark.parametrize('config, data, phase', [
    ('configs/simclr/simclr_resnet18-1ch_1xb32-8e_synthetic-sar.py', 'unlabeled', 'train'),
    ('configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py', 'ships', 'train'),
])
def test_browse_writes_grid(synthetic_root, tmp_path, config, data, phase):
    out = tmp_path / 'grid.png'
    proc = run_tool([
        'tools/analysis_tools/browse_sar_dataset.py', config, '--phase', phase, '--num', '2',
        '--views', '2', '--out',
        str(out), '--cfg-options',
        f'{phase}_dataloader.dataset.data_root={osp.join(synthetic_root, data)}/'
    ])
    assert '2 samples x 3 columns' in proc.stdout
    import matplotlib.image as mpimg
    img = mpimg.imread(str(out))
    assert img.shape[0] > 300 and img.shape[1] > 400 and img.std() > 0.05
