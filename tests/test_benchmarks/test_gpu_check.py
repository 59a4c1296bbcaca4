"""benchmarks/gpu: gpu_check.py --cpu-smoke writes its table with every row, check_wheels.py
names a missing requirement, and the shell scripts parse. (The check itself needs a GPU.)"""
import json
import math
import os.path as osp
import subprocess
import zipfile

import pytest

from benchmarks.gpu import check_wheels, gpu_check
from ..conftest import ROOT, run_tool


def _table_rows(table):
    """(key, cells) of the table's data rows."""
    rows = []
    for line in table.splitlines():
        if line.startswith('| ') and not line.startswith(('| key ', '| ---')):
            cells = [c.strip() for c in line.strip('|').split('|')]
            rows.append((cells[0], cells))
    return rows


def test_cpu_smoke_writes_a_table_with_every_row(tmp_path):
    out, js = tmp_path / 'out' / 'gpu_check.md', tmp_path / 'gpu_check.json'
    proc = run_tool(
        ['benchmarks/gpu/gpu_check.py', '--cpu-smoke', '--out',
         str(out), '--json',
         str(js)],
        env=dict(OMP_NUM_THREADS='2'),
        timeout=600)
    table = out.read_text()
    assert table in proc.stdout
    rows = _table_rows(table)
    assert [key for key, _ in rows] == list(gpu_check.ROWS)
    for key, cells in rows:
        assert len(cells) == 6, cells
        # every part ran: a smoke run's numbers may miss the targets (FAIL), never break
        assert cells[5] in ('info', 'pass', 'FAIL'), (key, cells)
    data = json.loads(js.read_text())
    assert set(data['rows']) == set(gpu_check.ROWS)
    values = data['rows']
    assert values['matmul-bf16-peak']['value']['tflops'] > 0
    for precision in ('fp32', 'bf16'):
        assert math.isfinite(values[f'jepa-{precision}']['value']['fraction'])
        assert 0 < values[f'jepa-target-share-{precision}']['value']['share'] < 1
        assert values[f'fcos-ratio-{precision}']['value']['ratio'] > 0
    for key in ('train-jepa-amp', 'train-fcos-amp'):
        losses = values[key]['value']['losses']
        assert len(losses) == gpu_check.SIZES['cpu']['train_iters']
        assert all(math.isfinite(x) for x in losses), losses
        # tools/train.py --amp chose bf16 CPU autocast
        assert 'CPUAutocastOptimWrapper with bfloat16' in values[key]['result']


def _fake_wheel(folder, name, version, requires):
    path = folder / f'{name}-{version}-py3-none-any.whl'
    meta = f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n'
    meta += ''.join(f'Requires-Dist: {r}\n' for r in requires)
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr(f'{name}-{version}.dist-info/METADATA', meta)


def test_check_wheels_names_what_is_missing(tmp_path, capsys):
    _fake_wheel(
        tmp_path, 'foo', '1.0',
        ['bar>=1', 'old; python_version < "3.0"', 'pytest; extra == "test"', 'opencv-python>=3'])
    (tmp_path / 'requirements-cp312.txt').write_text('foo==1.0\n')
    device = tmp_path / 'device.txt'
    # mmcv's own requirements are on the machine; opencv-python comes as the headless build
    device.write_text('# a comment\naddict\nmmengine\nnumpy\npackaging\npillow\nPyYAML\nyapf\n'
                      'opencv-python-headless\n')
    assert check_wheels.main(str(tmp_path), '3.12', str(device)) == 1
    out = capsys.readouterr().out
    assert 'bar>=1 (needed by foo==1.0)' in out
    assert 'old' not in out and 'pytest' not in out and 'opencv' not in out
    device.write_text(device.read_text() + 'bar\n')
    assert check_wheels.main(str(tmp_path), '3.12', str(device)) == 0


@pytest.mark.parametrize('script', ['prepare_wheels.sh', 'run_check.sh'])
def test_shell_scripts_parse(script):
    subprocess.run(['bash', '-n', osp.join(ROOT, 'benchmarks/gpu', script)], check=True)


def test_run_check_refuses_an_unknown_mode(tmp_path):
    proc = subprocess.run(
        ['bash', osp.join(ROOT, 'benchmarks/gpu/run_check.sh'), 'nonsense'],
        capture_output=True,
        text=True,
        env=dict(GPU_CHECK_OUT=str(tmp_path), PATH='/usr/bin:/bin'))
    assert proc.returncode != 0 and 'unknown mode nonsense' in proc.stderr
