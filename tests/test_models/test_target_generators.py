"""SAR-JEPA target generators against slow references written from the definitions."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

import sar_mm  # noqa: F401  (registers the generators)
from sar_mm.models.target_generators import (HOGTarget, LowPassTarget, PixelTarget,
                                             SARGradientTarget, SARHOGTarget)

ALL = ('SARGradientTarget', 'PixelTarget', 'LowPassTarget', 'SARHOGTarget', 'HOGTarget')


def _speckled(shape, seed=0, low=0.2):
    """Positive SAR-like amplitudes: a smooth pattern with a bright block times speckle."""
    rng = np.random.RandomState(seed)
    b, c, h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    base = 1.0 + 0.5 * np.sin(yy / 3.0) * np.cos(xx / 5.0)
    base[h // 3:h // 2, w // 4:w // 2] *= 20.0  # a bright target with sharp edges
    img = base * rng.rayleigh(1.0, size=shape) + low
    return torch.from_numpy(img.astype(np.float32))


# ---------------------------------------------------------------------------------------------
# slow references, float64 numpy, straight from the definitions
def _window_weights(r, window):
    """Weights of the up window, (r+1, 2r+1): rows offsets -r..0, cols -r..r."""
    if window == 'box':
        return np.ones((r + 1, 2 * r + 1))
    sigma = r / 2.0
    di = np.arange(-r, 1)[:, None]
    dj = np.arange(-r, r + 1)[None, :]
    return np.exp(-(di**2 + dj**2) / (2 * sigma**2))


def _reference_gradients(img, r, eps, window='box'):
    """(g_x, g_y) of one (H, W) image by explicit per-pixel weighted window means."""
    h, w = img.shape
    p = np.pad(np.maximum(img.astype(np.float64), 0) + eps, r, mode='reflect')
    up_w = _window_weights(r, window)  # rows i-r..i, cols j-r..j+r
    down_w = up_w[::-1]  # rows i..i+r (weight mirrored)
    left_w = up_w.T  # rows i-r..i+r, cols j-r..j
    right_w = left_w[:, ::-1]  # cols j..j+r
    gx, gy = np.empty((h, w)), np.empty((h, w))
    for i in range(h):
        for j in range(w):
            ci, cj = i + r, j + r  # pixel in padded coords
            up = (p[ci - r:ci + 1, cj - r:cj + r + 1] * up_w).sum() / up_w.sum()
            down = (p[ci:ci + r + 1, cj - r:cj + r + 1] * down_w).sum() / down_w.sum()
            left = (p[ci - r:ci + r + 1, cj - r:cj + 1] * left_w).sum() / left_w.sum()
            right = (p[ci - r:ci + r + 1, cj:cj + r + 1] * right_w).sum() / right_w.sum()
            gy[i, j] = math.log(up / down)
            gx[i, j] = math.log(left / right)
    return gx, gy


def _reference_maps(x, radii, eps, window='box'):
    b, c, h, w = x.shape
    out = np.empty((b, c * len(radii), h, w))
    for bi in range(b):
        for ci in range(c):
            for k, r in enumerate(radii):
                gx, gy = _reference_gradients(x[bi, ci].numpy(), r, eps, window)
                out[bi, ci * len(radii) + k] = np.sqrt(gx**2 + gy**2)
    return out


def _manual_patchify(maps, p):
    """Row-major patches, each the concatenation of every map's p x p block (row-major)."""
    b, k, h, w = maps.shape
    rows = []
    for bi in range(b):
        patches = []
        for pi in range(h // p):
            for pj in range(w // p):
                block = maps[bi, :, pi * p:(pi + 1) * p, pj * p:(pj + 1) * p]
                patches.append(torch.cat([block[kk].reshape(-1) for kk in range(k)]))
        rows.append(torch.stack(patches))
    return torch.stack(rows)


# ---------------------------------------------------------------------------------------------
# SARGradientTarget
@pytest.mark.parametrize('window', ['box', 'gaussian'])
def test_sar_gradient_matches_slow_reference(window):
    x = _speckled((2, 2, 37, 29), seed=1)
    radii = (1, 4, 9, 17)
    gen = SARGradientTarget(radii=radii, window=window, eps=0.01, patch_size=1)
    maps = gen.feature_maps(x)
    assert maps.shape == (2, 2 * len(radii), 37, 29) and maps.dtype == torch.float32
    ref = _reference_maps(x, radii, 0.01, window)
    assert np.abs(maps.numpy() - ref).max() <= 1e-4
    assert ref.max() > 0.5  # the test image has real edges


@pytest.mark.parametrize('window', ['box', 'gaussian'])
def test_sar_gradient_components_and_huge_radius(window):
    """g_x, g_y signs/orientation, and radii larger than the image (repeated reflection)."""
    x = _speckled((1, 1, 8, 6), seed=2)
    radii = (2, 9)
    gen = SARGradientTarget(radii=radii, window=window, eps=0.05, patch_size=1)
    gx, gy = gen.ratio_gradients(x)
    assert gx.shape == gy.shape == (1, 1, 2, 8, 6)
    for k, r in enumerate(radii):
        rx, ry = _reference_gradients(x[0, 0].numpy(), r, 0.05, window)
        assert np.abs(gx[0, 0, k].numpy() - rx).max() <= 1e-4
        assert np.abs(gy[0, 0, k].numpy() - ry).max() <= 1e-4


def test_sar_gradient_sign_convention():
    """Bright top half: g_y > 0 (log up/down) on the edge; bright left half: g_x > 0."""
    top = torch.ones(1, 1, 16, 16)
    top[..., :8, :] = 10
    gx, gy = SARGradientTarget(radii=(2, ), patch_size=1).ratio_gradients(top)
    assert gy[0, 0, 0, 8, 5] > 1 and gx.abs().max() < 1e-5
    gx, gy = SARGradientTarget(radii=(2, ), patch_size=1).ratio_gradients(top.transpose(2, 3))
    assert gx[0, 0, 0, 5, 8] > 1 and gy.abs().max() < 1e-5


def test_box_is_accurate_with_huge_dynamic_range():
    """Dark pixels next to very bright ones: float32 integral images would lose the dark sums."""
    x = torch.full((1, 1, 64, 64), 1.0)
    x[..., :, :4] = 1e7
    x[..., 40:, 50:] = 2.0
    gen = SARGradientTarget(radii=(3, ), eps=0.01, patch_size=1)
    ref = _reference_maps(x, (3, ), 0.01)
    assert np.abs(gen.feature_maps(x).numpy() - ref).max() <= 1e-4


@pytest.mark.parametrize('window', ['box', 'gaussian'])
def test_sar_gradient_scale_invariant(window):
    x = _speckled((2, 1, 32, 48), seed=3, low=0.5)
    gen = SARGradientTarget(window=window, eps=1e-6, patch_size=16)
    a = gen.feature_maps(x)
    for scale in (7.0, 1e3, 1e5):  # x >= 0.5: eps / x <= 2e-6
        assert torch.allclose(gen.feature_maps(x * scale), a, atol=1e-4, rtol=0)
    assert a.abs().max() > 0.5
    # with a visible eps the invariance only holds approximately: the test can tell
    coarse = SARGradientTarget(window=window, eps=0.5, patch_size=16)
    assert (coarse.feature_maps(x * 1e-2) - coarse.feature_maps(x)).abs().max() > 1e-2


@pytest.mark.parametrize('window', ['box', 'gaussian'])
@pytest.mark.parametrize('value', [0.0, 1e-3, 1.0, 3e5])
def test_sar_gradient_zero_on_constant(window, value):
    x = torch.full((2, 2, 32, 16), value)
    gen = SARGradientTarget(window=window, patch_size=16)
    maps = gen.feature_maps(x)
    assert torch.isfinite(maps).all() and maps.abs().max() < 1e-5
    assert gen(x).abs().max() < 1e-5


def test_sar_gradient_clamps_negatives():
    x = _speckled((1, 1, 32, 32), seed=4) - 1.0  # some negative values
    assert (x < 0).any()
    gen = SARGradientTarget(patch_size=16)
    assert torch.equal(gen.feature_maps(x), gen.feature_maps(x.clamp(min=0)))
    assert torch.isfinite(gen(x)).all()


@pytest.mark.parametrize('window', ['box', 'gaussian'])
def test_sar_gradient_chunking_does_not_change_results(window, monkeypatch):
    import sar_mm.models.target_generators.sar_gradient as module
    x = _speckled((3, 2, 32, 48), seed=5)
    gen = SARGradientTarget(window=window, radii=(2, 7), patch_size=16)
    whole = gen.feature_maps(x)
    gx, gy = gen.ratio_gradients(x)
    monkeypatch.setattr(module, '_CHUNK_BYTES', 1)  # one image per chunk
    assert torch.equal(gen.feature_maps(x), whole)
    gx1, gy1 = gen.ratio_gradients(x)
    assert torch.equal(gx1, gx) and torch.equal(gy1, gy)
    assert torch.allclose(torch.hypot(gx, gy).flatten(1, 2), whole)


def test_forward_is_row_major_patchify_of_feature_maps():
    x = _speckled((2, 2, 48, 32), seed=6)
    gen = SARGradientTarget(radii=(3, 5), patch_size=16)
    out = gen(x)
    assert out.shape == (2, 6, 2 * 2 * 16 * 16) and out.dtype == torch.float32
    assert gen.out_dim(2) == out.shape[-1]
    assert torch.equal(out, _manual_patchify(gen.feature_maps(x), 16))
    # channel-major maps: index c * len(radii) + k
    alone = SARGradientTarget(radii=(5, ), patch_size=16).feature_maps(x[:, 1:2])
    assert torch.equal(gen.feature_maps(x)[:, 3:4], alone)


@pytest.mark.parametrize('name', ALL)
def test_norm_per_patch_statistics(name):
    x = _speckled((2, 1, 32, 48), seed=7)
    plain = MODELS.build(dict(type=name, patch_size=16))
    normed = MODELS.build(dict(type=name, patch_size=16, norm_per_patch=True))
    t, n = plain(x), normed(x)
    assert n.shape == t.shape == (2, 6, plain.out_dim(1))
    assert n.mean(-1).abs().max() < 1e-4
    assert (n.var(-1, unbiased=False) - 1).abs().max() < 1e-3
    mean, var = t.mean(-1, keepdim=True), t.var(-1, unbiased=False, keepdim=True)
    assert torch.allclose(n, (t - mean) / (var + 1e-6).sqrt(), atol=1e-5)


def test_norm_per_patch_constant_patch_is_zero():
    gen = PixelTarget(patch_size=4, norm_per_patch=True)
    out = gen(torch.full((1, 1, 8, 8), 3.0))
    assert torch.isfinite(out).all() and out.abs().max() == 0


@pytest.mark.parametrize('name', ALL)
@pytest.mark.parametrize('size', [(30, 32), (32, 20), (8, 8)])
def test_bad_sizes_raise(name, size):
    gen = MODELS.build(dict(type=name, patch_size=16))
    with pytest.raises(ValueError, match='patch_size'):
        gen(torch.rand(1, 1, *size))


@pytest.mark.parametrize('name', ALL)
def test_bad_inputs_raise(name):
    gen = MODELS.build(dict(type=name, patch_size=16))
    with pytest.raises(ValueError):
        gen(torch.rand(1, 32, 32))
    with pytest.raises(ValueError):
        gen(torch.rand(1, 0, 32, 32))


@pytest.mark.parametrize('cfg', [
    dict(type='SARGradientTarget', radii=()),
    dict(type='SARGradientTarget', radii=(0, 3)),
    dict(type='SARGradientTarget', window='hann'),
    dict(type='SARGradientTarget', eps=0),
    dict(type='SARGradientTarget', patch_size=0),
    dict(type='LowPassTarget', sigma=0),
    dict(type='SARHOGTarget', bins=0),
    dict(type='HOGTarget', pool=6),
    dict(type='HOGTarget', gaussian_window=32)
])
def test_bad_arguments_raise(cfg):
    with pytest.raises(ValueError):
        MODELS.build(cfg)


@pytest.mark.parametrize('name', ALL)
def test_builds_by_name_and_runs(name):
    gen = MODELS.build(dict(type=name))
    assert type(gen).__name__ == name
    x = _speckled((3, 2, 32, 64), seed=8).requires_grad_()
    out = gen(x)
    assert out.shape == (3, 8, gen.out_dim(2)) and out.dtype == torch.float32
    assert not out.requires_grad and torch.isfinite(out).all()
    maps = gen.feature_maps(x)
    assert maps.dim() == 4 and maps.shape[0] == 3 and maps.shape[-2:] == (32, 64)
    assert not maps.requires_grad
    # other dtypes are computed in float32
    assert gen(x.detach().double()).dtype == torch.float32
    assert torch.allclose(gen(x.detach().double()), out, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('name', ALL)
def test_gpu_matches_cpu(name):
    gen = MODELS.build(dict(type=name))
    x = _speckled((2, 1, 32, 48), seed=9)
    cpu = gen(x)
    gpu = gen.cuda()(x.cuda())
    assert gpu.is_cuda and torch.allclose(gpu.cpu(), cpu, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# baselines
def test_pixel_target():
    x = _speckled((2, 3, 32, 16), seed=10)
    gen = PixelTarget(patch_size=8)
    assert torch.equal(gen.feature_maps(x), x)
    assert torch.equal(gen(x), _manual_patchify(x, 8))
    assert gen.out_dim(3) == 3 * 64


def test_low_pass_target_matches_scipy():
    ndimage = pytest.importorskip('scipy.ndimage')
    x = _speckled((2, 2, 32, 48), seed=11)
    for sigma in (0.7, 2.0):
        gen = LowPassTarget(sigma=sigma, patch_size=16)
        maps = gen.feature_maps(x)
        ref = np.stack([
            np.stack([
                ndimage.gaussian_filter(
                    x[b, c].double().numpy(), sigma, mode='mirror', truncate=gen.radius / sigma)
                for c in range(2)
            ]) for b in range(2)
        ])
        assert np.abs(maps.numpy() - ref).max() <= 1e-4
        assert torch.equal(gen(x), _manual_patchify(maps, 16))
    # it does smooth: the variance drops
    assert LowPassTarget(sigma=2.0).feature_maps(x).var() < 0.5 * x.var()


def _reference_sar_hog(x, radii, bins, patch, eps, signed=False, l2=True):
    b, c, h, w = x.shape
    period = 2 * math.pi if signed else math.pi
    nh, nw = h // patch, w // patch
    out = np.zeros((b, nh * nw, c, len(radii), bins))
    for bi in range(b):
        for ci in range(c):
            for k, r in enumerate(radii):
                gx, gy = _reference_gradients(x[bi, ci].numpy(), r, eps)
                mag = np.sqrt(gx**2 + gy**2)
                gx[np.abs(gx) < 1e-5] = 0  # documented: noise-level components are 0
                gy[np.abs(gy) < 1e-5] = 0
                theta = np.mod(np.arctan2(gy, gx), period)
                idx = np.minimum((theta / period * bins).astype(int), bins - 1)
                for i in range(h):
                    for j in range(w):
                        out[bi, (i // patch) * nw + j // patch, ci, k, idx[i, j]] += mag[i, j]
    if l2:
        norm = np.sqrt((out**2).sum(-1, keepdims=True))
        out = out / np.maximum(norm, 1e-12)
    return out.reshape(b, nh * nw, -1)


@pytest.mark.parametrize('signed', [False, True])
def test_sar_hog_matches_reference(signed):
    x = _speckled((2, 2, 16, 24), seed=12)
    gen = SARHOGTarget(radii=(1, 3), bins=9, signed=signed, patch_size=8)
    out = gen(x)
    assert out.shape == (2, 6, 2 * 2 * 9) and gen.out_dim(2) == 36
    ref = _reference_sar_hog(x, (1, 3), 9, 8, 0.01, signed=signed)
    assert np.abs(out.numpy() - ref).max() <= 1e-4
    hist = out.view(2, 6, 2, 2, 9)
    assert torch.allclose(hist.norm(dim=-1), torch.ones(2, 6, 2, 2), atol=1e-5)
    assert torch.equal(gen.feature_maps(x), SARGradientTarget(radii=(1, 3)).feature_maps(x))


def test_sar_hog_unnormalised_sums_magnitudes_and_is_scale_invariant():
    x = _speckled((1, 1, 32, 32), seed=13, low=0.5)
    gen = SARHOGTarget(radii=(2, 5), l2_normalize=False, eps=1e-6, patch_size=16)
    out = gen(x).view(1, 4, 2, 9)
    mags = _manual_patchify(gen.feature_maps(x), 16).view(1, 4, 2, 256)
    assert torch.allclose(out.sum(-1), mags.sum(-1), rtol=1e-5)
    assert torch.allclose(gen(x * 300.0), gen(x), rtol=1e-3, atol=1e-3)
    assert SARHOGTarget(patch_size=16)(torch.full((1, 1, 32, 32), 4.0)).abs().max() < 1e-4


def test_hog_target_equals_mmpretrain_hog_generator():
    from mmpretrain.models.selfsup.maskfeat import HOGGenerator
    x = torch.rand(2, 3, 224, 224)
    ref = HOGGenerator(nbins=9, pool=8, gaussian_window=16)(x)
    gen = HOGTarget(nbins=9, pool=8, gaussian_window=16, patch_size=16)
    out = gen(x)
    assert out.shape == ref.shape == (2, 196, 108) and gen.out_dim(3) == 108
    assert torch.equal(out, ref)
    # one channel: not repeated, its block equals the first block of the repeated image
    one = gen(x[:, :1])
    assert one.shape == (2, 196, 36)
    assert torch.equal(one, HOGGenerator()(x[:, :1].repeat(1, 3, 1, 1))[..., :36])
    # more channels than 3: groups of three
    five = gen(torch.cat([x, x[:, :2]], 1))
    assert torch.equal(five[..., :108], out) and torch.equal(five[..., 108:], out[..., :72])


def test_hog_target_non_square_keeps_image_cells():
    """A 32 x 64 image gives the cells HOGGenerator gives for the top half of a 64 x 64 image
    whose row 32 mirrors row 30 (what reflect padding puts below the 32 x 64 image)."""
    torch.manual_seed(0)
    top = torch.rand(1, 1, 32, 64)
    rest = torch.cat([top[:, :, 30:31], torch.rand(1, 1, 31, 64)], dim=2)
    square = torch.cat([top, rest], dim=2)
    gen = HOGTarget(patch_size=16)
    tall = gen(square)  # (1, 16, 36): patches of rows 0-1 are the first 8
    assert torch.equal(gen(top), tall[:, :8])
    wide = gen(square.transpose(2, 3))
    expected = wide.view(1, 4, 4, 36)[:, :, :2].reshape(1, 8, 36)
    assert torch.equal(gen(top.transpose(2, 3)), expected)
    maps = gen.feature_maps(top)
    assert maps.shape == (1, 1, 32, 64) and maps.abs().max() > 0
