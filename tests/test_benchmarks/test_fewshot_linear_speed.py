"""benchmarks/fewshot_linear_speed.py: both protocols on the same draws of a tiny config, the
figure and ratio it prints (no timing is asserted)."""
import os.path as osp
import re

import pytest

from benchmarks import fewshot_linear_speed as bench
from ..conftest import write_config

BODY = """
model = dict(backbone=dict(stem_channels=16, base_channels=16), head=dict(in_channels=128))
data_root = '{data_root}'
train_cfg = dict(max_epochs=3, val_interval=100)
classes = ('tank', 'truck', 'apc', 'bulldozer', 'air_defence')
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
val_dataloader = dict(batch_size=25, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
"""


def test_arguments(capsys):
    args = bench.parse_args([])
    assert (args.shots, args.seeds, args.runner_epochs) == (10, [0, 1, 2], None)
    with pytest.raises(SystemExit):
        bench.parse_args(['--runner-epochs', '0'])
    assert 'error' in capsys.readouterr().err


def test_both_protocols_on_the_same_draws(synthetic_root, tmp_path, capsys):
    data_root = osp.join(synthetic_root, 'vehicles') + '/'
    config = write_config(tmp_path / 'tiny.py', bench.SYNTHETIC_CONFIG,
                          BODY.format(data_root=data_root))
    out = bench.main([
        '--config', config, '--data-root',
        str(tmp_path / 'no_mstar'), '--synthetic', '--shots', '2', '--seeds', '0', '1',
        '--runner-epochs', '1', '--work-dir',
        str(tmp_path / 'wd')
    ])
    printed = capsys.readouterr().out
    assert out['ratio'] == pytest.approx(out['reference_s'] / out['linear_s'])
    ratio = float(
        re.search(r'speed-up \(wall time linear-runner / linear\): ([0-9.]+)x', printed).group(1))
    assert ratio == pytest.approx(out['ratio'], abs=0.06)
    assert re.search(r'extraction [0-9.]+ s once', printed)
    # both modes evaluated the same two draws on the same 50 held-out chips
    for mode in ('linear-runner', 'linear'):
        runs = (tmp_path / 'wd' / mode / 'fewshot_runs.csv').read_text().splitlines()[1:]
        assert [r.split(',')[:3] for r in runs] == [[mode, '2', '0'], [mode, '2', '1']]
        assert all(r.split(',')[5] == '50' for r in runs)
