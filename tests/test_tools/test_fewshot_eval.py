"""tools/fewshot_eval.py: the few-shot protocol end to end on the generated vehicles, and its
errors on bad input."""
import csv
import os.path as osp

import numpy as np
import pytest

from sar_mm.evaluation.fewshot_protocol import FewShotConfigError
from ..conftest import ROOT, load_tool, run_tool, write_config

BASE = 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py'
CLASSES = ('tank', 'truck', 'apc', 'bulldozer', 'air_defence')
BODY = """
# a narrow ResNet-18 (16 base channels) keeps the 4 runs cheap
model = dict(backbone=dict(stem_channels=16, base_channels=16), head=dict(in_channels=128))
data_root = '{data_root}'
train_cfg = dict(max_epochs=1, val_interval=100)
default_hooks = dict(logger=dict(interval=1))
classes = {classes!r}
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
val_dataloader = dict(batch_size=25, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
"""


def _tool():
    return load_tool('tools/fewshot_eval.py')


@pytest.fixture(scope='module')
def config(tmp_path_factory, synthetic_root):
    tmp = tmp_path_factory.mktemp('fewshot_cfg')
    data_root = osp.join(synthetic_root, 'vehicles') + '/'
    return write_config(tmp / 'fewshot_tiny.py', BASE,
                        BODY.format(data_root=data_root, classes=CLASSES))


def _read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_fewshot_eval_end_to_end_both_modes(config, tmp_path):
    work_dir = tmp_path / 'fewshot'
    proc = run_tool([
        'tools/fewshot_eval.py', config, '--shots', '2', '--seeds', '0', '1', '--mode', 'finetune',
        'linear-runner', '--work-dir',
        str(work_dir)
    ],
                    env=dict(OMP_NUM_THREADS='1'))
    log = proc.stdout + proc.stderr
    # one progress line per run, linear runs freeze backbone and neck
    for i in range(1, 5):
        assert f'[{i}/4]' in log
    assert 'FreezeModulesHook: froze backbone, neck' in log

    runs = _read_csv(work_dir / 'fewshot_runs.csv')
    assert [(r['mode'], r['shots'], r['seed']) for r in runs] == [('finetune', '2', '0'),
                                                                  ('finetune', '2', '1'),
                                                                  ('linear-runner', '2', '0'),
                                                                  ('linear-runner', '2', '1')]
    for r in runs:
        # 12 chips per class, 2 drawn for training: the other 10 of each class are tested
        assert int(r['num_test']) == 50
        per_class = [float(r[f'acc_{c}']) for c in CLASSES]
        assert float(r['mean_per_class']) == pytest.approx(np.mean(per_class), abs=1e-4)
        # balanced test set: top-1 equals the mean per-class accuracy
        assert float(r['top1']) == pytest.approx(float(r['mean_per_class']), abs=1e-4)
        assert osp.isdir(r['work_dir'])

    summary = _read_csv(work_dir / 'fewshot_results.csv')
    assert [(s['mode'], s['shots'], s['num_seeds'])
            for s in summary] == [('finetune', '2', '2'), ('linear-runner', '2', '2')]
    md = (work_dir / 'fewshot_results.md').read_text()
    for s in summary:
        top1 = [float(r['top1']) for r in runs if r['mode'] == s['mode']]
        mpc = [float(r['mean_per_class']) for r in runs if r['mode'] == s['mode']]
        assert float(s['top1_mean']) == pytest.approx(np.mean(top1), abs=1e-4)
        assert float(s['top1_std']) == pytest.approx(np.std(top1, ddof=1), abs=1e-4)
        assert float(s['mean_per_class_mean']) == pytest.approx(np.mean(mpc), abs=1e-4)
        assert float(s['mean_per_class_std']) == pytest.approx(np.std(mpc, ddof=1), abs=1e-4)
        row = (f"| {s['mode']} | 2 | 2 | {np.mean(top1):.2f} ± {np.std(top1, ddof=1):.2f} | "
               f"{np.mean(mpc):.2f} ± {np.std(mpc, ddof=1):.2f} |")
        assert row in md, (row, md)
    png = work_dir / 'fewshot_confusion_best.png'
    assert png.is_file() and png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    best = max(runs, key=lambda r: float(r['top1']))
    assert f"Best run: {best['mode']}, 2 shots" in md


