"""SARJEPA as backbone + neck + head: the pre-decomposition loss, old checkpoints, reference mode.

``RECORDED`` holds the loss and three gradient norms the pre-decomposition ``SARJEPA`` (one
module with the predictor inline, ``git show ac6af68:sar_mm/models/selfsup/sar_jepa.py``) gave
for the models of :func:`cfg`, weights filled by :func:`fill_old_keys` (``randn * 0.1`` from a
generator seeded 1234, in the sorted order of the *old* key names), the input of :func:`inputs`
and ``torch.manual_seed(seed)`` before ``loss``. The decomposed model, loaded with that
old-named state dict, must give the same values.
"""
import math

import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import sar_mm  # noqa: F401
from sar_mm.models.selfsup import local_window_masking, num_masked_per_window
from sar_mm.models.selfsup.masking import sample_batch_window_positions

RECORDED = {
    'tiny': {
        0: (0.20809391140937805, 5.122604125062935e-05, 0.11693190783262253, 0.0019774280954152346),
        1: (0.2020871788263321, 6.131811096565798e-05, 0.11477456241846085, 0.001939596375450492),
        2: (0.18879641592502594, 5.210740346228704e-05, 0.11219807714223862, 0.0018842018907889724)
    },
    'five_windows_s3': {
        0: (0.19984284043312073, 9.111636609304696e-05, 0.1142503097653389, 0.001953765284270048),
        1: (0.1913476586341858, 0.0001284121535718441, 0.1120222806930542, 0.0019196406938135624),
        2: (0.2053082287311554, 0.00012876895198132843, 0.1162114366889, 0.00198703003115952)
    },
}
OLD_NAMES = {
    'backbone.mask_token': 'mask_token',
    'neck.embed.': 'predictor_embed.',
    'neck.layers.': 'predictor_layers.',
    'neck.norm.': 'predictor_norm.',
    'neck.pred.': 'predictor_head.'
}


def cfg(**overrides):
    c = dict(
        type='SARJEPA',
        backbone=dict(
            type='VisionTransformer',  # the old configs' type
            arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
            img_size=32,
            patch_size=4,
            out_type='featmap'),
        target_generator=dict(
            type='SARGradientTarget', radii=(1, 2), window='box', eps=0.01, patch_size=4),
        predictor_dim=24,
        predictor_depth=2,
        predictor_num_heads=2,
        num_windows=3,
        window_size=4,
        mask_ratio=0.8,
        data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0.5], std=[0.25]))
    c.update(overrides)
    return c


CASES = {'tiny': cfg(), 'five_windows_s3': cfg(num_windows=5, window_size=3, mask_ratio=0.5)}


def build(c):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(c)


def old_name(key):
    for new, old in OLD_NAMES.items():
        if key.startswith(new):
            return old + key[len(new):]
    return key


def fill_old_keys(model):
    """The old-named state dict of the recording: pos_embed kept, the rest random."""
    shapes = {old_name(k): v.shape for k, v in model.state_dict().items()}
    gen = torch.Generator().manual_seed(1234)
    state = {
        k: torch.randn(shapes[k], generator=gen) * 0.1
        for k in sorted(shapes) if k != 'backbone.pos_embed'
    }
    state['backbone.pos_embed'] = model.backbone.pos_embed.detach().clone()
    return state


def inputs():
    return torch.randn(4, 1, 32, 32, generator=torch.Generator().manual_seed(5)) * 2.0


@pytest.mark.parametrize('case', sorted(CASES))
def test_same_loss_and_gradients_as_before_the_decomposition(case):
    model = build(CASES[case])
    assert type(model.backbone).__name__ == 'SARJEPAViT'
    model.load_state_dict(fill_old_keys(model), strict=True)  # old keys renamed on loading
    x = inputs()
    for seed, (loss_ref, patch_ref, head_ref, mask_ref) in RECORDED[case].items():
        torch.manual_seed(seed)
        loss = model.loss(x)['loss']
        loss.backward()
        assert loss.item() == pytest.approx(loss_ref, abs=1e-6)
        assert model.backbone.patch_embed.projection.weight.grad.norm().item() == \
            pytest.approx(patch_ref, rel=1e-4)
        assert model.neck.pred.weight.grad.norm().item() == pytest.approx(head_ref, rel=1e-4)
        assert model.backbone.mask_token.grad.norm().item() == pytest.approx(mask_ref, rel=1e-4)
        model.zero_grad()


