"""KNNAccuracyHook: weighted kNN, feature pooling, shard merging, and runs inside a Runner."""
import json
import math
import os.path as osp
import re
import socket
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.runner import Runner

import sar_mm  # noqa: F401
from sar_mm.engine.hooks import KNNAccuracyHook, merge_shards
from sar_mm.evaluation.knn import features_to_vectors, weighted_knn_predict
from ..conftest import ROOT, run_tool, write_config


# ------------------------------------------------------------------ the kNN itself
def test_knn_is_perfect_on_separable_features():
    g = torch.Generator().manual_seed(0)
    centres = F.normalize(torch.randn(4, 16, generator=g), dim=1)
    labels = torch.arange(4).repeat_interleave(6)
    feats = centres[labels] + 0.05 * torch.randn(24, 16, generator=g)
    queries = centres[labels] + 0.05 * torch.randn(24, 16, generator=g)
    preds = weighted_knn_predict(feats, labels, queries * 7.0, 4, k=(1, 5, 200))
    for k, pred in preds.items():
        assert torch.equal(pred, labels), k


def _at_angle(cos):
    return [cos, math.sqrt(1 - cos**2)]


def test_knn_weights_votes_by_exp_similarity_over_temperature():
    """One close neighbour of class 0 against two farther ones of class 1."""
    bank = torch.tensor([_at_angle(0.9), _at_angle(0.5), _at_angle(0.45), _at_angle(-1.0)])
    labels = torch.tensor([0, 1, 1, 0])
    query = torch.tensor([[1.0, 0.0]])
    # T = 0.07: exp(0.9/T) outweighs exp(0.5/T) + exp(0.45/T)
    assert weighted_knn_predict(bank, labels, query, 2, k=3, temperature=0.07)[3].item() == 0
    # a large T makes the weights nearly equal: the majority of the 3 neighbours wins
    assert weighted_knn_predict(bank, labels, query, 2, k=3, temperature=100.0)[3].item() == 1
    # by hand: class-1 weight sum vs class-0 weight at T = 0.5
    w0, w1 = math.exp(0.9 / 0.5), math.exp(0.5 / 0.5) + math.exp(0.45 / 0.5)
    assert (w1 > w0) == (
        weighted_knn_predict(bank, labels, query, 2, k=3, temperature=0.5)[3].item() == 1)
    # k larger than the bank is capped
    assert weighted_knn_predict(bank, labels, query, 2, k=50)[50].shape == (1, )


def test_features_to_vectors():
    assert features_to_vectors(torch.ones(2, 8, 3, 3)).shape == (2, 8)  # pooled map
    tokens = torch.arange(24.).reshape(1, 3, 8)
    assert torch.equal(features_to_vectors(tokens), tokens.mean(1))  # mean token
    cls = torch.randn(2, 8)
    assert torch.equal(features_to_vectors((torch.zeros(2, 4, 2, 2), cls)), cls)  # last output
    assert torch.equal(features_to_vectors(([torch.zeros(2, 4), cls], ), out_index=-1), cls)


@pytest.mark.parametrize('world_size, size, round_up', [(2, 7, True), (3, 7, True), (3, 7, False),
                                                        (4, 2, False)])
def test_merge_shards_matches_mmengine_default_sampler(monkeypatch, world_size, size, round_up):
    """Shards as mmengine's DefaultSampler(shuffle=False) deals them go back in dataset order."""
    import mmengine.dataset.sampler as sampler_module
    shards = []
    for rank in range(world_size):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda r=rank: (r, world_size))
        indices = list(
            sampler_module.DefaultSampler(list(range(size)), shuffle=False, round_up=round_up))
        idx = torch.tensor(indices, dtype=torch.long)
        shards.append((idx[:, None].float().repeat(1, 3), idx % 3))  # feature = index
    feats, labels = merge_shards(shards, size)
    assert torch.equal(feats[:, 0], torch.arange(size).float())
    assert torch.equal(labels, torch.arange(size) % 3)
    with pytest.raises(RuntimeError, match='DefaultSampler'):
        merge_shards(shards[1:], size)  # a missing rank


