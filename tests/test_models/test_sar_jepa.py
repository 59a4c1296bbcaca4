"""SAR-JEPA: local window masking, the masked loss, gradients, AMP, DDP and the configs."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.models.utils import build_2d_sincos_position_embedding
from mmpretrain.registry import MODELS

import sar_mm  # noqa: F401
from sar_mm.models.heads import SARJEPAHead
from sar_mm.models.selfsup import (SARJEPA, local_window_masking, num_masked_per_window,
                                   sample_window_masks, sample_window_positions,
                                   window_patch_indices)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the pretraining configs; the *_sar-jepa-release fine-tune configs beside them are classifiers,
# tested in tests/test_configs/test_model_zoo_configs.py
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'sar_jepa', 'sar_jepa_*.py')))
PAPER_CONFIG = osp.join(ROOT, 'configs', 'sar_jepa',
                        'sar_jepa_vit-base-p16_8xb75-300e_sar-pooled-224px.py')
TINY_CONFIG = osp.join(ROOT, 'configs', 'sar_jepa',
                       'sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py')

STAND_IN = '_SARJEPATestTarget'


class _StandInTarget(torch.nn.Module):
    """Test-only target generator: per patch, its pixels and their squares (K = 2, D = 2 p^2).

    Records the last input it saw.
    """

    def __init__(self, patch_size=4):
        super().__init__()
        self.patch_size = patch_size
        self.last_input = None

    def feature_maps(self, x):
        return torch.cat([x, x * x], dim=1)

    @torch.no_grad()
    def forward(self, x):
        self.last_input = x.detach().clone()
        p = self.patch_size
        maps = self.feature_maps(x)
        b, k, h, w = maps.shape
        out = maps.reshape(b, k, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
        return out.reshape(b, (h // p) * (w // p), k * p * p)


@pytest.fixture(scope='module', autouse=True)
def stand_in_target():
    MODELS.register_module(name=STAND_IN, module=_StandInTarget)
    yield
    MODELS.module_dict.pop(STAND_IN)


def tiny_cfg(**overrides):
    cfg = dict(
        type='SARJEPA',
        backbone=dict(
            arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
            img_size=32,
            patch_size=4,
            out_type='featmap'),
        target_generator=dict(type=STAND_IN, patch_size=4),
        predictor_dim=32,
        predictor_depth=2,
        predictor_num_heads=2,
        num_windows=3,
        window_size=4,
        mask_ratio=0.75,
        data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0.5], std=[0.25]))
    cfg.update(overrides)
    return cfg


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.fixture
def model():
    torch.manual_seed(0)
    return build(tiny_cfg())


def normalised_chips(num, size=32, seed=0):
    """Speckled synthetic vehicle chips, normalised like the tiny model's preprocessor."""
    from sar_mm.datasets.synthetic import VEHICLE_CLASSES, vehicle_chip
    rng = np.random.default_rng(seed)
    names = list(VEHICLE_CLASSES)
    chips = [vehicle_chip(names[i % len(names)], size, rng)[0] for i in range(num)]
    amplitude = torch.from_numpy(np.stack(chips))[:, None]
    return (amplitude.clamp(max=2.0) - 0.5) / 0.25


# ----------------------------------------------------------------------------- masking
@pytest.mark.parametrize('window_size, ratio, expected', [(7, 0.8, 39), (4, 0.8, 13), (4, 0.75, 12),
                                                          (2, 0.625, 3), (3, 0.5, 5), (5, 0.7, 18)])
def test_num_masked_rounds_half_up(window_size, ratio, expected):
    assert num_masked_per_window(window_size, ratio) == expected


@pytest.mark.parametrize('ratio', [0.0, 0.01, 0.99, 1.0])
def test_num_masked_needs_a_masked_and_a_visible_patch(ratio):
    with pytest.raises(ValueError, match='at least one patch'):
        num_masked_per_window(4, ratio)


@pytest.mark.parametrize('window_size, ratio', [(7, 0.8), (4, 0.75), (3, 0.5), (2, 0.25)])
def test_exact_masked_count_in_every_window(window_size, ratio):
    gen = torch.Generator().manual_seed(1)
    indices, mask = local_window_masking(
        16, (9, 11), num_windows=5, window_size=window_size, mask_ratio=ratio, generator=gen)
    assert indices.shape == mask.shape == (16, 5, window_size**2)
    assert indices.dtype == torch.int64 and mask.dtype == torch.bool
    assert (mask.sum(-1) == num_masked_per_window(window_size, ratio)).all()


