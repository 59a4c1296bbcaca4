"""tools/visualization/vis_sar_jepa.py draws windows, target maps and predicted maps."""
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from ..conftest import run_tool

CONFIG = 'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py'


def test_vis_sar_jepa_writes_figure(tmp_path):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, tmp_path / 'jepa.pth')
    img = np.random.default_rng(0).gamma(1.0, 0.2, (64, 64)).astype(np.float32)
    np.save(tmp_path / 'chip.npy', img)
    out = tmp_path / 'vis.png'
    proc = run_tool([
        'tools/visualization/vis_sar_jepa.py', CONFIG,
        str(tmp_path / 'jepa.pth'), '--img',
        str(tmp_path / 'chip.npy'), '--out',
        str(out)
    ])
    # 4 windows of 4x4 patches, 13 of 16 masked each; one map per radius
    assert '4 windows of 4x4 patches, 52 masked patches, 4 target maps' in proc.stdout
    import matplotlib.image as mpimg
    picture = mpimg.imread(str(out))
    assert picture.shape[0] > 400 and picture.std() > 0.05
