"""A resumed run repeats the uninterrupted one (RNGStateHook); 2 gloo processes equal 1 process.

Resume: SimCLR (augmentations in 2 persistent data-loader workers) and SAR-JEPA (augmentations
and window masks in the main process) train 3 epochs through ``tools/train.py`` with
``randomness.deterministic=True``; a fresh process resumes from the epoch-2 checkpoint of that run
(the file a run killed after epoch 2 leaves) and must log the same loss at every later iteration
and end with the same weights. Without the hook (or without the workers' states) the same test
sees different losses.

Distributed: one gloo process group of 2 CPU processes runs the same global batch of 8 as one
process, split 2 x 4 (docs/reproducibility.md says which algorithms must agree and why).
"""
import glob
import json
import os
import os.path as osp
import random
import shutil

import numpy as np
import pytest
import torch

from sar_mm.engine import load_checkpoint_file
from ..conftest import ROOT, run_tool, write_config

SIMCLR = 'configs/simclr/simclr_resnet18-1ch_1xb32-8e_synthetic-sar.py'
SAR_JEPA = 'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py'

# 16 chips, batch 4: 4 iterations per epoch; every iteration logged unsmoothed; a checkpoint
# per epoch; a cosine schedule so the learning rate differs in every iteration
RUN = """
randomness = dict(seed=3, deterministic=True)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=3, by_epoch=True, begin=0, end=3,
                        convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=-1),
                     logger=dict(type='LoggerHook', interval=1))
log_processor = dict(window_size=1)
train_dataloader = dict(batch_size=4, num_workers={workers}, persistent_workers={persistent},
                        dataset=dict(data_root='{data_root}', indices=16))
{extra}
"""
ITERS_PER_EPOCH, EPOCHS = 4, 3

ALGORITHMS = {
    'simclr': dict(config=SIMCLR, workers=2, persistent=True),
    'sar_jepa': dict(config=SAR_JEPA, workers=0, persistent=False),
}


def _config(tmp_path, synthetic_root, algorithm, extra=''):
    case = ALGORITHMS[algorithm]
    body = RUN.format(
        workers=case['workers'],
        persistent=case['persistent'],
        extra=extra,
        data_root=osp.join(synthetic_root, 'unlabeled') + '/')
    return write_config(tmp_path / f'{algorithm}.py', case['config'], body)


def _train(args):
    return run_tool(['tools/train.py'] + list(args), env=dict(OMP_NUM_THREADS='1'))


def _losses(work_dir):
    """Per-iteration losses from the run's vis_data/scalars.json: {iteration: loss}."""
    found = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    if len(found) != 1:
        raise AssertionError(f'expected one scalars.json under {work_dir}, found {found}')
    with open(found[0]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {row['step']: row['loss'] for row in rows if 'loss' in row}


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory, synthetic_root):
    """Each algorithm trained 3 epochs without interruption (checkpoints epoch_1..3)."""
    runs = {}
    for algorithm in ALGORITHMS:
        tmp = tmp_path_factory.mktemp(algorithm)
        config = _config(tmp, synthetic_root, algorithm)
        work_dir = str(tmp / 'full')
        _train([config, '--work-dir', work_dir])
        runs[algorithm] = dict(tmp=tmp, config=config, work_dir=work_dir)
    return runs


def _resume_from_epoch_2(run, tmp_path, config=None):
    """A new process resumes from the epoch-2 checkpoint (what a run killed after epoch 2 has)."""
    work_dir = tmp_path / 'resumed'
    work_dir.mkdir()
    ckpt = str(work_dir / 'epoch_2.pth')
    shutil.copy(osp.join(run['work_dir'], 'epoch_2.pth'), ckpt)
    proc = _train([config or run['config'], '--work-dir', str(work_dir), '--resume', ckpt])
    assert 'resumed epoch: 2, iter: 8' in proc.stdout + proc.stderr
    return str(work_dir)


def _max_loss_difference(full, resumed):
    later = sorted(step for step in full if step > 2 * ITERS_PER_EPOCH)
    assert later == list(range(2 * ITERS_PER_EPOCH + 1, EPOCHS * ITERS_PER_EPOCH + 1))
    assert sorted(resumed) == later, (sorted(resumed), later)
    return max(abs(full[step] - resumed[step]) for step in later)


