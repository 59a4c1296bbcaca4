import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from sar_mm.datasets.transforms import DRAAPercentileTruncation, DRAAToneMapping


def _amplitude(shape, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rayleigh(1.0, size=shape).astype(np.float32) + 0.05


def _reference_tone(img, b, u=0.169, lam=1e-4):
    """The DRAA formulas evaluated directly, channel by channel, after dividing by the max."""
    out = np.empty(img.shape, np.float64)
    for c in range(img.shape[2]):
        x = img[..., c].astype(np.float64) / img[..., c].max()
        a = lam * x + (1 - lam) * u
        m = 0.3 + 0.7 * ((1 - u) / (1 - x.min()))**1.4
        out[..., c] = x / (x + (b * a)**m)
    return out


def _reference_truncation(img, t, lo=0.0, hi=1.0):
    out = np.empty(img.shape, np.float64)
    for c in range(img.shape[2]):
        ch = img[..., c].astype(np.float64)
        p_lo, p_hi = np.percentile(ch, t), np.percentile(ch, 100 - t)
        out[..., c] = lo + (np.clip(ch, p_lo, p_hi) - p_lo) / (p_hi - p_lo) * (hi - lo)
    return out


@pytest.mark.parametrize('channels', [1, 4])
@pytest.mark.parametrize('b', [3.5, 4.0, 6.0])
def test_tone_mapping_matches_formula(channels, b):
    img = _amplitude((20, 24, channels))
    img[0, 0] += np.arange(channels)  # different maxima per channel
    out = DRAAToneMapping(brightness_range=(b, b)).transform(dict(img=img.copy()))
    assert out['img'].dtype == np.float32 and out['img'].shape == img.shape
    assert out['draa_brightness'] == b
    np.testing.assert_allclose(out['img'], _reference_tone(img, b), rtol=1e-5, atol=1e-7)


def test_tone_mapping_per_channel_min_changes_exponent():
    """A channel whose minimum is close to its maximum gets a much steeper curve."""
    flat = np.full((8, 8, 1), 0.9, np.float32)
    flat[0, 0] = 1.0
    wide = _amplitude((8, 8, 1))
    img = np.concatenate([flat, wide], axis=2)
    out = DRAAToneMapping(test_mode=True).transform(dict(img=img.copy()))['img']
    np.testing.assert_allclose(out, _reference_tone(img, 4.0), rtol=1e-5, atol=1e-7)
    # x = 0.9 in the flat channel: m is ~14, so (b*a)^m ~ 0.004 and y ~ 1
    assert out[1, 1, 0] > 0.99


def test_tone_mapping_other_normalisations():
    img = _amplitude((10, 10, 2))
    out = DRAAToneMapping(normalize='minmax', test_mode=True).transform(dict(img=img.copy()))
    x = (img.astype(np.float64) - img.min((0, 1))) / (img.max((0, 1)) - img.min((0, 1)))
    a = 1e-4 * x + (1 - 1e-4) * 0.169
    m = 0.3 + 0.7 * (1 - 0.169)**1.4
    np.testing.assert_allclose(out['img'], x / (x + (4.0 * a)**m), rtol=1e-5, atol=1e-7)
    unit = np.clip(img / 4, 0, 1)
    none = DRAAToneMapping(normalize='none', test_mode=True).transform(dict(img=img / 4))
    direct = _reference_tone(unit, 4.0)  # divides by the max, so only equal if we undo that
    x = unit.astype(np.float64)
    m = 0.3 + 0.7 * ((1 - 0.169) / (1 - x.min((0, 1))))**1.4
    expected = x / (x + (4.0 * (1e-4 * x + (1 - 1e-4) * 0.169))**m)
    np.testing.assert_allclose(none['img'], expected, rtol=1e-5, atol=1e-7)
    assert not np.allclose(none['img'], direct)


def test_tone_mapping_test_mode_deterministic_training_random():
    img = _amplitude((16, 16, 1))
    t = DRAAToneMapping(test_mode=True)
    first, second = t(dict(img=img.copy())), t(dict(img=img.copy()))
    assert first['draa_brightness'] == second['draa_brightness'] == 4.0
    np.testing.assert_array_equal(first['img'], second['img'])

    train = DRAAToneMapping()
    draws = []
    for seed in (0, 1, 0):
        np.random.seed(seed)
        draws.append(train(dict(img=img.copy())))
    assert draws[0]['draa_brightness'] == draws[2]['draa_brightness']
    np.testing.assert_array_equal(draws[0]['img'], draws[2]['img'])
    assert draws[0]['draa_brightness'] != draws[1]['draa_brightness']
    assert not np.array_equal(draws[0]['img'], draws[1]['img'])
    for d in draws:
        assert 3.5 <= d['draa_brightness'] <= 4.5


@pytest.mark.parametrize('normalize', ['max', 'minmax', 'none'])
@pytest.mark.parametrize('b', [2.0, 4.0, 12.0])
def test_tone_mapping_edge_cases_finite(normalize, b):
    t = DRAAToneMapping(brightness_range=(b, b), normalize=normalize)
    extreme = np.geomspace(1e-30, 1e30, 60).reshape(6, 10, 1).astype(np.float32)
    cases = [
        np.zeros((5, 5, 1), np.float32),
        np.full((5, 5, 4), 7.0, np.float32),
        np.ones((5, 5, 1), np.float32), extreme,
        np.concatenate([extreme, -extreme], 2)
    ]
    for img in cases:
        out = t.transform(dict(img=img.copy()))['img']
        assert out.shape == img.shape
        assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


def test_tone_mapping_documented_limits():
    # all zero -> 0; constant positive (x = 1 = min x) -> 1 when b*a < 1, 0 when b*a > 1
    zero = DRAAToneMapping(test_mode=True).transform(dict(img=np.zeros((3, 3, 1), np.float32)))
    assert np.all(zero['img'] == 0)
    const = np.full((3, 3, 2), 5.0, np.float32)
    assert np.all(DRAAToneMapping(test_mode=True).transform(dict(img=const.copy()))['img'] == 1)
    bright = DRAAToneMapping(brightness_range=(10, 10)).transform(dict(img=const.copy()))
    assert np.all(bright['img'] == 0)
    # non-finite pixels are treated as 0
    img = _amplitude((4, 4, 1))
    img[0, 0] = np.nan
    img[1, 1] = np.inf
    out = DRAAToneMapping(test_mode=True).transform(dict(img=img))['img']
    assert np.isfinite(out).all() and out[0, 0, 0] == 0 and out[1, 1, 0] == 0


def test_tone_mapping_bad_args():
    with pytest.raises(ValueError, match='brightness_range must be > 0'):
        DRAAToneMapping(brightness_range=(0, 1))
    with pytest.raises(ValueError, match='lo <= hi'):
        DRAAToneMapping(brightness_range=(4, 3))
    with pytest.raises(ValueError, match='mean must be in'):
        DRAAToneMapping(mean=1.0)
    with pytest.raises(ValueError, match='light_adaptation'):
        DRAAToneMapping(light_adaptation=1.0)
    with pytest.raises(ValueError, match='normalize must be one of'):
        DRAAToneMapping(normalize='std')
    with pytest.raises(ValueError, match='pair'):
        DRAAToneMapping(brightness_range=4)


@pytest.mark.parametrize('channels', [1, 4])
@pytest.mark.parametrize('t', [0.0, 1.0, 2.0, 10.0])
def test_truncation_matches_formula(channels, t):
    img = _amplitude((30, 20, channels), seed=3)**3
    out = DRAAPercentileTruncation(truncation_range=(t, t)).transform(dict(img=img.copy()))
    assert out['img'].shape == img.shape and out['img'].dtype == np.float32
    assert out['draa_truncation'] == t
    np.testing.assert_allclose(out['img'], _reference_truncation(img, t), rtol=1e-5, atol=1e-6)
    assert out['img'].min() == 0 and out['img'].max() == 1


def test_truncation_out_range_and_test_mode():
    img = _amplitude((30, 20, 2), seed=4)
    t = DRAAPercentileTruncation(out_range=(-1, 255), test_mode=True)
    assert t.test_truncation == 1.0
    first, second = t(dict(img=img.copy())), t(dict(img=img.copy()))
    np.testing.assert_array_equal(first['img'], second['img'])
    assert first['draa_truncation'] == 1.0
    np.testing.assert_allclose(
        first['img'], _reference_truncation(img, 1.0, -1, 255), rtol=1e-5, atol=1e-4)
    fixed = DRAAPercentileTruncation(test_truncation=5, test_mode=True)(dict(img=img.copy()))
    assert fixed['draa_truncation'] == 5.0

    train = DRAAPercentileTruncation(truncation_range=(0, 10))
    np.random.seed(0)
    a = train(dict(img=img.copy()))
    np.random.seed(1)
    b = train(dict(img=img.copy()))
    np.random.seed(0)
    c = train(dict(img=img.copy()))
    assert a['draa_truncation'] == c['draa_truncation'] != b['draa_truncation']
    np.testing.assert_array_equal(a['img'], c['img'])
    assert not np.array_equal(a['img'], b['img'])


def test_truncation_edge_cases():
    t = DRAAPercentileTruncation(out_range=(2, 3), test_mode=True)
    for img in (np.full((6, 6, 1), 4.0, np.float32), np.zeros((6, 6, 4), np.float32)):
        out = t.transform(dict(img=img.copy()))['img']
        assert out.shape == img.shape and np.all(out == 2)
    mostly_zero = np.zeros((20, 20, 1), np.float32)
    mostly_zero[0, 0] = 1e30  # percentiles 1 and 99 are both 0 -> constant after clipping
    out = t.transform(dict(img=mostly_zero))['img']
    assert np.all(out == 2)
    extreme = np.geomspace(1e-30, 1e30, 100).reshape(10, 10, 1).astype(np.float32)
    signed = np.concatenate([extreme, -extreme, extreme * 0 + np.float32(3e38)], axis=2)
    signed[0, 0, 2] = -3e38
    out = DRAAPercentileTruncation(truncation_range=(0, 0)).transform(dict(img=signed))['img']
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert out[..., 0].max() == 1 and out[..., 2].min() == 0


def test_truncation_bad_args_and_repr():
    with pytest.raises(ValueError, match='below 50'):
        DRAAPercentileTruncation(truncation_range=(0, 50))
    with pytest.raises(ValueError, match=r'lie in \[0'):
        DRAAPercentileTruncation(truncation_range=(-1, 2))
    with pytest.raises(ValueError, match='test_truncation'):
        DRAAPercentileTruncation(test_truncation=60)
    with pytest.raises(ValueError, match='out_range must have lo < hi'):
        DRAAPercentileTruncation(out_range=(1, 1))
    with pytest.raises(ValueError, match='finite'):
        DRAAPercentileTruncation(truncation_range=(0, float('nan')))
    r = repr(DRAAPercentileTruncation(truncation_range=(0, 3), out_range=(0, 255), test_mode=True))
    assert r.startswith('DRAAPercentileTruncation(')
    for s in ('truncation_range=(0.0, 3.0)', 'test_truncation=1.5', 'out_range=(0.0, 255.0)',
              'test_mode=True'):
        assert s in r
    r = repr(DRAAToneMapping(brightness_range=(3, 5), mean=0.2, normalize='minmax'))
    for s in ('brightness_range=(3.0, 5.0)', 'mean=0.2', 'light_adaptation=0.0001',
              "normalize='minmax'", 'test_mode=False'):
        assert s in r


def test_two_dimensional_image_kept():
    img = _amplitude((7, 9))
    assert DRAAToneMapping()(dict(img=img.copy()))['img'].shape == (7, 9)
    assert DRAAPercentileTruncation()(dict(img=img.copy()))['img'].shape == (7, 9)


@pytest.mark.parametrize('scope, packer', [('mmpretrain', 'PackInputs'), ('mmdet', 'PackDetInputs'),
                                           ('mmseg', 'PackSegInputs')])
@pytest.mark.parametrize('draa', [
    dict(type='DRAAToneMapping', test_mode=True),
    dict(type='DRAAPercentileTruncation', test_mode=True)
])
def test_draa_in_each_codebase_pipeline(tmp_path, scope, packer, draa):
    img = _amplitude((16, 12))
    np.save(tmp_path / 'x.npy', img)
    with DefaultScope.overwrite_default_scope(scope):
        pipeline = Compose([dict(type='LoadSARImage'), draa, dict(type=packer)])
        out = pipeline(dict(img_path=str(tmp_path / 'x.npy')))
    assert tuple(out['inputs'].shape) == (1, 16, 12)
    if draa['type'] == 'DRAAToneMapping':
        expected = _reference_tone(img[..., None], 4.0)[..., 0]
    else:
        expected = _reference_truncation(img[..., None], 1.0)[..., 0]
    np.testing.assert_allclose(out['inputs'][0].numpy(), expected, rtol=1e-5, atol=1e-6)


def test_truncation_subsamples_large_channels_only():
    rng = np.random.default_rng(7)
    img = rng.gamma(1.0, 1.0, (300, 300, 1)).astype(np.float32)
    exact = DRAAPercentileTruncation(truncation_range=(2, 2), max_samples=None)
    sampled = DRAAPercentileTruncation(truncation_range=(2, 2), max_samples=10000)
    ref = _reference_truncation(img, 2.0)
    np.testing.assert_allclose(
        exact.transform(dict(img=img.copy()))['img'], ref, rtol=1e-5, atol=1e-6)
    approx = sampled.transform(dict(img=img.copy()))['img']
    assert not np.array_equal(approx, ref)  # the estimate really is used
    assert np.abs(approx - ref).max() < 0.02  # and is close to the exact stretch
    small = img[:50, :50]
    np.testing.assert_allclose(
        sampled.transform(dict(img=small.copy()))['img'],
        _reference_truncation(small, 2.0),
        rtol=1e-5,
        atol=1e-6)
    with pytest.raises(ValueError, match='max_samples'):
        DRAAPercentileTruncation(max_samples=1)