def test_hook_arguments_are_checked():
    loader = dict(dataset=dict(type='X'))
    with pytest.raises(ValueError, match='k must be positive'):
        KNNAccuracyHook(loader, loader, k=(0, 5))
    with pytest.raises(ValueError, match='interval'):
        KNNAccuracyHook(loader, loader, interval=0)
    with pytest.raises(ValueError, match='shuffle=False'):
        KNNAccuracyHook._loader_cfg(
            dict(loader, sampler=dict(type='DefaultSampler', shuffle=True)), 'val')


# ------------------------------------------------------------------ inside a Runner
class _QuadrantBackbone(torch.nn.Module):
    """Mean of each image quadrant as a (N, 4, 1, 1) feature map, returned as a 1-tuple."""

    def forward(self, x):
        quads = F.adaptive_avg_pool2d(x, 2)  # (N, 1, 2, 2)
        return (quads.flatten(1)[:, :, None, None], )  # (N, 4, 1, 1)


class _StubSelfSup(BaseModel):
    """A self-supervised-looking model: backbone, SelfSupDataPreprocessor and a dummy loss."""

    def __init__(self):
        from mmpretrain.models import SelfSupDataPreprocessor
        super().__init__(data_preprocessor=SelfSupDataPreprocessor(mean=[0.0], std=[1.0]))
        self.backbone = _QuadrantBackbone()
        self.weight = torch.nn.Parameter(torch.ones(1))

    def forward(self, inputs, data_samples=None, mode='loss'):
        x = inputs[0] if isinstance(inputs, list) else inputs
        return dict(loss=(self.weight * x.mean())**2)


@pytest.fixture(scope='module')
def quadrant_set(tmp_path_factory):
    """Four classes of 8x8 chips, each bright in one quadrant; 'path label' list."""
    root = tmp_path_factory.mktemp('quadrants')
    rng = np.random.default_rng(0)
    lines = []
    for c in range(4):
        for i in range(5):
            img = rng.uniform(0.5, 1.0, (8, 8)).astype(np.float32)
            r, q = divmod(c, 2)
            img[4 * r:4 * r + 4, 4 * q:4 * q + 4] += 10.0
            np.save(root / f'c{c}_{i}.npy', img)
            lines.append(f'c{c}_{i}.npy {c}')
    (root / 'list.txt').write_text('\n'.join(lines) + '\n')
    return str(root)


@pytest.mark.parametrize('views', [1, 2])
def test_hook_reports_100_percent_on_separable_images(tmp_path, quadrant_set, views):
    pipeline = [dict(type='LoadSARImage')]
    if views > 1:  # a list of views, as SimCLR's pipelines pack them: the first view is used
        pipeline.append(dict(type='MultiView', num_views=views, transforms=[[]]))
    pipeline.append(dict(type='PackInputs'))
    dataset = dict(
        type='SARClassificationDataset',
        data_root=quadrant_set,
        ann_file='list.txt',
        pipeline=pipeline)
    bank = dict(batch_size=3, dataset=dict(dataset, num_shots=2, fewshot_split='train'))
    queries = dict(batch_size=4, dataset=dict(dataset, num_shots=2, fewshot_split='rest'))
    runner = Runner(
        model=_StubSelfSup(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate'),
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dataset),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[
            KNNAccuracyHook(bank, queries, k=(1, 3), temperature=0.1, evaluate_before_train=True)
        ],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=-1, save_last=False)),
        default_scope='mmpretrain',
        experiment_name=f'knn_quadrants_{views}')
    runner.train()
    hub = runner.message_hub
    for key in ('knn/top1', 'knn/top1_k1', 'knn/top1_k3'):
        assert hub.get_scalar(key).current() == 100.0, key
    assert len(hub.get_scalar('knn/top1').data[0]) == 3  # before training + 2 epochs
    assert runner.model.training  # train mode restored