def test_windows_are_contiguous_blocks_inside_a_non_square_grid():
    grid_h, grid_w, s = 6, 10, 3
    gen = torch.Generator().manual_seed(2)
    indices, _ = local_window_masking(
        500, (grid_h, grid_w), num_windows=4, window_size=s, mask_ratio=0.5, generator=gen)
    assert indices.min() >= 0 and indices.max() < grid_h * grid_w
    rows = (indices // grid_w).reshape(500, 4, s, s)
    cols = (indices % grid_w).reshape(500, 4, s, s)
    offsets = torch.arange(s)
    # row-major window: rows grow down the window, columns along it, in steps of one patch
    assert (rows == rows[..., :1, :1] + offsets[:, None]).all()
    assert (cols == cols[..., :1, :1] + offsets[None, :]).all()
    assert rows.max() <= grid_h - 1 and cols.max() <= grid_w - 1
    # every admissible corner is drawn (uniform over the grid, not a sub-range)
    assert set(rows[..., 0, 0].flatten().tolist()) == set(range(grid_h - s + 1))
    assert set(cols[..., 0, 0].flatten().tolist()) == set(range(grid_w - s + 1))


def test_window_patch_indices_by_hand():
    tops, lefts = torch.tensor([[0, 2]]), torch.tensor([[1, 0]])
    idx = window_patch_indices(tops, lefts, (4, 5), 2)
    assert idx.tolist() == [[[1, 2, 6, 7], [10, 11, 15, 16]]]


def test_windows_and_masks_are_drawn_per_sample():
    gen = torch.Generator().manual_seed(3)
    indices, mask = local_window_masking(8, 14, generator=gen)
    assert any(not torch.equal(indices[0], indices[b]) for b in range(1, 8))
    assert any(not torch.equal(mask[0], mask[b]) for b in range(1, 8))
    # the windows of one sample differ too, and so do their masks
    assert any(not torch.equal(indices[0, 0], indices[0, n]) for n in range(1, 4))
    assert any(not torch.equal(mask[0, 0], mask[0, n]) for n in range(1, 4))


def test_masking_is_deterministic_under_a_seed_and_leaves_global_rng_alone():
    state = torch.get_rng_state()
    a = local_window_masking(4, 14, generator=torch.Generator().manual_seed(7))
    b = local_window_masking(4, 14, generator=torch.Generator().manual_seed(7))
    c = local_window_masking(4, 14, generator=torch.Generator().manual_seed(8))
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not (torch.equal(a[0], c[0]) and torch.equal(a[1], c[1]))
    tops, lefts = sample_window_positions(4, 14, generator=torch.Generator().manual_seed(7))
    assert torch.equal(window_patch_indices(tops, lefts, 14, 7), a[0])
    assert sample_window_masks(2, 3, 4, 0.8).shape == (2, 3, 16)


def test_window_larger_than_grid_is_refused():
    with pytest.raises(ValueError, match='does not fit'):
        local_window_masking(2, (5, 8), window_size=6)


# ------------------------------------------------------------------------------- model
def test_shapes_target_dim_and_extract_feat(model):
    assert isinstance(model, SARJEPA)
    assert model.target_dim == 2 * 4 * 4 and model.patch_size == 4
    x = torch.randn(2, 1, 32, 32)
    indices, mask = model.sample_windows(x)
    assert indices.shape == mask.shape == (2, 3, 16)
    feats = model.backbone(x, indices, mask)
    assert feats.shape == (6, 17, 32)
    assert model.neck(feats).shape == (6, 16, 32)
    assert model.predict_windows(x)['pred'].shape == (2, 3, 16, 32)
    loss = model(x, mode='loss')['loss']
    assert loss.dim() == 0 and torch.isfinite(loss)
    assert model.extract_feat(x)[0].shape == (2, 32, 8, 8)


def test_targets_come_from_the_denormalised_non_negative_amplitude(model):
    amplitude = torch.rand(2, 1, 32, 32) * 3
    amplitude[0, 0, :4, :4] = 0.0
    normalised = (amplitude - 0.5) / 0.25
    expected = _StandInTarget(4)(amplitude)
    assert torch.allclose(model.compute_targets(normalised), expected, atol=1e-5)
    # a normalised value below -mean/std is a negative amplitude: clipped to 0 for the target
    normalised[0, 0, :4, :4] = -10.0
    model.compute_targets(normalised)
    assert model.target_generator.last_input.min() == 0
    assert model.target_generator.last_input.dtype == torch.float32


def test_masked_mse_by_hand():
    pred = torch.randn(2, 3, 5, 4, requires_grad=True)
    target = torch.randn(2, 3, 5, 4)
    mask = torch.rand(2, 3, 5) < 0.5
    mask[0, 0, 0] = True
    loss = SARJEPAHead().loss(pred, target, mask)
    by_hand, count = 0.0, 0
    for b, n, p in zip(*torch.nonzero(mask, as_tuple=True)):
        by_hand += ((pred[b, n, p] - target[b, n, p])**2).mean().item()
        count += 1
    assert loss.item() == pytest.approx(by_hand / count, rel=1e-5)
    loss.backward()
    assert (pred.grad[~mask] == 0).all() and (pred.grad[mask] != 0).any()


def _visible_and_masked_patch(model, x, seed):
    """A grid index of sample 0 that is visible in every window containing it, and a masked one."""
    torch.manual_seed(seed)
    indices, mask = model.sample_windows(x)
    idx, msk = indices[0].flatten(), mask[0].flatten()
    in_windows = set(idx.tolist())
    masked = set(idx[msk].tolist())
    visible_only = sorted(in_windows - masked)
    return (visible_only[0] if visible_only else None), sorted(masked)[0]


def test_loss_depends_only_on_masked_patches(model):
    x = normalised_chips(2)
    seed = next(s for s in range(100) if _visible_and_masked_patch(model, x, s)[0] is not None)
    visible, masked = _visible_and_masked_patch(model, x, seed)
    torch.manual_seed(seed)
    indices, _ = model.sample_windows(x)
    outside = sorted(set(range(64)) - set(indices[0].flatten().tolist()))

    original = model.compute_targets

    def loss_with_target_change(grid_index):

        def changed(inputs):
            target = original(inputs).clone()
            if grid_index is not None:
                target[0, grid_index] += 1000.0
            return target

        model.compute_targets = changed
        try:
            torch.manual_seed(seed)
            return model.loss(x)['loss'].item()
        finally:
            del model.compute_targets

    reference = loss_with_target_change(None)
    assert loss_with_target_change(visible) == reference
    if outside:
        assert loss_with_target_change(outside[0]) == reference
    assert loss_with_target_change(masked) > reference + 1.0


def test_gradients_reach_encoder_predictor_and_mask_token(model):
    loss = model.loss(normalised_chips(2))['loss']
    loss.backward()
    for name in ('backbone.patch_embed.projection.weight', 'backbone.cls_token',
                 'backbone.layers.0.attn.qkv.weight', 'backbone.layers.1.ffn.layers.1.weight',
                 'backbone.ln1.weight', 'backbone.mask_token', 'neck.embed.weight',
                 'neck.layers.0.attn.qkv.weight', 'neck.layers.1.ffn.layers.1.weight',
                 'neck.norm.weight', 'neck.pred.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    # every trainable parameter is in the loss path (DDP without find_unused_parameters)
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert unused == []
    assert not model.backbone.pos_embed.requires_grad


def test_positions_are_fixed_sincos_of_the_full_image(model):
    expected = build_2d_sincos_position_embedding(8, 32, cls_token=True)
    assert torch.equal(model.backbone.pos_embed.data, expected)
    # a flat image: window features differ only through where the window sits in the image
    x = torch.zeros(1, 1, 32, 32)
    pattern = torch.zeros(1, 2, 16, dtype=torch.bool)
    pattern[..., :12] = True
    same = window_patch_indices(torch.tensor([[0, 0]]), torch.tensor([[0, 0]]), 8, 4)
    moved = window_patch_indices(torch.tensor([[0, 3]]), torch.tensor([[0, 2]]), 8, 4)
    model.eval()
    with torch.no_grad():
        f_same = model.backbone(x, same, pattern)
        f_moved = model.backbone(x, moved, pattern)
    assert torch.allclose(f_same[0], f_same[1])
    assert not torch.allclose(f_moved[0], f_moved[1], atol=1e-3)
    # and it stays fixed when training
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    model.loss(normalised_chips(2))['loss'].backward()
    opt.step()
    assert torch.equal(model.backbone.pos_embed.data, expected)


def test_backbone_weights_load_into_a_plain_vision_transformer(model):
    """The pretrained backbone is a plain mmpretrain VisionTransformer state dict."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        vit = MODELS.build(
            dict(
                type='VisionTransformer',
                in_channels=1,
                img_size=32,
                patch_size=4,
                out_type='featmap',
                arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)))
    weights = model.backbone.state_dict()
    weights.pop('mask_token')  # the only key a plain ViT lacks
    vit.load_state_dict(weights, strict=True)
    x = torch.randn(2, 1, 32, 32)
    model.eval()
    vit.eval()
    with torch.no_grad():
        assert torch.allclose(vit(x)[0], model.extract_feat(x)[0], atol=1e-6)


def test_bad_set_ups_are_refused():
    with pytest.raises(ValueError, match='patch_size'):
        build(tiny_cfg(target_generator=dict(type=STAND_IN, patch_size=8)))
    with pytest.raises(ValueError, match='does not fit'):
        build(tiny_cfg(window_size=9))
    model = build(tiny_cfg())
    with pytest.raises(ValueError, match='multiple of the patch size'):
        model.loss(torch.randn(1, 1, 30, 32))
    with pytest.warns(UserWarning, match='find_unused_parameters'):
        build(
            tiny_cfg(
                backbone=dict(
                    arch=dict(embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64),
                    img_size=32,
                    patch_size=4,
                    out_type='avg_featmap')))


def test_bfloat16_autocast(model):
    x = normalised_chips(2)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = model.loss(x)['loss']
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert model.backbone.mask_token.grad.abs().sum() > 0


def test_distributed_data_parallel_without_unused_parameters(model, tmp_path):
    """DDP with find_unused_parameters=False fails on the 2nd step if a parameter got no grad."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    assert not dist.is_initialized()
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0, world_size=1)
    try:
        ddp = DistributedDataParallel(model, find_unused_parameters=False)
        opt = torch.optim.AdamW(ddp.parameters(), lr=1e-3)
        x = normalised_chips(2)
        for _ in range(3):
            opt.zero_grad()
            ddp(x, mode='loss')['loss'].backward()
            opt.step()
    finally:
        dist.destroy_process_group()


def test_short_training_run_lowers_the_loss():
    torch.manual_seed(0)
    model = build(tiny_cfg())
    x = normalised_chips(16, seed=1)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = model.loss(x)['loss']
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert np.isfinite(losses).all()
    assert last < 0.5 * first, losses


# ----------------------------------------------------------------------------- configs
@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.basename(p))
def test_config_builds_and_runs(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports['imports'] == ['sar_mm']
    model_cfg = cfg.model.copy()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor  # as the Runner merges it
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert MODELS.get(model_cfg.target_generator.type) is not None
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
    assert isinstance(model, SARJEPA)
    bb = cfg.model.backbone
    assert model.patch_size == bb.patch_size == model.target_generator.patch_size
    assert model.backbone.patch_embed.projection.in_channels == 1
    size = bb.img_size
    amplitude = torch.rand(1, 1, size, size) * 2 * cfg.data_preprocessor.std[0]
    x = (amplitude - cfg.data_preprocessor.mean[0]) / cfg.data_preprocessor.std[0]
    loss = model.loss(x)['loss']
    assert torch.isfinite(loss)
    loss.backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert unused == []


def test_paper_config_settings():
    cfg = Config.fromfile(PAPER_CONFIG)
    m = cfg.model
    assert (m.backbone.arch, m.backbone.patch_size, m.backbone.img_size) == ('b', 16, 224)
    assert (m.num_windows, m.window_size, m.mask_ratio) == (4, 7, 0.8)
    assert (m.neck.embed_dims, m.neck.num_layers, m.neck.num_heads) == (512, 8, 16)
    assert m.target_generator.type == 'SARGradientTarget'
    assert tuple(m.target_generator.radii) == (5, 9, 13, 17)
    assert cfg.train_dataloader.batch_size == 75
    assert list(cfg.train_dataloader.dataset.roots) == ['MSAR', 'SAR-Ship', 'SARSim', 'SAMPLE']
    assert cfg.train_dataloader.dataset.type == 'SARUnlabeledDataset'
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay) == ('AdamW', 1e-3, 0.05)
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)
    assert cfg.train_cfg.max_epochs == 300
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end, cosine.type, cosine.begin,
            cosine.end) == ('LinearLR', 20, 'CosineAnnealingLR', 20, 300)
    steps = [t['type'] for t in cfg.train_pipeline]
    assert steps == [
        'LoadSARImage', 'RandomResizedCrop', 'RandomFlip', 'RandomSpeckle', 'RandomCalibrationGain',
        'PackInputs'
    ]
    assert cfg.train_pipeline[1].crop_ratio_range == (0.2, 1.0)


def test_tiny_config_trains_in_the_runner_with_amp(synthetic_root, tmp_path):
    """Pipeline, preprocessor, model and bf16 autocast together for a few iterations."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = osp.join(synthetic_root, 'unlabeled')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=4, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False)
    cfg.optim_wrapper.type = 'CPUAutocastOptimWrapper'
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 4 and np.isfinite(losses).all()
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_4.pth'))