def test_bad_input_is_a_clear_error(config, tmp_path, capsys):
    tool = _tool()
    with pytest.raises(
            FewShotConfigError,
            match=r"--shots 13: class 'tank' has only 12 "
            r'samples.*at most 12 shots'):
        tool.main([config, '--shots', '2', '13', '--work-dir', str(tmp_path / 'a')])
    with pytest.raises(SystemExit):
        tool.main([config, '--mode', 'probe', '--work-dir', str(tmp_path / 'b')])
    assert "invalid choice: 'probe'" in capsys.readouterr().err
    simclr = osp.join(ROOT, 'configs/simclr/simclr_resnet18-1ch_1xb32-8e_synthetic-sar.py')
    with pytest.raises(FewShotConfigError, match='SARUnlabeledDataset.*no num_shots'):
        tool.main([simclr, '--shots', '2', '--work-dir', str(tmp_path / 'c')])
    # a test set reading the training list without fewshot_split='rest' would contain the shots
    with pytest.raises(FewShotConfigError, match='test set would contain the training shots'):
        tool.main([
            config, '--shots', '2', '--work-dir',
            str(tmp_path / 'd'), '--cfg-options', 'test_dataloader.dataset.fewshot_split=train'
        ])


def test_run_configs_of_the_protocol(config):
    from mmengine.config import Config

    from sar_mm.evaluation.fewshot_protocol import make_run_config
    cfg = Config.fromfile(config)
    run = make_run_config(
        cfg, 'linear-runner', 3, 7, '/tmp/unused', test_split='rest', num_classes=5)
    train, test = run.train_dataloader.dataset, run.test_dataloader.dataset
    assert (train.num_shots, train.seed, train.fewshot_split) == (3, 7, 'train')
    # 'rest': the training list minus the draw, with the test pipeline
    assert (test.num_shots, test.seed, test.fewshot_split) == (3, 7, 'rest')
    assert test.ann_file == train.ann_file and test.pipeline == cfg.test_dataloader.dataset.pipeline
    assert run.val_dataloader is None and run.randomness.seed == 7
    assert run.custom_hooks[-1] == dict(
        type='FreezeModulesHook', modules=('backbone', 'neck'), eval_mode=True)
    assert run.optim_wrapper.optimizer.lr == pytest.approx(10 * cfg.optim_wrapper.optimizer.lr)
    assert run.find_unused_parameters is True
    assert not run.train_dataloader.get('drop_last')  # 15 samples, batch 4: last batch of 3
    # 5 classes x 5 shots = 25 = 6 x 4 + 1: a last batch of one sample is dropped (BatchNorm)
    run = make_run_config(cfg, 'finetune', 5, 0, '/tmp/unused', linear_lr=0.5, num_classes=5)
    assert run.train_dataloader.drop_last is True
    assert run.optim_wrapper.optimizer.lr == cfg.optim_wrapper.optimizer.lr
    assert run.test_dataloader.dataset.seed == 0 and not run.get('custom_hooks')


def test_fewshot_eval_two_processes(config, tmp_path):
    """The in-process runs also work under torchrun (the process group outlives each Runner)."""
    import socket
    import sys
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    work_dir = tmp_path / 'dist'
    run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={port}',
        osp.join(ROOT, 'tools', 'fewshot_eval.py'), config, '--launcher', 'pytorch', '--shots', '2',
        '--seeds', '0', '1', '--mode', 'linear-runner', '--work-dir',
        str(work_dir)
    ],
             env=dict(OMP_NUM_THREADS='1'))
    runs = _read_csv(work_dir / 'fewshot_runs.csv')
    assert [r['seed'] for r in runs] == ['0', '1']
    assert all(int(r['num_test']) == 50 for r in runs)  # each test chip counted once


