"""demo/demo_cli.py: the options every inference demo shares, the config and the JSON output."""
import argparse
import json

import pytest

from ..conftest import load_tool


@pytest.fixture(scope='module')
def demo_cli():
    return load_tool('demo/demo_cli.py')


def test_common_args_and_config(demo_cli, tmp_path):
    parser = demo_cli.add_common_args(argparse.ArgumentParser(), 'detector', 'pictures here')
    config = tmp_path / 'cfg.py'
    config.write_text("model = dict(type='X', depth=18)\n")
    args = parser.parse_args(
        ['a.tif',
         str(config), 'w.pth', '--batch-size', '4', '--cfg-options', 'model.depth=50'])
    assert (args.img, args.checkpoint, args.device, args.batch_size) == ('a.tif', 'w.pth', 'cpu', 4)
    assert args.show_dir is None and args.out is None
    assert demo_cli.load_config(args).model == dict(type='X', depth=50)
    assert 'the detector config' in parser.format_help()


def test_write_results(demo_cli, tmp_path, capsys):
    results = [dict(img_path='a.tif', label=1), dict(label=2)]
    out = tmp_path / 'sub' / 'r.json'
    demo_cli.write_results(
        results, lambda r: f'class {r["label"]}', str(out), pictures='vis/', masks=None)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        'a.tif: class 1', '<array>: class 2', 'pictures written to vis/',
        f'2 results written to {out}'
    ]
    assert json.loads(out.read_text()) == results
    demo_cli.write_results(results[:1], lambda r: 'x')
    assert json.loads(capsys.readouterr().out.split('\n', 1)[1]) == results[:1]
