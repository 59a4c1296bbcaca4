"""configs/sar_jepa/vit-base-p16-irpe-1ch_*_sar-jepa-release.py: the model-zoo fine-tune configs.

A fake SAR-JEPA pretraining release (``checkpoint-200.pth`` with the exact key names and shapes
of ``tests/data/manifests/sar_jepa_pretrain_vit-base.json``, random values; to stay fast, only
its first ``BLOCKS`` of 12 encoder blocks and 1 of 8 predictor blocks, every width as released)
goes through ``tools/model_converters/sar_jepa_to_mmpretrain.py --to backbone``; each config's
model (ViT-B/16 iRPE at 224 px, its depth cut to ``BLOCKS``) must take every converted tensor
through its own ``init_cfg`` (one real build) or a strict load (the others, built on the meta
device), the schedule must give the SAR-JEPA
reference's learning rate epoch by epoch (Dassl: 2 epochs at 1e-5, then its cosine of 40 epochs
from the base lr at epoch 2, first advanced after epoch 2), and the 224-px pipelines and
``tools/fewshot_eval.py``'s run config must accept the configs.

This folder has no ``__init__.py`` on purpose: a ``tests/test_configs`` package would shadow
``tests/test_configs.py``.
"""
import copy
import json
import math
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config

import sar_mm  # noqa: F401  (registers the models and transforms)
from tests.conftest import ROOT, build_in_scope, load_tool

CONVERTER = 'tools/model_converters/sar_jepa_to_mmpretrain.py'
BLOCKS = 2
CONFIGS = {
    'mstar-soc10': 10,
    'fusar-ship': 10,  # the reference's ten FUSAR classes
    'sar-acd': 5,
}


def config_path(name):
    return osp.join(ROOT, 'configs', 'sar_jepa',
                    f'vit-base-p16-irpe-1ch_1xb50-40e_{name}-224px_sar-jepa-release.py')


def model_cfg(cfg):
    out = copy.deepcopy(cfg.model.to_dict())
    out['backbone']['arch']['num_layers'] = BLOCKS
    out['data_preprocessor'] = dict(cfg.data_preprocessor, type='ClsDataPreprocessor')
    return out


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """(source state dict, path of the converted backbone, converter meta)."""
    tmp = tmp_path_factory.mktemp('sar_jepa_release')
    with open(osp.join(ROOT, 'tests', 'data', 'manifests', 'sar_jepa_pretrain_vit-base.json')) as f:
        keys = json.load(f)['keys']
    assert len({k.split('.')[1] for k in keys if k.startswith('blocks.')}) == 12
    for key in list(keys):
        block = re.match(r'(decoder_)?blocks\.(\d+)\.', key)
        if block and int(block[2]) >= (1 if block[1] else BLOCKS):
            del keys[key]
    gen = torch.Generator().manual_seed(0)
    source = {k: torch.randn(shape, generator=gen) for k, shape in keys.items()}
    src, dst = str(tmp / 'checkpoint-200.pth'), str(tmp / 'backbone.pth')
    torch.save(dict(model=source, epoch=199), src)
    load_tool(CONVERTER).main([src, dst, '--to', 'backbone'])
    meta = torch.load(dst, map_location='cpu', weights_only=True)['meta']
    return source, dst, meta


def test_the_configs_are_the_backbone_the_converter_names(converted):
    _, _, meta = converted
    named = meta['configs']['backbone']
    for name, num_classes in CONFIGS.items():
        cfg = Config.fromfile(config_path(name))
        backbone = cfg.model.backbone
        assert backbone.arch == dict(named['arch'], num_layers=12), name
        for key in ('type', 'img_size', 'patch_size', 'in_channels', 'norm_cfg', 'final_norm',
                    'with_abs_pos_embed', 'rpe_cfg'):
            assert backbone[key] == named[key], (name, key)
        # the reference reads the class token after the final norm (global_pool=False)
        assert backbone.out_type == 'cls_token' and backbone.drop_path_rate == 0
        assert backbone.init_cfg['prefix'] == 'backbone.'
        assert cfg.model.head.num_classes == num_classes == cfg.data_preprocessor.num_classes
        assert cfg.model.head.type == 'VisionTransformerClsHead'


def test_init_cfg_loads_every_converted_tensor(converted):
    """One real ViT-B build: its own Pretrained init_cfg loads the converter's output."""
    source, dst, _ = converted
    cfg = Config.fromfile(config_path('mstar-soc10'))
    mcfg = model_cfg(cfg)
    mcfg['backbone']['init_cfg']['checkpoint'] = dst
    model = build_in_scope('mmpretrain', mcfg)
    model.init_weights()
    state = model.backbone.state_dict()
    tool = load_tool(CONVERTER)
    arrived = 0
    for key, value in source.items():
        new = tool._rename(key, mask_token=False)
        if new is None or not new.startswith('backbone.'):
            continue
        assert torch.equal(state[new[len('backbone.'):]], value), key
        arrived += 1
    # every backbone tensor came from the release (nothing left at its random init)
    assert arrived == len(state) == BLOCKS * 13 + 5
    out = model(torch.rand(1, 1, 224, 224) * 255, mode='tensor')
    assert out.shape == (1, 10)


