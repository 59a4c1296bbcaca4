import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from sar_mm.datasets.transforms import RandomCalibrationGain, RandomSpeckle, SARLogNormalize


@pytest.mark.parametrize('looks', [1.0, 4.0])
@pytest.mark.parametrize('domain', ['intensity', 'amplitude', 'db'])
def test_speckle_statistics(domain, looks):
    intensity = 2.0
    value = dict(
        intensity=intensity, amplitude=np.sqrt(intensity), db=10 * np.log10(intensity))[domain]
    img = np.full((300, 300, 2), value, np.float32)
    np.random.seed(0)
    out = RandomSpeckle(looks_range=(looks, looks), domain=domain, prob=1.0)(dict(img=img))
    assert out['speckle_looks'] == looks
    res = out['img'].astype(np.float64)
    assert res.shape == img.shape and out["img"].dtype == np.float32
    as_intensity = dict(intensity=res, amplitude=res**2, db=10**(res / 10))[domain]
    speckle = as_intensity / intensity
    assert speckle.mean() == pytest.approx(1.0, abs=0.01)
    assert speckle.var() == pytest.approx(1.0 / looks, rel=0.05)
    assert np.isfinite(res).all()
    # independent draws per channel
    assert not np.array_equal(res[..., 0], res[..., 1])


def test_speckle_prob_looks_range_and_seed():
    img = np.ones((8, 8, 1), np.float32)
    t = RandomSpeckle(looks_range=(2, 6), prob=0.5)
    applied = []
    for seed in range(40):
        np.random.seed(seed)
        out = t(dict(img=img.copy()))
        if out['speckle_looks'] is None:
            np.testing.assert_array_equal(out['img'], img)
        else:
            assert 2 <= out['speckle_looks'] <= 6
            applied.append(out['speckle_looks'])
    assert 5 < len(applied) < 35 and len(set(applied)) == len(applied)
    np.random.seed(7)
    a = RandomSpeckle(prob=1)(dict(img=img.copy()))
    np.random.seed(7)
    b = RandomSpeckle(prob=1)(dict(img=img.copy()))
    np.testing.assert_array_equal(a['img'], b['img'])
    assert RandomSpeckle(prob=0)(dict(img=img.copy()))['speckle_looks'] is None


def test_speckle_extreme_inputs_finite():
    extreme = np.geomspace(1e-30, 1e30, 64).reshape(8, 8, 1).astype(np.float32)
    huge = np.full((8, 8, 1), 3e38, np.float32)
    for domain in ('amplitude', 'intensity', 'db'):
        for img in (extreme, huge, np.zeros((4, 4, 3), np.float32)):
            np.random.seed(0)
            out = RandomSpeckle(looks_range=(1, 1), domain=domain, prob=1)(dict(img=img.copy()))
            assert np.isfinite(out['img']).all() and out['img'].shape == img.shape
    nan = np.array([[[np.nan], [1.0]]], np.float32)
    out = RandomSpeckle(domain='intensity', prob=1)(dict(img=nan))['img']
    assert np.isfinite(out).all() and out[0, 0, 0] == 0


@pytest.mark.parametrize('domain, apply', [('amplitude', lambda x, g: x * 10**(g / 20)),
                                           ('intensity', lambda x, g: x * 10**(g / 10)),
                                           ('db', lambda x, g: x + g)])
def test_gain_exact(domain, apply):
    img = np.array([[[0.0, 1.0], [0.5, 3.0]], [[-20.0, 2.0], [7.0, 0.01]]], np.float32)
    out = RandomCalibrationGain(
        gain_db_range=(2.5, 2.5), domain=domain, prob=1)(
            dict(img=img.copy()))
    assert out['calibration_gain_db'] == 2.5
    np.testing.assert_allclose(out['img'], apply(img.astype(np.float64), 2.5), rtol=1e-6, atol=1e-6)
    np.random.seed(3)
    drawn = RandomCalibrationGain(domain=domain, prob=1)(dict(img=img.copy()))
    g = drawn['calibration_gain_db']
    assert -3 <= g <= 3 and g != 0
    np.testing.assert_allclose(drawn['img'], apply(img.astype(np.float64), g), rtol=1e-6, atol=1e-6)


def test_gain_consistent_across_domains_and_prob():
    amp = np.array([[[0.3], [2.0]]], np.float32)
    outs = {}
    for domain, img in (('amplitude', amp), ('intensity', amp**2), ('db', 10 * np.log10(amp**2))):
        outs[domain] = RandomCalibrationGain((-1.7, -1.7), domain, prob=1)(dict(img=img))['img']
    np.testing.assert_allclose(outs['amplitude']**2, outs['intensity'], rtol=1e-5)
    np.testing.assert_allclose(10 * np.log10(outs['intensity']), outs['db'], rtol=1e-5)
    out = RandomCalibrationGain(prob=0)(dict(img=amp.copy()))
    assert out['calibration_gain_db'] is None
    np.testing.assert_array_equal(out['img'], amp)
    huge = np.full((2, 2, 1), 3e38, np.float32)
    out = RandomCalibrationGain((3, 3), 'intensity', prob=1)(dict(img=huge))['img']
    assert np.isfinite(out).all()


