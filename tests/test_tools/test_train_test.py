"""tools/train.py, --resume, tools/test.py and tools/dist_train.sh on one config per codebase."""
import json
import os.path as osp
import socket

import pytest
import torch

from sar_mm.engine import load_checkpoint_file
from ..conftest import ROOT, run_tool, write_config

SHORT_RUN = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={max_iters},
                 val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False, save_best=None),
                     logger=dict(interval=1))
log_processor = dict(by_epoch=False)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{data_root}'{extra}))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{data_root}'{extra}))
test_dataloader = val_dataloader
"""

CASES = {
    'mmpretrain':
    dict(
        config='configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py',
        data='vehicles',
        extra=', num_shots=2',
        metric='accuracy/top1'),
    'mmdet':
    dict(
        config='configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py',
        data='ships',
        extra='',
        metric='coco/bbox_mAP',
        # an untrained detector scores below 0.05 and CocoMetric would then report nothing
        body="val_evaluator = dict(ann_file='{data_root}annotations/val.json')\n"
        'test_evaluator = val_evaluator\n'
        'model = dict(test_cfg=dict(score_thr=0.0))\n'),
    'mmseg':
    dict(
        config='configs/deeplabv3/deeplabv3_r18-d8-1ch_1xb4-2k_synthetic-sar-ships.py',
        data='ships',
        extra='',
        metric='IoU.ship'),
}


def short_config(tmp_path, synthetic_root, codebase, max_iters):
    case = CASES[codebase]
    data_root = osp.join(synthetic_root, case['data']) + '/'
    body = SHORT_RUN.format(max_iters=max_iters, data_root=data_root, extra=case['extra'])
    body += case.get('body', '').format(data_root=data_root)
    return write_config(tmp_path / f'{codebase}_{max_iters}it.py', case['config'], body)


@pytest.fixture(scope='module')
def two_iteration_runs(tmp_path_factory, synthetic_root):
    """Train each codebase's config for 2 iterations once; the tests below share the results."""
    runs = {}
    for codebase in CASES:
        tmp = tmp_path_factory.mktemp(codebase)
        config = short_config(tmp, synthetic_root, codebase, max_iters=2)
        work_dir = str(tmp / 'work')
        proc = run_tool(['tools/train.py', config, '--work-dir', work_dir])
        runs[codebase] = dict(
            tmp=tmp, config=config, work_dir=work_dir, log=proc.stdout + proc.stderr)
    return runs


@pytest.mark.parametrize('codebase', list(CASES))
def test_train_resume_and_test(two_iteration_runs, synthetic_root, codebase):
    run = two_iteration_runs[codebase]
    ckpt2 = osp.join(run['work_dir'], 'iter_2.pth')
    assert osp.isfile(ckpt2), run['log'][-3000:]
    assert load_checkpoint_file(ckpt2)['meta']['iter'] == 2

    # --resume (no value) continues from the work dir's last checkpoint: iterations 3 and 4
    config4 = short_config(run['tmp'], synthetic_root, codebase, max_iters=4)
    proc = run_tool(['tools/train.py', config4, '--work-dir', run['work_dir'], '--resume'])
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    ckpt4 = osp.join(run['work_dir'], 'iter_4.pth')
    assert load_checkpoint_file(ckpt4)['meta']['iter'] == 4

    out = osp.join(run['work_dir'], 'preds.pkl')
    proc = run_tool(['tools/test.py', config4, ckpt4, '--work-dir', run['work_dir'], '--out', out])
    with open(osp.join(run['work_dir'], 'test_metrics.json')) as f:
        metrics = json.load(f)
    assert CASES[codebase]['metric'] in metrics, metrics
    assert osp.getsize(out) > 0


def test_resume_from_explicit_checkpoint_amp_and_lr_scaling(two_iteration_runs, synthetic_root,
                                                            tmp_path):
    """--resume CKPT, --amp (bf16 autocast on CPU) and --auto-scale-lr together."""
    run = two_iteration_runs['mmpretrain']
    config = short_config(tmp_path, synthetic_root, 'mmpretrain', max_iters=3)
    proc = run_tool([
        'tools/train.py', config, '--work-dir',
        str(tmp_path / 'w'), '--amp', '--auto-scale-lr', '--resume',
        osp.join(run['work_dir'], 'iter_2.pth'), '--cfg-options',
        'default_hooks.checkpoint.interval=1'
    ])
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in log and 'bfloat16 autocast' in log
    # batch 2 against the config's base batch size 16
    assert 'Scaling the original LR by 0.125' in log
    assert load_checkpoint_file(str(tmp_path / 'w' / 'iter_3.pth'))['meta']['iter'] == 3


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(two_iteration_runs, synthetic_root, tmp_path):
    import sys
    config = short_config(tmp_path, synthetic_root, 'mmpretrain', max_iters=2)
    work_dir = tmp_path / 'dist'
    proc = run_tool(
        ['bash',
         osp.join(ROOT, 'tools/dist_train.sh'), config, '2', '--work-dir',
         str(work_dir)],
        env=dict(PYTHON=sys.executable, PORT=str(_free_port()), OMP_NUM_THREADS='1'))
    assert 'GPU number: 2' in proc.stdout + proc.stderr
    dist_ckpt = load_checkpoint_file(str(work_dir / 'iter_2.pth'))
    single = load_checkpoint_file(
        osp.join(two_iteration_runs['mmpretrain']['work_dir'], 'iter_2.pth'))
    assert dist_ckpt['meta']['iter'] == 2
    assert dist_ckpt['state_dict'].keys() == single['state_dict'].keys()
    for key, value in single['state_dict'].items():
        assert dist_ckpt['state_dict'][key].shape == value.shape
        assert dist_ckpt['state_dict'][key].dtype == value.dtype
    assert not any(k.startswith('module.') for k in dist_ckpt['state_dict'])
    assert isinstance(dist_ckpt['optimizer'], dict) and torch.is_tensor(
        next(iter(dist_ckpt['state_dict'].values())))


def test_dist_test_two_cpu_processes(two_iteration_runs, tmp_path):
    """tools/dist_test.sh evaluates with 2 processes and reports the single-process metrics."""
    import sys
    run = two_iteration_runs['mmpretrain']
    ckpt = osp.join(run['work_dir'], 'iter_2.pth')
    single_dir, dist_dir = tmp_path / 'single', tmp_path / 'dist'
    run_tool(['tools/test.py', run['config'], ckpt, '--work-dir', str(single_dir)])
    proc = run_tool([
        'bash',
        osp.join(ROOT, 'tools/dist_test.sh'), run['config'], ckpt, '2', '--work-dir',
        str(dist_dir)
    ],
                    env=dict(PYTHON=sys.executable, PORT=str(_free_port()), OMP_NUM_THREADS='1'))
    assert 'GPU number: 2' in proc.stdout + proc.stderr
    with open(single_dir / 'test_metrics.json') as f:
        single = json.load(f)
    with open(dist_dir / 'test_metrics.json') as f:
        dist = json.load(f)
    assert dist.keys() == single.keys()
    for key, value in single.items():
        assert dist[key] == pytest.approx(value, abs=1e-6), key
