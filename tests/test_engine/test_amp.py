"""Mixed precision as a switch: ``tools/train.py --amp [--amp-dtype]``, AmpOptimWrapper configs
on a CPU, and one bf16-autocast training step of a SAR-JEPA, a SimCLR and an FCOS config.

The target generators and sar_mm's losses must stay float32 under autocast."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

import sar_mm  # noqa: F401  (registers sar_mm's modules)
from sar_mm.engine import (CPUAutocastOptimWrapper, adapt_amp_to_device, enable_amp, load_config,
                           resolve_amp_dtype)
from sar_mm.models.losses import MiniBatchClassBalancedLoss, SupConLoss
from sar_mm.models.target_generators import (HOGTarget, LowPassTarget, PixelTarget,
                                             SARGradientTarget, SARHOGTarget)
from ..conftest import ROOT, build_in_scope, load_tool


def _cfg(optim_wrapper):
    return Config(dict(optim_wrapper=optim_wrapper))


def _sgd_wrapper():
    return dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))


@pytest.fixture
def fake_gpu(monkeypatch):
    """Pretend a CUDA GPU of the compute capability set through the returned dict."""
    gpu = dict(capability=(9, 0))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda *a: gpu['capability'])
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda *a: 'Fake GPU')
    monkeypatch.setattr(torch.version, 'hip', None)
    return gpu


# ------------------------------------------------------------------------- the switch
def test_amp_on_cpu_is_bf16_autocast_unless_float16_is_asked():
    cfg = _cfg(_sgd_wrapper())
    assert enable_amp(cfg) == 'bfloat16'
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16' and 'loss_scale' not in cfg.optim_wrapper
    cfg = _cfg(_sgd_wrapper())
    assert enable_amp(cfg, 'float16') == 'float16'
    assert (cfg.optim_wrapper.type, cfg.optim_wrapper.dtype) == ('CPUAutocastOptimWrapper',
                                                                 'float16')
    with pytest.raises(ValueError, match='only applies to OptimWrapper'):
        enable_amp(_cfg(dict(type='ApexOptimWrapper', optimizer=dict(type='SGD', lr=0.1))))
    with pytest.raises(ValueError, match='AMP dtype'):
        resolve_amp_dtype('float32')


def test_amp_on_a_gpu_is_bf16_unscaled_where_supported(fake_gpu):
    cfg = _cfg(_sgd_wrapper())
    assert enable_amp(cfg) == 'bfloat16'
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.loss_scale == 1.0
    # a V100 (7.0) only emulates bf16: float16 with dynamic loss scaling
    fake_gpu['capability'] = (7, 0)
    cfg = _cfg(_sgd_wrapper())
    assert enable_amp(cfg) == 'float16'
    assert (cfg.optim_wrapper.dtype, cfg.optim_wrapper.loss_scale) == ('float16', 'dynamic')
    # an explicit dtype wins; a config already on AMP keeps its wrapper with the new dtype
    fake_gpu['capability'] = (9, 0)
    cfg = _cfg(_sgd_wrapper())
    assert enable_amp(cfg, 'float16') == 'float16'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert enable_amp(cfg, 'bfloat16') == 'bfloat16'
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 1.0


def test_amp_optim_wrapper_config_runs_on_a_cpu():
    """mmengine's AmpOptimWrapper refuses to be built without a GPU: build_runner switches it."""
    cfg = _cfg(
        dict(
            type='AmpOptimWrapper',
            dtype='bfloat16',
            loss_scale='dynamic',
            optimizer=dict(type='SGD', lr=0.1)))
    assert adapt_amp_to_device(cfg)
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16' and 'loss_scale' not in cfg.optim_wrapper
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 2), cfg.optim_wrapper)
    assert isinstance(wrapper, CPUAutocastOptimWrapper)
    assert wrapper.cast_dtype == torch.bfloat16
    assert not adapt_amp_to_device(_cfg(_sgd_wrapper()))
    # no dtype in the config: bf16, CPU autocast's only fast choice
    cfg = _cfg(dict(type='AmpOptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    assert adapt_amp_to_device(cfg) and cfg.optim_wrapper.dtype == 'bfloat16'


def test_train_py_amp_options():
    train = load_tool('tools/train.py')
    args = train.parse_args(['cfg.py', '--amp'])
    assert args.amp and args.amp_dtype == 'auto'
    assert train.parse_args(['cfg.py', '--amp-dtype', 'float16']).amp_dtype == 'float16'
    with pytest.raises(SystemExit):
        train.parse_args(['cfg.py', '--amp-dtype', 'float32'])


def test_mmdet_focal_loss_hands_mmcv_float32_scores_under_bf16(monkeypatch):
    """mmcv's CUDA sigmoid_focal_loss has no bfloat16 kernel: on import, sar_mm makes mmdet's
    focal loss cast bfloat16 scores to float32 for it (float16/float32 pass unchanged)."""
    from mmdet.models.losses import focal_loss

    from sar_mm.engine.amp_compat import float32_for_bfloat16, patch_mmdet_focal_loss_for_bfloat16
    assert getattr(focal_loss._sigmoid_focal_loss, '_sar_mm_bfloat16_patch', False)
    patched = focal_loss._sigmoid_focal_loss
    assert patch_mmdet_focal_loss_for_bfloat16() and focal_loss._sigmoid_focal_loss is patched
    seen = []

    def cuda_op(pred, target, gamma, alpha, weight, reduction):  # stands in for mmcv's op
        seen.append(pred.dtype)
        return pred.sigmoid() * 0 + 1

    monkeypatch.setattr(focal_loss, '_sigmoid_focal_loss', float32_for_bfloat16(cuda_op))
    target = torch.tensor([0, 1, 2, 3])
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        loss = focal_loss.sigmoid_focal_loss(torch.randn(4, 3).to(dtype), target)
        assert seen[-1] == (torch.float32 if dtype == torch.bfloat16 else dtype)
        assert float(loss) == 1.0


# ------------------------------------------------------------------------- float32 islands
GENERATORS = {
    'sar-gradient-box': lambda: SARGradientTarget(radii=(1, 3), patch_size=8),
    'sar-gradient-gaussian':
    lambda: SARGradientTarget(radii=(2, 3), window='gaussian', patch_size=8),
    'low-pass': lambda: LowPassTarget(sigma=1.5, patch_size=8),
    'pixel': lambda: PixelTarget(patch_size=8, norm_per_patch=True),
    'sar-hog': lambda: SARHOGTarget(radii=(1, 3), patch_size=8),
    'hog': lambda: HOGTarget(pool=4, gaussian_window=8, patch_size=8),
}


@pytest.mark.parametrize('name', list(GENERATORS))
def test_target_generators_compute_in_float32_under_autocast(name):
    gen = GENERATORS[name]()
    x = torch.rand(2, 1, 32, 32) * 3 + 0.1
    reference = gen(x), gen.feature_maps(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        under = gen(x), gen.feature_maps(x)
        from_bf16 = gen(x.bfloat16())  # a bf16 input is computed in float32 as well
    for ref, out in zip(reference, under):
        assert out.dtype == torch.float32
        assert torch.equal(out, ref)  # exactly: nothing ran in bfloat16
    assert from_bf16.dtype == torch.float32
    assert torch.equal(from_bf16, gen(x.bfloat16().float()))


def test_sar_mm_losses_compute_in_float32_under_autocast():
    torch.manual_seed(0)
    layer = torch.nn.Linear(16, 8)
    x = torch.randn(12, 16)
    labels = torch.arange(12) % 4
    supcon, cbl = SupConLoss(temperature=0.1), MiniBatchClassBalancedLoss(gamma=2.0)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        features = layer(x)  # bfloat16 activations
        assert features.dtype == torch.bfloat16
        loss_supcon = supcon(features.view(6, 2, 8), labels[:6])
        loss_cbl = cbl(features, labels % 8)
    references = (supcon(features.float().view(6, 2, 8),
                         labels[:6]), cbl(features.float(), labels % 8))
    for loss, reference in zip((loss_supcon, loss_cbl), references):
        assert loss.dtype == torch.float32
        assert torch.allclose(loss, reference, rtol=1e-6, atol=1e-7), (loss, reference)
    (loss_supcon + loss_cbl).backward()
    assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()


# ------------------------------------------------------------------------- a step per config
STEP_CONFIGS = {
    'sar-jepa':
    dict(
        config='configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py',
        data='unlabeled',
        scope='mmpretrain'),
    'simclr':
    dict(
        config='configs/simclr/simclr_resnet18-1ch_1xb32-8e_synthetic-sar.py',
        data='unlabeled',
        scope='mmpretrain'),
    'fcos':
    dict(
        config='configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py',
        data='ships',
        scope='mmdet'),
}


def _one_batch(cfg, scope, data_root, batch_size=2):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(batch_size=batch_size, num_workers=0, persistent_workers=False)
    loader_cfg.dataset.data_root = data_root
    with DefaultScope.overwrite_default_scope(scope):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
    return next(iter(loader))


def _first(model, kinds):
    return next(m for m in model.modules() if isinstance(m, kinds))


@pytest.mark.parametrize('name', list(STEP_CONFIGS))
def test_amp_config_builds_and_trains_one_bf16_step(name, synthetic_root):
    case = STEP_CONFIGS[name]
    cfg = load_config(osp.join(ROOT, case['config']))
    assert enable_amp(cfg) == 'bfloat16'  # tools/train.py --amp on this CPU
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.data_preprocessor = cfg.data_preprocessor  # as the Runner merges it
    torch.manual_seed(0)
    model = build_in_scope(case['scope'], model_cfg)
    model.init_weights()
    model.train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(wrapper, CPUAutocastOptimWrapper)
    assert wrapper.cast_dtype == torch.bfloat16
    batch = _one_batch(cfg, case['scope'], osp.join(synthetic_root, case['data']) + '/')

    seen = {}

    def record(key, value):  # a forward hook must return None (else it replaces the output)
        seen.setdefault(key, value)

    layer = _first(model.backbone, (torch.nn.Conv2d, torch.nn.Linear))
    layer.register_forward_hook(lambda m, i, o: record('layer', o.dtype))
    if getattr(model, 'target_generator', None) is not None:
        model.target_generator.register_forward_hook(lambda m, i, o: record('target', o.dtype))
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}

    log_vars = model.train_step(batch, wrapper)

    loss = log_vars['loss']
    assert torch.isfinite(loss).all(), log_vars
    assert seen['layer'] == torch.bfloat16  # the forward ran under bf16 autocast
    changed = [
        n for n, p in model.named_parameters()
        if n in before and not torch.equal(p.detach(), before[n])
    ]
    assert len(changed) > 0.5 * len(before), f'{len(changed)} of {len(before)} changed'
    assert all(p.dtype == torch.float32 for p in model.parameters())
    if name == 'sar-jepa':
        # called inside the step's autocast region, and still float32
        assert seen['target'] == torch.float32
        x = torch.rand(2, 1, 64, 64)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            target = model.compute_targets(x)
        assert target.dtype == torch.float32
        assert torch.equal(target, model.compute_targets(x))
