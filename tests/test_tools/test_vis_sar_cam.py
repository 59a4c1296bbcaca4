"""tools/visualization/vis_sar_cam.py: CAM grids of several checkpoints on the same SAR images."""
import json
import os.path as osp

import pytest
from PIL import Image

from sar_mm.visualization import grid_size_px
from ..conftest import load_tool, run_tool
from ..test_apis.helpers import (CLASSES, RESNET_CLS, VIT_CLS, sar_amplitude,
                                 save_random_checkpoint, write_all_formats)

TOOL = 'tools/visualization/vis_sar_cam.py'


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('cam_images')
    a = write_all_formats(str(tmp / 'a'), sar_amplitude(64, seed=0))
    b = write_all_formats(str(tmp / 'b'), sar_amplitude(64, seed=1))
    return [a['mstar'], b['tiff']]  # an MSTAR raw chip and a float32 TIFF


def checkpoints(tmp_path, config, name):
    return [
        save_random_checkpoint(
            config,
            tmp_path / f'{name}_seed{seed}.pth',
            seed=seed,
            dataset_meta=dict(classes=CLASSES)) for seed in (0, 1)
    ]


def read_outputs(out):
    with open(osp.splitext(out)[0] + '.json') as f:
        summary = json.load(f)
    return Image.open(out).size, summary


def test_resnet_gradcam_grid(tmp_path, images):
    ckpts = checkpoints(tmp_path, RESNET_CLS, 'resnet')
    out = str(tmp_path / 'grid.png')
    proc = run_tool([
        TOOL, RESNET_CLS, *ckpts, '--img', *images, '--target-category', '0', 'van', '--method',
        'GradCAM', '--out-file', out
    ])
    size, summary = read_outputs(out)
    # 2 checkpoints x (2 images x 2 classes)
    assert size == grid_size_px(2, 4) == tuple(summary['size_px'])
    assert summary['rows'] == ['resnet_seed0', 'resnet_seed1']
    assert summary['target_layers'] == ['backbone.layer4']
    assert summary['columns'] == [
        'HB03787.015\nGrad-CAM: tank', 'HB03787.015\nGrad-CAM: van', 'chipf32.tif\nGrad-CAM: tank',
        'chipf32.tif\nGrad-CAM: van'
    ]
    cells = summary['cells']
    assert [c['category_name'] for c in cells[1]] == ['tank', 'van', 'tank', 'van']
    assert all(0 < c['prob'] < 1 for row in cells for c in row)
    assert 'Grad-CAM on backbone.layer4: 2 rows x 4 columns' in proc.stdout


@pytest.mark.parametrize('method', ['GradCAM++', 'EigenCAM'])
def test_vit_grids(tmp_path, images, method):
    ckpts = checkpoints(tmp_path, VIT_CLS, 'vit')
    out = str(tmp_path / f'{method}.png')
    tool = load_tool(TOOL)
    tool.run(
        tool.parse_args([
            VIT_CLS, *ckpts, '--img', *images, '--target-category', '1', '3', '--method', method,
            '--labels', 'A', 'B', '--out-file', out
        ]))
    size, summary = read_outputs(out)
    assert summary['rows'] == ['A', 'B']
    assert summary['target_layers'] == ['backbone.layers.5.ln1']
    if method == 'EigenCAM':  # not class-discriminative: one column per image, labelled so
        assert size == grid_size_px(2, 2)
        assert summary['class_discriminative'] is False
        assert summary['columns'] == [
            'HB03787.015\nEigen-CAM (class-agnostic)', 'chipf32.tif\nEigen-CAM (class-agnostic)'
        ]
    else:
        assert size == grid_size_px(2, 4)
        assert [c['category_name'] for c in summary['cells'][0]] == ['truck', 'bus'] * 2


def test_clear_errors(tmp_path, images):
    tool = load_tool(TOOL)
    resnet = checkpoints(tmp_path, RESNET_CLS, 'resnet')[0]
    out = str(tmp_path / 'x.png')

    def error(*argv):
        with pytest.raises(SystemExit) as exit_info:
            tool.main([*argv, '--img', images[0], '--out-file', out])
        return str(exit_info.value.code)

    message = error(VIT_CLS, resnet)
    assert resnet in message and 'missing keys' in message and 'unexpected keys' in message
    assert 'out of range: the model has 5 classes' in error(RESNET_CLS, resnet, '--target-category',
                                                            '7')
    assert "unknown CAM method 'SuperCAM'" in error(RESNET_CLS, resnet, '--method', 'SuperCAM')
    assert not osp.exists(out)
