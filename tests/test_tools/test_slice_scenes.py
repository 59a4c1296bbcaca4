"""tools/dataset_converters/slice_scenes.py on generated ship scenes."""
import json
import os.path as osp

import numpy as np
import pytest

from sar_mm.fileio import read_sar
from ..conftest import load_tool, run_tool

TOOL = 'tools/dataset_converters/slice_scenes.py'


def test_slice_scenes_cli(synthetic_root, tmp_path):
    ships = osp.join(synthetic_root, 'ships')
    src = osp.join(ships, 'annotations', 'train.json')
    out = tmp_path / 'tiles'
    proc = run_tool([
        TOOL, src,
        osp.join(ships, 'images', 'train'),
        str(out), '--tile-size', '64', '--overlap', '0.25', '--no-progress'
    ])
    with open(src) as f:
        scenes = json.load(f)
    # 128 px scenes, 64 px tiles, stride 48: x and y starts 0, 48, 64 -> 9 tiles per scene
    n = len(scenes['images'])
    assert f'{n} scenes -> {9 * n} tiles' in proc.stdout
    with open(out / 'annotations' / 'train.json') as f:
        tiles = json.load(f)
    assert tiles['scenes']['annotations'] == scenes['annotations']
    assert tiles['slicing']['tile_size'] == [64, 64] and tiles['slicing']['overlap'] == 0.25
    img = tiles['images'][4]  # the middle tile of the first scene
    assert img['tile_offset'] == [48, 48] and img['scene_id'] == scenes['images'][0]['id']
    tile, meta = read_sar(out / 'images' / img['file_name'])
    scene, _ = read_sar(osp.join(ships, 'images', 'train', img['scene_file']))
    assert meta['dtype'] == 'float32'
    np.testing.assert_array_equal(tile, scene[48:112, 48:112])

    # the tiles load as an mmdet dataset (boxes of every tile inside the tile)
    from sar_mm.datasets import SARShipDataset
    ds = SARShipDataset(
        data_root=str(out),
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=None,
        pipeline=[])
    assert len(ds) == 9 * n and ds.metainfo['ann_file'] == str(out / 'annotations' / 'train.json')
    for info in ds:
        for inst in info['instances']:
            assert 0 <= inst['bbox'][0] < inst['bbox'][2] <= 64


def test_slice_scenes_errors(synthetic_root, tmp_path, capsys):
    tool = load_tool(TOOL)
    src = osp.join(synthetic_root, 'ships', 'annotations', 'train.json')
    with pytest.raises(SystemExit):
        tool.main([src, str(tmp_path), str(tmp_path / 'o'), '--tile-size', '1', '2', '3'])
    assert 'one or two values' in capsys.readouterr().err
    with pytest.raises(SystemExit, match='slice_scenes: error: .*SAR image file not found'):
        tool.main([src, str(tmp_path), str(tmp_path / 'o')])  # images are not there
    with pytest.raises(SystemExit, match='not a COCO detection file'):
        (tmp_path / 'bad.json').write_text('{"images": []}')
        tool.main([str(tmp_path / 'bad.json'), str(tmp_path), str(tmp_path / 'o')])