@pytest.mark.parametrize('domain', ['amplitude', 'intensity', 'db'])
def test_log_normalize_clip_and_range(domain):
    db = np.array([[-40.0, -25.0, -10.0], [0.0, 5.0, 30.0]], np.float32)[..., None]
    img = dict(db=db, intensity=10**(db / 10), amplitude=10**(db / 20))[domain]
    out = SARLogNormalize(domain=domain, clip_db=(-25, 5))(dict(img=img.astype(np.float32)))
    expected = (np.clip(db, -25, 5) + 25) / 30
    np.testing.assert_allclose(out['img'], expected, rtol=1e-5, atol=1e-6)
    assert out['img'].dtype == np.float32 and out['img'].shape == db.shape
    scaled = SARLogNormalize(
        domain=domain, clip_db=(-25, 5), out_range=(-1, 1))(dict(img=img.astype(np.float32)))['img']
    np.testing.assert_allclose(scaled, expected * 2 - 1, rtol=1e-5, atol=1e-6)


def test_log_normalize_floor_and_nonfinite():
    img = np.array([[0.0, -1.0, np.nan, np.inf, -np.inf, 1e30]], np.float32)[..., None]
    out = SARLogNormalize(
        domain='intensity', clip_db=(-120, 0), db_floor=1e-10)(dict(img=img.copy()))['img'][0, :, 0]
    # zeros and negatives hit the floor (-100 dB), NaN and -Inf the low end, +Inf the high end
    np.testing.assert_allclose(out, [20 / 120, 20 / 120, 0, 1, 0, 1], atol=1e-6)
    for domain in ('amplitude', 'db'):
        out = SARLogNormalize(domain=domain)(dict(img=img.copy()))['img']
        assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


def test_multichannel_shapes_kept():
    for c in (1, 4):
        img = np.random.RandomState(c).rand(6, 5, c).astype(np.float32) + 0.1
        for t in (RandomSpeckle(prob=1), RandomCalibrationGain(prob=1), SARLogNormalize()):
            assert t(dict(img=img.copy()))['img'].shape == (6, 5, c)


def test_bad_args_and_repr():
    with pytest.raises(ValueError, match='looks_range must be > 0'):
        RandomSpeckle(looks_range=(0, 2))
    with pytest.raises(ValueError, match='domain must be one of'):
        RandomSpeckle(domain='complex')
    with pytest.raises(ValueError, match='prob must be'):
        RandomCalibrationGain(prob=1.5)
    with pytest.raises(ValueError, match='lo <= hi'):
        RandomCalibrationGain(gain_db_range=(3, -3))
    with pytest.raises(ValueError, match='clip_db must have lo < hi'):
        SARLogNormalize(clip_db=(0, 0))
    with pytest.raises(ValueError, match='db_floor'):
        SARLogNormalize(db_floor=0)
    with pytest.raises(ValueError, match='out_range'):
        SARLogNormalize(out_range=(1, 0))
    r = repr(RandomSpeckle(looks_range=(2, 3), domain='db', prob=0.25))
    assert r == "RandomSpeckle(looks_range=(2.0, 3.0), domain='db', prob=0.25)"
    r = repr(RandomCalibrationGain(gain_db_range=(-1, 2), domain='intensity', prob=0.75))
    assert r == "RandomCalibrationGain(gain_db_range=(-1.0, 2.0), domain='intensity', prob=0.75)"
    r = repr(SARLogNormalize(domain='db', clip_db=(-30, 0), out_range=(0, 255), db_floor=1e-8))
    for s in ("domain='db'", 'clip_db=(-30.0, 0.0)', 'out_range=(0.0, 255.0)', 'db_floor=1e-08'):
        assert s in r


@pytest.mark.parametrize('scope, packer', [('mmpretrain', 'PackInputs'), ('mmdet', 'PackDetInputs'),
                                           ('mmseg', 'PackSegInputs')])
def test_speckle_transforms_in_each_codebase_pipeline(tmp_path, scope, packer):
    amp = np.full((16, 12), 0.1, np.float32)
    np.save(tmp_path / 'x.npy', amp)
    with DefaultScope.overwrite_default_scope(scope):
        pipeline = Compose([
            dict(type='LoadSARImage'),
            dict(type='RandomSpeckle', looks_range=(4, 4), prob=1.0),
            dict(type='RandomCalibrationGain', gain_db_range=(3, 3), prob=1.0),
            dict(type='SARLogNormalize', clip_db=(-40, 10)),
            dict(type=packer)
        ])
        np.random.seed(0)
        out = pipeline(dict(img_path=str(tmp_path / 'x.npy')))
    inputs = out['inputs'].numpy()
    assert inputs.shape == (1, 16, 12)
    db = inputs * 50 - 40  # back from [0, 1] to dB
    # -20 dB of the 0.1 amplitude, +3 dB gain; speckle adds E[10 log10 n] < 0 and spreads values
    assert np.std(db) > 0.5
    assert -20 < db.mean() < -16