# ------------------------------------------------------------------ SimCLR, 1 and 2 processes
SIMCLR = 'configs/simclr/simclr_resnet18-1ch_1xb32-8e_synthetic-sar.py'
SIMCLR_BODY = """
# a narrow ResNet-18 keeps the test cheap; the neck keeps mmpretrain's default SyncBN, which
# the 2-process CPU run turns into per-process BN (CPUDistributedDataParallel)
model = dict(backbone=dict(stem_channels=16, base_channels=16),
             neck=dict(in_channels=128, hid_channels=128))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2)
default_hooks = dict(checkpoint=dict(interval=1000, by_epoch=False), logger=dict(interval=1))
log_processor = dict(by_epoch=False)
# pretrain on the vehicle chips themselves, normalised with their dB statistics
data_preprocessor = dict(mean=[48.5], std=[4.5])
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}/vehicles/images/'))
knn_set = dict(type='SARClassificationDataset', data_root='{root}/vehicles/',
               ann_file='meta/all.txt', num_shots=4,
               pipeline=[dict(type='LoadSARImage', to='db'), dict(type='PackInputs')])
custom_hooks = [dict(type='KNNAccuracyHook', by_epoch=False, interval=1, k=(3, 5),
                     evaluate_before_train=True,
                     train_dataloader=dict(batch_size=8, dataset=knn_set),
                     val_dataloader=dict(batch_size=8,
                                         dataset=dict(knn_set, fewshot_split='rest')))]
"""
KNN_LINE = re.compile(r'kNN accuracy after (\d+) iterations.*?(\d+) queries, (\d+) bank '
                      r'samples.*?knn/top1: ([\d.]+)')


def _knn_lines(log):
    return [(int(m.group(1)), int(m.group(2)), int(m.group(3)), float(m.group(4)))
            for m in KNN_LINE.finditer(log)]


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_simclr_pretraining_logs_knn_accuracy_in_one_and_two_processes(tmp_path, synthetic_root):
    config = write_config(tmp_path / 'simclr_knn.py', SIMCLR,
                          SIMCLR_BODY.format(root=synthetic_root))
    proc = run_tool(['tools/train.py', config, '--work-dir',
                     str(tmp_path / 'single')],
                    env=dict(OMP_NUM_THREADS='1'))
    single = _knn_lines(proc.stdout + proc.stderr)
    # before training, then after iterations 1 and 2; 5 classes x 4 shots in the bank
    assert [line[0] for line in single] == [0, 1, 2]
    assert all(line[1:3] == (40, 20) for line in single), single
    scalars = [json.loads(line) for line in open(next(iter(_vis_files(tmp_path / 'single'))))]
    knn = [s for s in scalars if 'knn/top1' in s]
    assert [s['step'] for s in knn] == [0, 1, 2]
    assert all('knn/top1_k5' in s and 0.0 <= s['knn/top1'] <= 100.0 for s in knn)

    # two CPU processes: each extracts its shard, the gathered sets are the same 40 + 20 samples
    # and, before any training (same initial weights), the accuracy is the single-process one
    proc = run_tool([
        'bash',
        osp.join(ROOT, 'tools/dist_train.sh'), config, '2', '--work-dir',
        str(tmp_path / 'dist')
    ],
                    env=dict(PYTHON=sys.executable, PORT=str(_free_port()), OMP_NUM_THREADS='1'))
    dist = _knn_lines(proc.stdout + proc.stderr)
    assert 'SyncBatchNorm layers run as per-process BatchNorm' in proc.stdout + proc.stderr
    assert [line[0] for line in dist] == [0, 1, 2]
    assert all(line[1:3] == (40, 20) for line in dist), dist
    assert dist[0][3] == pytest.approx(single[0][3], abs=100 / 40 + 1e-6)


def _vis_files(work_dir):
    import glob
    return glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'scalars.json'))