@pytest.mark.parametrize('algorithm', list(ALGORITHMS))
def test_resume_after_epoch_2_repeats_the_uninterrupted_run(uninterrupted, tmp_path, algorithm):
    run = uninterrupted[algorithm]
    resumed_dir = _resume_from_epoch_2(run, tmp_path)
    full, resumed = _losses(run['work_dir']), _losses(resumed_dir)
    assert _max_loss_difference(full, resumed) <= 1e-6, (full, resumed)
    final_full = load_checkpoint_file(osp.join(run['work_dir'], 'epoch_3.pth'))['state_dict']
    final_resumed = load_checkpoint_file(osp.join(resumed_dir, 'epoch_3.pth'))['state_dict']
    assert final_full.keys() == final_resumed.keys()
    for key, value in final_full.items():
        assert torch.allclose(value.double(), final_resumed[key].double(), rtol=0, atol=1e-6), key
    # what made it so: the states in the epoch-2 checkpoint (loaded with weights_only=True)
    states = load_checkpoint_file(osp.join(run['work_dir'], 'epoch_2.pth'))['rng_state']
    assert states['epoch'] == 2 and states['iter'] == 2 * ITERS_PER_EPOCH
    workers = states['ranks'][0]['workers']
    if ALGORITHMS[algorithm]['persistent']:
        assert len(workers) == 2 and all(w is not None for w in workers)
    else:
        assert workers is None


@pytest.mark.parametrize('algorithm', list(ALGORITHMS))
def test_without_the_saved_streams_the_resumed_run_differs(uninterrupted, synthetic_root, tmp_path,
                                                           algorithm):
    """The control: mmengine alone (SAR-JEPA) or without the workers' states (SimCLR)."""
    run = uninterrupted[algorithm]
    if algorithm == 'sar_jepa':  # no RNGStateHook: deterministic=False does not add it
        extra = 'randomness = dict(seed=3, deterministic=False)'
    else:  # the hook, but the persistent workers restart from mmengine's worker seeds
        extra = "custom_hooks = [dict(type='RNGStateHook', restore_workers=False)]"
    config = _config(tmp_path, synthetic_root, algorithm, extra)
    resumed_dir = _resume_from_epoch_2(run, tmp_path, config)
    assert _max_loss_difference(_losses(run['work_dir']), _losses(resumed_dir)) > 1e-4


# ----------------------------------------------------------------------------- unit level
def test_process_state_round_trip_and_safe_loading(tmp_path):
    from sar_mm.engine.hooks import get_process_rng_state, set_process_rng_state
    np.random.normal()  # a cached gaussian in numpy's state
    state = get_process_rng_state()
    path = tmp_path / 'rng.pth'
    torch.save(dict(meta=dict(epoch=1), state_dict={}, rng_state=dict(ranks=[state])), path)
    draws = (random.random(), np.random.normal(size=3), torch.rand(3))
    loaded = load_checkpoint_file(str(path))['rng_state']['ranks'][0]  # weights_only=True
    random.seed(99), np.random.seed(99), torch.manual_seed(99)
    set_process_rng_state(loaded)
    again = (random.random(), np.random.normal(size=3), torch.rand(3))
    assert draws[0] == again[0]
    np.testing.assert_array_equal(draws[1], again[1])
    assert torch.equal(draws[2], again[2])
    with pytest.raises(ValueError, match='epoch_3.pth: malformed random-generator state'):
        set_process_rng_state(dict(python={}), 'epoch_3.pth')


def test_hook_is_added_for_deterministic_training_only():
    from mmengine.config import Config

    from sar_mm.engine.runner_setup import add_rng_state_hook
    cfg = Config(dict(train_cfg=dict(max_epochs=1), randomness=dict(seed=0, deterministic=True)))
    assert add_rng_state_hook(cfg) and cfg.custom_hooks == [dict(type='RNGStateHook')]
    assert not add_rng_state_hook(cfg) and len(cfg.custom_hooks) == 1  # not twice
    for off in (dict(randomness=dict(seed=0, deterministic=False), train_cfg=dict()),
                dict(randomness=dict(seed=0, deterministic=True))):  # no training
        cfg = Config(off)
        assert not add_rng_state_hook(cfg) and not cfg.get('custom_hooks')


# ----------------------------------------------------------------------------- 2 processes
BATCH = 8


def _build(config):
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    import sar_mm  # noqa: F401  (registers the modules)
    cfg = Config.fromfile(osp.join(ROOT, config))
    model_cfg = cfg.model.copy()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


def _wrap(model, world_size):
    if world_size == 1:
        return model
    from sar_mm.engine.distributed import CPUDistributedDataParallel
    return CPUDistributedDataParallel(module=model, device_ids=None, broadcast_buffers=False)


