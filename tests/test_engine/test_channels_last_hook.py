"""ChannelsLastHook / ``--channels-last``: conv weights stored NHWC, the same training result."""
import argparse
import os.path as osp

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import Runner

import sar_mm  # noqa: F401
from sar_mm.engine import (add_runner_args, enable_channels_last, load_checkpoint_file,
                           parse_runner_args)
from sar_mm.engine.hooks import to_channels_last
from ..conftest import ROOT

CONFIG = osp.join(ROOT, 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py')


def test_to_channels_last_keeps_parameters_and_values():
    net = nn.Sequential(nn.Conv2d(2, 8, 3), nn.BatchNorm2d(8), nn.Conv2d(8, 4, 1), nn.Flatten())
    params = list(net.parameters())
    x = torch.randn(2, 2, 9, 9)
    before = net(x)
    assert not net[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert to_channels_last(net) == 2
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]  # optimizers keep them
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert net[2].weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(net(x), before, rtol=1e-5, atol=1e-6)
    # a state dict of a contiguous model loads into the channels-last storage
    other = nn.Sequential(nn.Conv2d(2, 8, 3), nn.BatchNorm2d(8), nn.Conv2d(8, 4, 1), nn.Flatten())
    net.load_state_dict(other.state_dict())
    assert torch.equal(net[0].weight, other[0].weight)
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_enable_channels_last_adds_the_hook_once():
    cfg = Config(dict(custom_hooks=[dict(type='RNGStateHook')]))
    enable_channels_last(cfg)
    enable_channels_last(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['RNGStateHook', 'ChannelsLastHook']
    args = parse_runner_args(add_runner_args(argparse.ArgumentParser()), ['--channels-last'])
    assert args.channels_last
    assert not parse_runner_args(add_runner_args(argparse.ArgumentParser()), []).channels_last


def _train(tmp_path, synthetic_root, channels_last, name):
    cfg = Config.fromfile(CONFIG)
    data_root = osp.join(synthetic_root, 'vehicles') + '/'
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=data_root, num_shots=2)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)  # 10 samples: 3 iterations
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.randomness = dict(seed=0)
    cfg.custom_hooks = []
    if channels_last:
        enable_channels_last(cfg)
    cfg.work_dir = str(tmp_path / name)
    cfg.experiment_name = f'channels_last_test_{name}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_training_channels_last_gives_the_same_model(tmp_path, synthetic_root):
    plain = _train(tmp_path, synthetic_root, False, 'plain')
    nhwc = _train(tmp_path, synthetic_root, True, 'nhwc')
    # (a 1-channel stem weight is both layouts at once: look at a 64-channel conv)
    conv = nhwc.model.backbone.layer1[0].conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not plain.model.backbone.layer1[0].conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    state_plain, state_nhwc = plain.model.state_dict(), nhwc.model.state_dict()
    assert state_plain.keys() == state_nhwc.keys()
    # same seed, same initial weights (converted after initialisation); after 3 SGD steps the
    # two differ only by summation order (measured: at most 6e-5, for weights up to 0.2; a
    # different initialisation differs by about 0.2)
    for key, value in state_plain.items():
        torch.testing.assert_close(state_nhwc[key], value, rtol=1e-3, atol=2e-4)
    # the runs did train: batch-norm statistics left their initial zeros
    assert any(v.abs().sum() > 0 for k, v in state_nhwc.items() if k.endswith('running_mean'))
    # the checkpoint loads into a model built as usual
    ckpt = load_checkpoint_file(osp.join(nhwc.work_dir, 'epoch_1.pth'))
    plain.model.load_state_dict(ckpt['state_dict'])
    torch.testing.assert_close(plain.model.backbone.layer1[0].conv1.weight, conv)
