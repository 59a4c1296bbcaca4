"""hrsid_mini -> COCO conversion (sar_mm.datasets.converters.hrsid): boxes, split, errors, the
CLI tools/dataset_converters/hrsid_to_coco.py and its use by benchmarks/transfer_ssdd.py."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from sar_mm.datasets.converters import convert_hrsid_mini
from ..conftest import ROOT, run_tool

TOOL = 'tools/dataset_converters/hrsid_to_coco.py'


@pytest.fixture
def hrsid_mini(tmp_path):
    """Five 800 x 800 scenes; each has a 40 x 20 ship and a 1-pixel mask speck."""
    src = tmp_path / 'hrsid_mini'
    (src / 'images').mkdir(parents=True)
    boxes = {}
    for i in range(5):
        name = f'P{i:04d}_0_800_0_800.jpg'
        cv2.imwrite(str(src / 'images' / name), np.full((800, 800, 3), 40 + i, np.uint8))
        # inclusive pixel ranges; the second is a 1-pixel mask speck
        boxes[name] = [[100, 200, 139, 219], [651, 460, 651, 460]]
    (src / 'boxes_from_masks.json').write_text(json.dumps(boxes))
    return src


def test_convert_hrsid_mini(hrsid_mini, tmp_path):
    src = hrsid_mini
    out = tmp_path / 'coco'
    summary = convert_hrsid_mini(str(src), str(out), 512, num_train=3, seed=0)
    assert summary == dict(train=dict(images=3, ships=3), val=dict(images=2, ships=2))
    train = json.loads((out / 'annotations' / 'train.json').read_text())
    val = json.loads((out / 'annotations' / 'val.json').read_text())
    assert not {i['file_name'] for i in train['images']} & {i['file_name'] for i in val['images']}
    # corners [100, 200, 140, 220] at 800 px -> x 0.64 at 512 px
    np.testing.assert_allclose(train['annotations'][0]['bbox'], [64, 128, 25.6, 12.8])
    img = cv2.imread(
        str(out / 'images' / 'train' / train['images'][0]['file_name']), cv2.IMREAD_UNCHANGED)
    assert img.shape == (512, 512) and img.dtype == np.uint8
    with pytest.raises(FileNotFoundError, match='boxes_from_masks.json'):
        convert_hrsid_mini(str(tmp_path), str(out), 512)


def test_min_box_and_seed(hrsid_mini, tmp_path):
    kept = convert_hrsid_mini(str(hrsid_mini), str(tmp_path / 'a'), 256, num_train=3, min_box=1)
    assert kept['train']['ships'] == 6  # the specks too
    convert_hrsid_mini(str(hrsid_mini), str(tmp_path / 'b'), 256, num_train=3, seed=7)
    train = json.loads((tmp_path / 'b' / 'annotations' / 'train.json').read_text())
    names = sorted(p.name for p in (hrsid_mini / 'images').iterdir())
    expected = [
        names[i].replace('.jpg', '.png') for i in np.random.default_rng(7).permutation(5)[:3]
    ]
    assert [i['file_name'] for i in train['images']] == expected


def test_cli(hrsid_mini, tmp_path):
    out = tmp_path / 'out'
    proc = run_tool(
        [TOOL,
         str(hrsid_mini), '--out-dir',
         str(out), '--img-size', '256', '--num-train', '4'])
    assert 'train: 4 images, 4 ships' in proc.stdout and 'val: 1 images, 1 ships' in proc.stdout
    val = json.loads((out / 'annotations' / 'val.json').read_text())
    assert val['categories'] == [dict(id=1, name='ship')]
    np.testing.assert_allclose(val['annotations'][0]['bbox'], [32, 64, 12.8, 6.4])
    img = cv2.imread(
        str(out / 'images' / 'val' / val['images'][0]['file_name']), cv2.IMREAD_UNCHANGED)
    assert img.shape == (256, 256)


def test_cli_errors(tmp_path):
    proc = subprocess.run([sys.executable, TOOL,
                           str(tmp_path), '--out-dir',
                           str(tmp_path / 'o')],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert str(tmp_path / 'boxes_from_masks.json') in proc.stderr
    proc = subprocess.run(
        [sys.executable, TOOL,
         str(tmp_path), '--out-dir', 'o', '--img-size', '0'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 2 and '--img-size must be at least 1' in proc.stderr


def test_benchmark_converts_real_data(hrsid_mini, tmp_path):
    from benchmarks import transfer_ssdd as bench
    args = bench.parse_args(['--quick', '--data-root', str(hrsid_mini)])
    data = bench.prepare_data(args, str(tmp_path))
    assert data['real'] and data['db_floor'] == 1.0
    # --quick: 256 px; the default split keeps 28 for training, so all five go to train
    assert data['splits'] == dict(train=dict(images=5, ships=5), val=dict(images=0, ships=0))
    img = cv2.imread(
        str(tmp_path / 'ships' / 'images' / 'train' / 'P0000_0_800_0_800.png'),
        cv2.IMREAD_UNCHANGED)
    assert img.shape == (256, 256)
