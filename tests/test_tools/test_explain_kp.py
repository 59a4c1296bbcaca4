"""tools/analysis_tools/explain_kp.py: table, figure and errors on generated chips."""
import csv
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from ..conftest import ROOT, load_tool, run_tool

TOOL = 'tools/analysis_tools/explain_kp.py'
CLS_CONFIG = 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py'
KP_CONFIG = 'configs/explain/kp_sigma-unet_resnet18-1ch_1xb16-20e_synthetic-sar-vehicles.py'


@pytest.fixture(autouse=True)
def one_thread():
    """Small CPU models run faster on one thread than on two contended ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _tool():
    return load_tool(TOOL)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Four 64-px vehicle chips (.npy amplitude) with a list file, and two ResNet-18
    classifier checkpoints of the few-shot config (two random initialisations)."""
    from mmpretrain.registry import MODELS

    import sar_mm  # noqa: F401
    from sar_mm.datasets.synthetic import _rng, vehicle_chip
    tmp = tmp_path_factory.mktemp('explain_kp')
    (tmp / 'chips').mkdir()
    rng = _rng(0, 9)
    lines = []
    for i, name in enumerate(('tank', 'truck', 'apc', 'bulldozer')):
        amplitude, _ = vehicle_chip(name, 64, rng)
        np.save(tmp / 'chips' / f'{name}.npy', amplitude)
        lines.append(f'chips/{name}.npy {i}')
    (tmp / 'list.txt').write_text('\n'.join(lines) + '\n')
    cfg = Config.fromfile(osp.join(ROOT, CLS_CONFIG))
    ckpts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = MODELS.build(cfg.model)
        ckpts.append(str(tmp / f'resnet18_seed{seed}.pth'))
        torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpts[-1])
    return tmp, ckpts


def _read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_per_image_end_to_end_with_two_checkpoints(setup):
    tmp, ckpts = setup
    out = tmp / 'out_per_image'
    proc = run_tool([
        TOOL, CLS_CONFIG, '--checkpoints', *ckpts, '--labels', 'init-a', 'init-b', '--data',
        str(tmp / 'chips'), '--max-images', '3', '--steps', '10', '--figure-images', '2',
        '--out-dir',
        str(out), '--heuristic', 'shadow_box=(8,36,16,48)', 'shadow_percentile=25'
    ],
                    env={'OMP_NUM_THREADS': '1'})
    assert '3 images from' in proc.stdout and '| init-b | 0.3 | 3 |' in proc.stdout
    rows = _read_csv(out / 'kp_metrics.csv')
    assert [(r['model'], r['b']) for r in rows] == [(m, b) for m in ('init-a', 'init-b')
                                                    for b in ('0.25', '0.3', '0.4', '0.5')]
    for r in rows:
        n = float(r['num_target']) + float(r['num_shadow']) + float(r['num_background'])
        assert 0 <= n <= 64 and float(
            r['num_foreground']) == pytest.approx(float(r['num_target']) + float(r['num_shadow']))
    assert 'λ = N_fg/(N_fg+N_bg)' in (out / 'kp_metrics.md').read_text(encoding='utf-8')
    assert len(_read_csv(out / 'kp_per_image.csv')) == 2 * 3 * 4
    maps = np.load(out / 'entropy_init-a.npz')
    assert maps['entropy'].shape == (3, 8, 8) and maps['cell_labels'].shape == (3, 8, 8)
    import matplotlib.image as mpimg
    picture = mpimg.imread(str(out / 'kp_figure.png'))
    assert picture.shape[0] > 600 and picture.std() > 0.05  # 4 rows (2 images x 2 models)


def test_amortised_from_a_list_file(setup, tmp_path):
    """One explainer checkpoint per model (here untrained), images from a list file."""
    from mmpretrain.registry import MODELS

    import sar_mm  # noqa: F401
    data, ckpts = setup
    explainer_ckpts = []
    for i, ckpt in enumerate(ckpts):
        cfg = Config.fromfile(osp.join(ROOT, KP_CONFIG))
        cfg.model.update(explained_checkpoint=ckpt)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            explainer = MODELS.build(cfg.model)
        explainer.init_weights()
        explainer_ckpts.append(str(tmp_path / f'explainer{i}.pth'))
        torch.save({'state_dict': explainer.state_dict()}, explainer_ckpts[-1])
    out = tmp_path / 'out'
    summary = _tool().main([
        CLS_CONFIG, '--checkpoints', *ckpts, '--data',
        str(data / 'list.txt'), '--method', 'amortised', '--explainer-config', KP_CONFIG,
        '--explainer-checkpoint', *explainer_ckpts, '--figure-images', '1', '--out-dir',
        str(out)
    ])
    assert set(summary) == {'resnet18_seed0', 'resnet18_seed1'}
    assert summary['resnet18_seed0']['num_images'] == 4
    assert (out / 'kp_figure.png').is_file() and (out / 'kp_metrics.md').is_file()
    # the amortised maps are deterministic
    again = _tool().main([
        CLS_CONFIG, '--checkpoints', ckpts[0], '--data',
        str(data / 'list.txt'), '--method', 'amortised', '--explainer-config', KP_CONFIG,
        '--explainer-checkpoint', explainer_ckpts[0], '--out-dir',
        str(tmp_path / 'again')
    ])
    assert np.array_equal(
        np.load(out / 'entropy_resnet18_seed0.npz')['entropy'],
        np.load(tmp_path / 'again' / 'entropy_resnet18_seed0.npz')['entropy'])
    assert again['resnet18_seed0'] == summary['resnet18_seed0']


def test_checkpoint_of_another_architecture(setup, tmp_path):
    from sar_mm.engine import CheckpointMismatchError
    data, ckpts = setup
    state = torch.load(ckpts[0], weights_only=True)['state_dict']
    state = {k: v for k, v in state.items() if not k.startswith('backbone.layer4')}
    bad = str(tmp_path / 'resnet_without_layer4.pth')
    torch.save({'state_dict': state}, bad)
    with pytest.raises(CheckpointMismatchError, match='resnet_without_layer4.pth') as err:
        _tool().main([
            CLS_CONFIG, '--checkpoints', ckpts[0], bad, '--data',
            str(data / 'chips'), '--steps', '1', '--max-images', '1', '--out-dir',
            str(tmp_path / 'o')
        ])
    assert 'missing keys' in str(err.value) and 'backbone.layer4.0.conv1.weight' in str(err.value)


def test_image_size_not_a_multiple_of_the_cell(setup, tmp_path):
    data, ckpts = setup
    with pytest.raises(
            ValueError, match=r'apc.npy.*64x64 is not a multiple of the cell size '
            r'12.*--cell'):
        _tool().main([
            CLS_CONFIG, '--checkpoints', ckpts[0], '--data',
            str(data / 'chips'), '--cell', '12', '--out-dir',
            str(tmp_path / 'o')
        ])


def test_image_without_background_cells(setup, tmp_path):
    from sar_mm.models.explainers import NoBackgroundCellsError
    data, ckpts = setup
    boxes = tmp_path / 'boxes.json'
    entry = {'target': [[0, 0, 64, 40]], 'shadow': [[0, 40, 64, 64]]}
    boxes.write_text(json.dumps({n: entry for n in ('tank', 'truck', 'apc', 'bulldozer')}))
    with pytest.raises(NoBackgroundCellsError, match='apc.npy'):
        _tool().main([
            CLS_CONFIG, '--checkpoints', ckpts[0], '--data',
            str(data / 'chips'), '--boxes',
            str(boxes), '--out-dir',
            str(tmp_path / 'o')
        ])