@pytest.mark.parametrize('name', ['fusar-ship', 'sar-acd'])
def test_strict_load_on_meta(converted, name):
    _, dst, _ = converted
    body = torch.load(dst, map_location='cpu', weights_only=True)['state_dict']
    cfg = Config.fromfile(config_path(name))
    mcfg = model_cfg(cfg)
    mcfg['backbone'].pop('init_cfg')
    with torch.device('meta'):
        model = build_in_scope('mmpretrain', mcfg)
    backbone = {k[len('backbone.'):]: v for k, v in body.items() if k.startswith('backbone.')}
    assert len(backbone) == len(body)
    expected = model.backbone.state_dict()
    assert set(expected) == set(backbone)
    for key, value in expected.items():
        assert tuple(value.shape) == tuple(backbone[key].shape), key
    model.backbone.load_state_dict(backbone, strict=True, assign=True)
    assert model.head.layers.head.out_features == CONFIGS[name]


def reference_lr(epoch, base=1e-3, warmup_lr=1e-5, warmup=2, max_epochs=40):
    """The closed form of Dassl's constant warm-up before CosineAnnealingLR(T_max=max_epochs),
    stepped per epoch: the cosine's first value (the base lr) is used at epoch ``warmup``."""
    if epoch < warmup:
        return warmup_lr
    return 0.5 * base * (1 + math.cos(math.pi * (epoch - warmup) / max_epochs))


def dassl_warmup_cosine_lrs(base=1e-3, warmup_lr=1e-5, warmup=2, max_epochs=40):
    """The lr of each epoch under the stepping rules of the reference's Dassl (SAR-JEPA's
    ``few_shot_classification/Dassl.pytorch.zip``, ``dassl/optim/lr_scheduler.py``), written
    out step by step on torch's own CosineAnnealingLR (the successor):

    - the successor is built first (its constructor's step leaves the base lr); the warm-up
      wrapper is built after it, and its own constructor's step counts epoch 0 and sets the
      constant lr;
    - every later step (one per epoch, after the epoch's last batch) first checks the wrapper's
      count: below ``warmup`` the wrapper counts one more epoch and sets the constant, or, on
      reaching ``warmup``, the successor's last lr unstepped; from then on it steps the
      successor.
    """
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=base)
    successor = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, float(max_epochs))

    def set_lr(value):
        optimizer.param_groups[0]['lr'] = value

    count = 0  # the wrapper's last_epoch after its constructor's step
    set_lr(warmup_lr)
    lrs = []
    for _ in range(max_epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        if count >= warmup:
            successor.step()
        else:
            count += 1
            set_lr(successor.get_last_lr()[0] if count >= warmup else warmup_lr)
    return lrs


def test_schedule_is_the_reference_protocol():
    from mmengine.registry import PARAM_SCHEDULERS
    cfg = Config.fromfile(config_path('mstar-soc10'))
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay, tuple(opt.betas)) == \
        ('AdamW', 1e-3, 5e-4, (0.9, 0.999))
    assert 'paramwise_cfg' not in cfg.optim_wrapper  # Dassl decays every parameter
    assert cfg.train_cfg.max_epochs == 40 and cfg.train_dataloader.batch_size == 50
    assert cfg.val_dataloader.batch_size == 50 and cfg.auto_scale_lr.base_batch_size == 50
    assert all(s.by_epoch and not s.get('convert_to_iter_based') for s in cfg.param_scheduler)

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], **{k: v for k, v in opt.items() if k != 'type'})
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer))
        for s in copy.deepcopy(cfg.param_scheduler)
    ]
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for s in schedulers:
            s.step()
    expected = [reference_lr(e) for e in range(40)]
    np.testing.assert_allclose(dassl_warmup_cosine_lrs(), expected, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-15)
    # epoch 2 starts the cosine at the base lr; (k - 1) instead of (k - 2) is off by one epoch
    assert lrs[:4] == pytest.approx([1e-5, 1e-5, 1e-3, 0.5e-3 * (1 + math.cos(math.pi / 40))])
    assert lrs[-1] == pytest.approx(0.5e-3 * (1 + math.cos(math.pi * 37 / 40)))


