"""SAR-JEPA trains through tools/train.py and tools/dist_train.sh (2 CPU processes)."""
import os.path as osp
import socket
import sys

from sar_mm.engine import load_checkpoint_file
from ..conftest import ROOT, run_tool, write_config

CONFIG = 'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py'
SHORT = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False), logger=dict(interval=1))
log_processor = dict(by_epoch=False)
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{data_root}'))
"""


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_sar_jepa_single_and_two_process_training(synthetic_root, tmp_path):
    config = write_config(tmp_path / 'jepa.py', CONFIG,
                          SHORT.format(data_root=osp.join(synthetic_root, 'unlabeled') + '/'))
    run_tool(['tools/train.py', config, '--work-dir', str(tmp_path / 'one')])
    single = load_checkpoint_file(str(tmp_path / 'one' / 'iter_2.pth'))
    proc = run_tool([
        'bash',
        osp.join(ROOT, 'tools/dist_train.sh'), config, '2', '--work-dir',
        str(tmp_path / 'two')
    ],
                    env=dict(PYTHON=sys.executable, PORT=str(_free_port()), OMP_NUM_THREADS='1'))
    assert 'GPU number: 2' in proc.stdout + proc.stderr
    dist = load_checkpoint_file(str(tmp_path / 'two' / 'iter_2.pth'))
    assert dist['meta']['iter'] == 2
    assert dist['state_dict'].keys() == single['state_dict'].keys()
    assert any(k.startswith('backbone.') for k in dist['state_dict'])
    assert any('mask_token' in k for k in dist['state_dict'])