def test_neck_and_head_configs_build_the_same_model_as_the_old_arguments():
    old = build(cfg())
    new = build(
        cfg(backbone=dict(cfg()['backbone'], type='SARJEPAViT'),
            predictor_dim=None,
            predictor_depth=None,
            predictor_num_heads=None,
            neck=dict(type='SARJEPAPredictor', embed_dims=24, num_layers=2, num_heads=2),
            head=dict(type='SARJEPAHead')))
    assert {k: v.shape for k, v in old.state_dict().items()} == \
        {k: v.shape for k, v in new.state_dict().items()}
    with pytest.raises(ValueError, match='either as neck= or'):
        build(cfg(neck=dict(embed_dims=24)))


def test_reference_mode_with_irpe_trains():
    model = build(
        cfg(backbone=dict(cfg()['backbone'], rpe_cfg=dict(), with_abs_pos_embed=False),
            predictor_dim=None,
            predictor_depth=None,
            predictor_num_heads=None,
            neck=dict(embed_dims=24, num_layers=2, num_heads=2, rpe_cfg=dict()),
            window_sampling='per_batch',
            mask_count_rounding='floor'))
    assert model.backbone.pos_embed is None and model.num_masked == 12  # int(16 * 0.8)
    assert model.backbone.layers[0].attn.rpe_k.lookup_table_weight.shape == (1, 16, 50)
    assert model.neck.layers[0].attn.rpe_k.lookup_table_weight.shape == (1, 12, 50)
    loss = model.loss(inputs())['loss']
    loss.backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert unused == [] and torch.isfinite(loss)


IRPE_CFG = cfg(
    backbone=dict(cfg()['backbone'], rpe_cfg=dict(), with_abs_pos_embed=False),
    predictor_dim=None,
    predictor_depth=None,
    predictor_num_heads=None,
    neck=dict(embed_dims=24, num_layers=2, num_heads=2, rpe_cfg=dict()),
    window_sampling='per_batch',
    mask_count_rounding='floor')


@pytest.mark.parametrize('c', [cfg(), IRPE_CFG], ids=['sincos', 'irpe'])
def test_loss_on_masked_rows_only_is_the_full_loss(c):
    """SARJEPA.loss asks the predictor for the masked patches only (the last block's FFN, the
    norm and the head on those rows): the loss and every gradient are those of the full
    predictor output read at the masked patches."""
    model = build(c)
    params = [p for p in model.parameters() if p.requires_grad]
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # random weights, iRPE tables included
        for p in params:
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    x = inputs()
    results = []
    for rows_only in (True, False):
        if not rows_only:
            model._masked_patches = lambda mask: None  # the full path
        torch.manual_seed(3)
        loss = model.loss(x)['loss']
        results.append([loss] + list(torch.autograd.grad(loss, params)))
    del model._masked_patches
    for fast, full in zip(*results):
        torch.testing.assert_close(fast, full, rtol=1e-5, atol=1e-7)

    torch.manual_seed(3)
    indices, mask = model.sample_windows(x)
    keep = model._masked_patches(mask)
    assert keep.shape == (12, model.num_masked)
    assert torch.equal(
        torch.zeros_like(mask).view(12, -1).scatter_(1, keep, True), mask.view(12, -1))
    latent = model.backbone(x, indices, mask)
    full = model.neck(latent)
    torch.testing.assert_close(
        model.neck(latent, keep=keep),
        full.gather(1, keep[..., None].expand(-1, -1, full.shape[-1])),
        rtol=1e-5,
        atol=1e-6)
    with pytest.raises(ValueError, match='keep must be'):
        model.neck(latent, keep=keep[0])
    target = model.compute_targets(x)
    with pytest.raises(ValueError, match='are not those of the'):
        model.head.loss(full, target, mask, indices, masked_only=True)
    # windows with different masked counts, or another head: the full path
    uneven = mask.clone()
    uneven[0, 0, keep[0, 0]] = False
    assert model._masked_patches(uneven) is None
    model.head = torch.nn.Module()
    assert model._masked_patches(mask) is None


def test_predictor_without_blocks_keeps_rows():
    from sar_mm.models.necks import SARJEPAPredictor
    neck = SARJEPAPredictor(in_channels=8, embed_dims=4, num_layers=0, num_heads=2, out_channels=3)
    x = torch.randn(2, 1 + 9, 8)
    keep = torch.tensor([[0, 4, 8], [1, 2, 3]])
    full = neck(x)
    torch.testing.assert_close(
        neck(x, keep=keep), full.gather(1, keep[..., None].expand(-1, -1, 3)))