def test_224px_pipelines_and_the_reference_normalisation(tmp_path):
    import cv2
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    chip = (np.arange(150 * 172, dtype=np.float64).reshape(150, 172) % 251).astype(np.uint8)
    path = str(tmp_path / 'chip.png')
    cv2.imwrite(path, chip)
    cfg = Config.fromfile(config_path('sar-acd'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        train = Compose(cfg.train_dataloader.dataset.pipeline)(dict(img_path=path))
        test = Compose(cfg.test_dataloader.dataset.pipeline)(dict(img_path=path))
        pre = MODELS.build(dict(cfg.data_preprocessor, type='ClsDataPreprocessor'))
    assert tuple(train['inputs'].shape) == tuple(test['inputs'].shape) == (1, 224, 224)
    out = pre(dict(inputs=[test['inputs']], data_samples=[test['data_samples']]))['inputs']
    # ToTensor without Normalize: 8-bit amplitude / 255
    torch.testing.assert_close(out[0], test['inputs'].float() / 255)
    # a flat chip stays flat (bicubic on float amplitude does not clip; PIL on 8 bits would)
    cv2.imwrite(path, np.full((150, 172), 51, np.uint8))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        flat = Compose(cfg.test_dataloader.dataset.pipeline)(dict(img_path=path))
    out = pre(dict(inputs=[flat['inputs']], data_samples=[flat['data_samples']]))['inputs']
    torch.testing.assert_close(out, torch.full_like(out, 0.2))


def test_fewshot_eval_run_config(tmp_path):
    from sar_mm.evaluation.fewshot_protocol import make_run_config
    for name, num_classes in CONFIGS.items():
        cfg = Config.fromfile(config_path(name))
        run = make_run_config(cfg, 'finetune', 20, 1, str(tmp_path / name), num_classes=num_classes)
        train = run.train_dataloader.dataset
        assert (train.num_shots, train.seed, train.fewshot_split) == (20, 1, 'train')
        assert train.pipeline == cfg.sar_jepa_train_pipeline
        assert run.test_dataloader.dataset.pipeline == cfg.sar_jepa_test_pipeline
        assert run.optim_wrapper.optimizer.lr == 1e-3  # finetune keeps the reference lr


def test_224px_pipelines_centre_crop_128px_first(tmp_path):
    """The reference centre-crops every chip to 128 x 128 before resizing (train and test): a
    bright frame outside the central 128 px never reaches the input; a smaller chip is
    zero-padded."""
    import cv2
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    chip = np.full((180, 200), 255, np.uint8)
    chip[26:154, 36:164] = 40  # the central 128 x 128
    big, small = str(tmp_path / 'big.png'), str(tmp_path / 'small.png')
    cv2.imwrite(big, chip)
    cv2.imwrite(small, np.full((96, 96), 200, np.uint8))
    cfg = Config.fromfile(config_path('mstar-soc10'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for pipeline in (cfg.train_dataloader.dataset.pipeline,
                         cfg.test_dataloader.dataset.pipeline):
            out = Compose(pipeline)(dict(img_path=big))['inputs'].float()
            assert tuple(out.shape) == (1, 224, 224)
            torch.testing.assert_close(out, torch.full_like(out, 40.), atol=1e-3, rtol=0)
            padded = Compose(pipeline)(dict(img_path=small))['inputs'].float()
            # zero-padded to 128 px as Dassl's CenterCrop does (mmcv pads bottom/right where
            # torchvision pads around; only chips under 128 px see the difference)
            assert padded.mean().item() == pytest.approx(200 * (96 / 128)**2, rel=0.02)
            assert (padded.abs() < 1).float().mean().item() > 0.3


def saratr_x_config_path(name):
    return osp.join(ROOT, 'configs', 'recognition',
                    f'hivit-base-p16-1ch_1xb50-40e_{name}-224px_saratr-x-pretrained.py')


@pytest.mark.parametrize('name', list(CONFIGS))
def test_saratr_x_configs_differ_from_sar_jepa_release_only_in_the_model(name):
    """The SARATR-X HiViT-B under SAR-JEPA's protocol: the same data, pipelines, preprocessor
    and schedule as the SAR-JEPA release config of the dataset, the model of the release's own
    MSTAR config with the dataset's classes."""
    saratr = Config.fromfile(saratr_x_config_path(name)).to_dict()
    jepa = Config.fromfile(config_path(name)).to_dict()
    own = Config.fromfile(
        osp.join(ROOT, 'configs', 'recognition',
                 'hivit-base-p16-1ch_1xb25-30e_mstar-soc10-224px_saratr-x-pretrained.py'))
    model_keys = {'model', 'sar_jepa_release_checkpoint', 'saratr_x_release_checkpoint'}
    assert set(saratr) - model_keys == set(jepa) - model_keys
    for key in set(saratr) - model_keys:
        assert saratr[key] == jepa[key], (name, key)
    assert saratr['model']['backbone'] == own.model.backbone.to_dict()
    assert saratr['model']['neck'] == own.model.neck.to_dict()
    head = dict(saratr['model']['head'])
    assert head.pop('num_classes') == CONFIGS[name] == saratr['data_preprocessor']['num_classes']
    assert head == {k: v for k, v in own.model.head.to_dict().items() if k != 'num_classes'}
    # the protocol's normalisation (/ 255) and 224-px 128-px-centre-cropped input
    assert (saratr['data_preprocessor']['mean'], saratr['data_preprocessor']['std']) == ([0.],
                                                                                         [255.])
    assert saratr['train_dataloader']['dataset']['pipeline'][1]['crop_size'] == 128
