"""FreezeModulesHook: a linear probe leaves the backbone (weights and BN statistics) untouched."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import sar_mm  # noqa: F401
from ..conftest import ROOT

CONFIG = osp.join(ROOT, 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py')


def _runner(tmp_path, synthetic_root, hooks, name):
    cfg = Config.fromfile(CONFIG)
    data_root = osp.join(synthetic_root, 'vehicles') + '/'
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=data_root, num_shots=2)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)  # 10 samples: 3 iterations
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    cfg.custom_hooks = hooks
    cfg.work_dir = str(tmp_path / name)
    cfg.experiment_name = f'freeze_test_{name}'
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()  # now, so that the snapshot below is the starting point
    return runner


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_linear_probe_keeps_backbone_weights_and_bn_statistics(tmp_path, synthetic_root):
    runner = _runner(tmp_path, synthetic_root,
                     [dict(type='FreezeModulesHook', modules=('backbone', 'neck'))], 'frozen')
    backbone0, head0 = _snapshot(runner.model.backbone), _snapshot(runner.model.head)
    runner.train()
    backbone1 = _snapshot(runner.model.backbone)
    assert backbone1.keys() == backbone0.keys()
    assert any('running_mean' in k for k in backbone0)
    for key, value in backbone0.items():
        assert torch.equal(backbone1[key], value), key  # bit-identical, BN statistics included
    assert all(not p.requires_grad for p in runner.model.backbone.parameters())
    head1 = _snapshot(runner.model.head)
    assert not torch.equal(head1['fc.weight'], head0['fc.weight'])


def test_without_eval_mode_bn_statistics_move(tmp_path, synthetic_root):
    """The control: frozen weights alone do not protect the BN running statistics."""
    runner = _runner(tmp_path, synthetic_root,
                     [dict(type='FreezeModulesHook', modules='backbone', eval_mode=False)],
                     'no_eval')
    backbone0 = _snapshot(runner.model.backbone)
    runner.train()
    backbone1 = _snapshot(runner.model.backbone)
    assert torch.equal(backbone1['conv1.weight'], backbone0['conv1.weight'])
    assert not torch.equal(backbone1['bn1.running_mean'], backbone0['bn1.running_mean'])


def test_unknown_module_is_a_clear_error(tmp_path, synthetic_root):
    runner = _runner(tmp_path, synthetic_root,
                     [dict(type='FreezeModulesHook', modules=('backbone', 'encoder'))], 'bad')
    with pytest.raises(AttributeError, match="ImageClassifier has no module 'encoder'.*backbone"):
        runner.train()