def _sar_jepa_steps(rank, world_size):
    """Two SGD steps of SAR-JEPA on this rank's share of one global batch with fixed masks."""
    from mmengine.optim import OptimWrapper
    model = _build(SAR_JEPA)
    gen = torch.Generator().manual_seed(1)
    amplitude = torch.rand(BATCH, 1, 64, 64, generator=gen) * 0.5
    indices, mask = model.sample_windows(amplitude, generator=gen)
    share = slice(rank * BATCH // world_size, (rank + 1) * BATCH // world_size)
    # the windows and masks the full batch would draw, sliced like the data
    model.sample_windows = lambda inputs, generator=None: (indices[share], mask[share])
    wrapped = _wrap(model, world_size)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    losses, params = [], []
    for _ in range(2):
        log_vars = wrapped.train_step(dict(inputs=amplitude[share], data_samples=None), optim)
        losses.append(float(log_vars['loss'].detach()))  # this rank's share
        params.append({k: v.detach().clone() for k, v in model.named_parameters()})
    return dict(losses=losses, params=params)


def _simclr_gradients(rank, world_size, bn_train):
    """SimCLR loss and parameter gradients of one global batch of 8 (2 views), per rank share."""
    model = _build(SIMCLR)
    gen = torch.Generator().manual_seed(2)
    views = [torch.randn(BATCH, 1, 32, 32, generator=gen) * 4.3 - 17.5 for _ in range(2)]
    share = slice(rank * BATCH // world_size, (rank + 1) * BATCH // world_size)
    wrapped = _wrap(model, world_size)
    model.train()
    if not bn_train:  # running statistics: every sample normalised alike on every rank
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()
    data = model.data_preprocessor(
        dict(inputs=[v[share] for v in views], data_samples=None), training=True)
    loss = wrapped(**data, mode='loss')['loss']
    loss.backward()
    return dict(
        loss=float(loss.detach()),
        grads={
            k: p.grad.detach().clone()
            for k, p in model.named_parameters() if p.grad is not None
        })


def _two_process_worker(rank, world_size, init_file, out_dir):
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size)
    try:
        result = dict(
            sar_jepa=_sar_jepa_steps(rank, world_size),
            simclr_bn_eval=_simclr_gradients(rank, world_size, bn_train=False),
            simclr_bn_train=_simclr_gradients(rank, world_size, bn_train=True))
        torch.save(result, osp.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.barrier()
        dist.destroy_process_group()


@pytest.fixture(scope='module')
def two_processes(tmp_path_factory):
    import torch.distributed as dist
    import torch.multiprocessing as mp
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip('torch.distributed has no gloo backend')
    tmp = tmp_path_factory.mktemp('gloo')
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    mp.start_processes(
        _two_process_worker,
        args=(2, str(tmp / 'store'), str(tmp)),
        nprocs=2,
        join=True,
        start_method='spawn')
    return [torch.load(tmp / f'rank{r}.pth', weights_only=True) for r in range(2)]


def test_sar_jepa_two_processes_equal_one(two_processes):
    """The masked MSE is a mean over equally many masked patches per image, so the mean of the
    two shards' losses and DDP's mean of their gradients are the full batch's."""
    single = _sar_jepa_steps(0, 1)
    shard_losses = [two_processes[rank]['sar_jepa']['losses'] for rank in range(2)]
    assert shard_losses[0] != pytest.approx(shard_losses[1], abs=1e-3)  # different images
    assert np.mean(shard_losses, axis=0) == pytest.approx(single['losses'], abs=1e-6)
    for rank in range(2):
        dist = two_processes[rank]['sar_jepa']
        for step in range(2):
            for key, value in single['params'][step].items():
                assert torch.allclose(dist['params'][step][key], value, rtol=0, atol=1e-6), \
                    (step, key, (dist['params'][step][key] - value).abs().max())


def test_simclr_two_processes_differ_as_documented(two_processes):
    """mmpretrain's SimCLR gathers the negatives (the loss of every rank is the full batch's),
    but its GatherLayer returns only the local share's gradient, so after DDP's mean the gradient
    is 1/world_size of the one-process gradient; BatchNorm in training mode normalises per rank."""
    single = _simclr_gradients(0, 1, bn_train=False)
    for rank in range(2):
        dist = two_processes[rank]['simclr_bn_eval']
        assert dist['loss'] == pytest.approx(single['loss'], abs=1e-5)
        assert dist['grads'].keys() == single['grads'].keys()
        for key, value in single['grads'].items():
            assert torch.allclose(2 * dist['grads'][key], value, rtol=1e-4, atol=1e-6), key
    single = _simclr_gradients(0, 1, bn_train=True)
    dist = two_processes[0]['simclr_bn_train']
    assert abs(dist['loss'] - single['loss']) > 1e-4  # per-rank batch statistics