def test_probe_norm_puts_a_feature_batchnorm_before_the_head(config, tmp_path):
    """--probe-norm: MAE's affine-free BatchNorm after the model's own neck; only the backbone
    and that neck are frozen, the BatchNorm learns its statistics on the shots."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from sar_mm.evaluation.fewshot_protocol import make_run_config
    cfg = Config.fromfile(config)
    run = make_run_config(cfg, 'linear-runner', 2, 0, str(tmp_path / 'unused'), probe_norm=True)
    assert run.model.neck == dict(
        type='SequentialNeck',
        necks=[cfg.model.neck, dict(type='ClsBatchNormNeck', input_features=128)])
    assert run.custom_hooks[-1]['modules'] == ('backbone', 'neck.necks.0')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(run.model, data_preprocessor=run.data_preprocessor))
    feats = model.extract_feat(torch.randn(6, 1, 32, 32) * 3 + 5)
    # pooled, then normalised over the batch without affine parameters
    assert feats[0].shape == (6, 128)
    assert feats[0].mean(0).abs().max() < 1e-4
    assert not list(model.neck.necks[1].parameters())
    with pytest.raises(FewShotConfigError, match='linear-runner mode only'):
        make_run_config(cfg, 'finetune', 2, 0, str(tmp_path / 'unused'), probe_norm=True)

    work_dir = tmp_path / 'probe_norm'
    proc = run_tool([
        'tools/fewshot_eval.py', config, '--shots', '2', '--seeds', '0', '--mode', 'linear-runner',
        '--probe-norm', '--work-dir',
        str(work_dir)
    ],
                    env=dict(OMP_NUM_THREADS='1'))
    log = proc.stdout + proc.stderr
    assert 'FreezeModulesHook: froze backbone, neck.necks.0' in log
    rows = _read_csv(work_dir / 'fewshot_runs.csv')
    assert len(rows) == 1 and 0.0 <= float(rows[0]['top1']) <= 100.0


def test_fewshot_eval_feature_modes_end_to_end(config, tmp_path):
    """linear, knn and finetune in one call; features extracted once (one pass per split)."""
    work_dir = tmp_path / 'feat'
    _tool().main([
        config, '--shots', '2', '3', '--seeds', '0', '1', '--mode', 'linear', 'knn', 'finetune',
        '--knn-k', '5', '--work-dir',
        str(work_dir)
    ])
    runs = _read_csv(work_dir / 'fewshot_runs.csv')
    assert [(r['mode'], r['shots']) for r in runs][:4] == [('linear', '2'), ('linear', '2'),
                                                           ('linear', '3'), ('linear', '3')]
    assert {r['mode'] for r in runs} == {'linear', 'knn', 'finetune'}
    total = {int(r['num_test']) + int(r['shots']) * len(CLASSES) for r in runs}
    assert len(total) == 1  # every mode tests on every chip not drawn, as the Runner does
    for r in runs:
        assert 0.0 <= float(r['top1']) <= 100.0


def test_feature_bank_passes_each_sample_once_and_ignores_test_features(config):
    from mmengine.config import Config

    from sar_mm.evaluation.fewshot_protocol import FeatureBank
    cfg = Config.fromfile(config)
    bank = FeatureBank(cfg, 'rest')
    n = len(bank.train_labels)
    batch = cfg.test_dataloader.batch_size
    assert bank.num_forward_batches == -(-n // batch)  # one pass over the samples, no more
    x_train, y_train, x_test, y_test = bank.split(3, 1)
    assert len(y_train) == 3 * len(CLASSES) and len(y_train) + len(y_test) == n
    before = bank.evaluate('linear', 3, 1)
    # replace every test feature: the probe (and its chosen C) must not change
    chosen = np.isin(
        np.arange(n),
        [i for i in range(n) if any(np.array_equal(bank.train_feats[i], row) for row in x_train)])
    bank.train_feats = bank.train_feats.copy()
    bank.train_feats[~chosen] = np.random.default_rng(0).normal(
        size=bank.train_feats[~chosen].shape) * 1e3
    after = bank.evaluate('linear', 3, 1)
    assert after['C'] == before['C']
    assert bank.num_forward_batches == -(-n // batch)  # evaluation reuses the features
