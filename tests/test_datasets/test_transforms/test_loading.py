import numpy as np
import pytest

from sar_mm.datasets.transforms import LoadSARImage
from sar_mm.fileio import SARFileError


@pytest.fixture
def amplitude_file(tmp_path):
    amp = np.array([[0.0, 0.5], [1.0, 10.0]], np.float32)
    path = tmp_path / 'amp.npy'
    np.save(path, amp)
    return str(path), amp


@pytest.mark.parametrize('to', ['amplitude', 'intensity', 'db'])
def test_domains_from_amplitude(amplitude_file, to):
    path, amp = amplitude_file
    out = LoadSARImage(to=to, db_floor=1e-6).transform(dict(img_path=path))
    img = out['img'][..., 0]
    expected = dict(
        amplitude=amp,
        intensity=amp**2,
        db=10 * np.log10(np.maximum(amp.astype(np.float64)**2, 1e-6)))[to]
    np.testing.assert_allclose(img, expected, rtol=1e-5, atol=1e-5)
    assert out['img'].dtype == np.float32
    assert out['img_shape'] == (2, 2) and out['ori_shape'] == (2, 2)
    assert out['sar_meta']['value_range'] == (pytest.approx(expected.min(), abs=1e-4),
                                              pytest.approx(expected.max(), abs=1e-4))


def test_db_file_round_trip(tmp_path):
    db = np.array([[-20.0, 0.0], [10.0, 30.0]], np.float32)
    np.save(tmp_path / 'd.npy', db)
    out = LoadSARImage(
        file_kind='db', to='amplitude').transform(dict(img_path=str(tmp_path / 'd.npy')))
    np.testing.assert_allclose(out['img'][..., 0], 10**(db / 20), rtol=1e-5)


def test_complex_to_channels_and_amplitude(tmp_path):
    z = np.array([[3 + 4j, 1j]], np.complex64)
    np.save(tmp_path / 'z.npy', z)
    path = str(tmp_path / 'z.npy')
    out = LoadSARImage(to='complex').transform(dict(img_path=path))
    np.testing.assert_array_equal(out['img'], [[[3, 4], [0, 1]]])
    out = LoadSARImage(to='amplitude').transform(dict(img_path=path))
    np.testing.assert_allclose(out['img'][..., 0], [[5, 1]])


def test_complex_needs_complex_input(amplitude_file):
    with pytest.raises(SARFileError, match="needs complex data"):
        LoadSARImage(to='complex').transform(dict(img_path=amplitude_file[0]))


def test_bands_and_repeat(tmp_path):
    data = np.stack([np.full((3, 3), v, np.float32) for v in (1, 2, 3)], axis=-1)
    np.save(tmp_path / 'b.npy', data)
    path = str(tmp_path / 'b.npy')
    out = LoadSARImage(bands=[2], repeat_to=3).transform(dict(img_path=path))
    assert out['img'].shape == (3, 3, 3) and np.all(out['img'] == 3)
    with pytest.raises(SARFileError, match=r'band index \[5\] out of range.*3 bands'):
        LoadSARImage(bands=[5]).transform(dict(img_path=path))


def test_nonfinite_fill_counts_and_raise(tmp_path):
    data = np.array([[1.0, np.nan], [np.inf, 2.0]], np.float32)
    np.save(tmp_path / 'n.npy', data)
    path = str(tmp_path / 'n.npy')
    t = LoadSARImage(fill_value=0.5)
    out = t.transform(dict(img_path=path))
    assert np.isfinite(out['img']).all()
    np.testing.assert_array_equal(out['img'][..., 0], [[1.0, 0.5], [0.5, 2.0]])
    t.transform(dict(img_path=path))
    assert t.nonfinite_counts[path] == 4
    with pytest.raises(SARFileError, match='2 NaN/Inf values'):
        LoadSARImage(nonfinite='raise').transform(dict(img_path=path))


@pytest.mark.parametrize('policy', ['fill', 'raise'])
def test_an_image_with_no_finite_pixel_is_refused_whatever_the_policy(tmp_path, policy):
    np.save(tmp_path / 'void.npy', np.full((3, 3), np.nan, np.float32))
    path = str(tmp_path / 'void.npy')
    with pytest.raises(SARFileError, match=r'void\.npy.*every pixel \(9\) is NaN/Inf'):
        LoadSARImage(nonfinite=policy).transform(dict(img_path=path))


def test_bad_arguments_and_repr():
    with pytest.raises(ValueError, match='to must be one of'):
        LoadSARImage(to='log')
    with pytest.raises(ValueError, match='file_kind'):
        LoadSARImage(file_kind='complex')
    assert "to='db'" in repr(LoadSARImage(to='db'))


def test_complex_pairs_from_real_bands(tmp_path):
    import tifffile
    bands = np.stack([np.full((4, 4), v, np.float32) for v in (3, 4, 0, 2)], axis=-1)
    tifffile.imwrite(tmp_path / 'slc.tif', bands)  # band-last, as OpenSARShip stores it
    path = str(tmp_path / 'slc.tif')
    out = LoadSARImage(file_kind='complex_pairs', to='amplitude').transform(dict(img_path=path))
    assert out['img'].shape == (4, 4, 2)
    np.testing.assert_allclose(out['img'][0, 0], [5.0, 2.0])
    out = LoadSARImage(
        file_kind='complex_pairs', to='amplitude', bands=[1]).transform(dict(img_path=path))
    np.testing.assert_allclose(out['img'][..., 0], 2.0)
    tifffile.imwrite(tmp_path / 'odd.tif', bands[..., :3])
    with pytest.raises(SARFileError, match='even number of bands'):
        LoadSARImage(file_kind='complex_pairs').transform(dict(img_path=str(tmp_path / 'odd.tif')))