# ----------------------------------------------------------- the reference's window sampling
def reference_windows(batch, grid, num_window, window_size, mask_ratio):
    """Re-implementation, from reading it, of SAR-JEPA's ``forward_encoder`` and
    ``generate_window_patches`` (Pretraining/models_lomar.py) on the global RNG: the window
    patch indices (M, P), the masked grid ids per (sample, window) and the mask as its
    (N*M, P) ``mask_indices`` viewed (N, M, P)."""
    h = w = grid
    tops = torch.randperm(h - window_size + 1)[:num_window]
    lefts = torch.randperm(w - window_size + 1)[:num_window]
    m = lefts.shape[0]
    row = torch.arange(window_size)[None].expand(m, window_size) + lefts[:, None]
    column = torch.arange(0, window_size * w, w)[None].expand(m, window_size) + tops[:, None] * w
    patches = (row[:, None, :] + column[:, :, None]).reshape(m, -1)  # (M, P)
    count = int(window_size * window_size * mask_ratio)
    noise = torch.rand(batch, m, patches.shape[1])
    keep = torch.argsort(noise, dim=-1)[..., :count]
    masked_ids = torch.gather(patches[None].expand(batch, -1, -1), -1, keep)  # (N, M, count)
    mask = (patches[None, :, :, None] == masked_ids[:, :, None, :]).any(-1)  # (N, M, P)
    return tops, lefts, patches, mask


@pytest.mark.parametrize('grid, windows, size, ratio', [(14, 4, 7, 0.8), (8, 4, 7, 0.8),
                                                        (16, 4, 8, 0.8), (8, 4, 4, 0.8)])
def test_per_batch_sampling_is_the_reference_draw(grid, windows, size, ratio):
    for seed in range(5):
        torch.manual_seed(seed)
        tops, lefts, patches, mask = reference_windows(6, grid, windows, size, ratio)
        torch.manual_seed(seed)
        indices, ours = local_window_masking(
            6, grid, windows, size, ratio, sampling='per_batch', rounding='floor')
        assert torch.equal(indices, patches[None].expand(6, -1, -1))
        assert torch.equal(ours, mask)
        assert (ours.sum(-1) == int(size * size * ratio)).all()


def test_per_batch_corner_distribution_and_small_grid():
    gen = torch.Generator().manual_seed(0)
    seen_tops, count = torch.zeros(8, dtype=torch.long), 0
    for _ in range(400):
        tops, lefts = sample_batch_window_positions(14, 4, 7, generator=gen)
        assert len(tops) == len(lefts) == 4
        assert len(set(tops.tolist())) == 4 and len(set(lefts.tolist())) == 4  # no shared row
        seen_tops += torch.bincount(tops, minlength=8)
        count += 4
    # uniform over the 8 admissible rows: 200 each, binomial sd ~ 13
    assert (seen_tops - count / 8).abs().max() < 60
    # 128 px / 16-px patches = 8 x 8 grid, 7 x 7 windows: randperm(2) -> only 2 windows
    indices, mask = local_window_masking(
        3, 8, 4, 7, 0.8, sampling='per_batch', generator=torch.Generator().manual_seed(1))
    assert indices.shape == mask.shape == (3, 2, 49)
    assert torch.equal(indices[0], indices[2])  # one set of corners for the batch
    corners = {(int(i[0]) // 8, int(i[0]) % 8) for i in indices[0]}
    assert corners in ({(0, 0), (1, 1)}, {(0, 1), (1, 0)})
    with pytest.warns(UserWarning, match='places only 2 of num_windows=4'):
        build(
            cfg(backbone=dict(cfg()['backbone'], img_size=128, patch_size=16),
                target_generator=dict(type='SARGradientTarget', radii=(1, 2), patch_size=16),
                num_windows=4,
                window_size=7,
                window_sampling='per_batch'))


@pytest.mark.parametrize('size, ratio', [(7, 0.8), (4, 0.8), (10, 0.29), (5, 0.7), (3, 0.5)])
def test_floor_rounding_is_the_reference_truncation(size, ratio):
    assert num_masked_per_window(size, ratio, 'floor') == int(size * size * ratio)
    assert num_masked_per_window(size, ratio) == math.floor(size * size * ratio + 0.5 + 1e-9)
    with pytest.raises(ValueError, match='rounding'):
        num_masked_per_window(size, ratio, 'round')
