import numpy as np
import pytest

from sar_mm.datasets.transforms import LoadSARImage
from sar_mm.fileio import SARFileError, read_sar, write_mstar_raw


@pytest.fixture
def chip(tmp_path):
    rng = np.random.default_rng(0)
    mag = rng.gamma(1.0, 0.1, (6, 5)).astype(np.float32)
    phase = rng.uniform(-np.pi, np.pi, (6, 5)).astype(np.float32)
    path = tmp_path / 'HB03787.015'
    write_mstar_raw(
        path, mag, phase, TargetType='bmp2_tank', DesiredDepression=17, TargetAz='125.532')
    return path, mag, phase


def test_complex_chip_round_trip_and_header(chip):
    path, mag, phase = chip
    array, meta = read_sar(path)
    assert array.shape == (6, 5, 1) and array.dtype == np.complex64
    np.testing.assert_allclose(np.abs(array[..., 0]), mag, rtol=1e-5)
    np.testing.assert_allclose(np.angle(array[..., 0]), phase, atol=1e-5)
    header = meta['mstar_header']
    assert header['TargetType'] == 'bmp2_tank'
    assert header['DesiredDepression'] == 17.0 and header['TargetAz'] == pytest.approx(125.532)
    assert (header['NumberOfRows'], header['NumberOfColumns']) == (6, 5)


def test_big_endian_layout_is_magnitude_then_phase(tmp_path):
    """Bytes written by hand (not by write_mstar_raw) decode as the format says."""
    mag = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    phase = np.full((2, 3), np.pi / 2, np.float32)
    head = b'[PhoenixHeaderVer01.04]\nPhoenixHeaderLength= 0000000128\nNumberOfColumns= 3\n' \
        b'NumberOfRows= 2\n[EndofPhoenixHeader]\n'
    raw = head.ljust(128, b' ') + mag.astype('>f4').tobytes() + phase.astype('>f4').tobytes()
    (tmp_path / 'x.000').write_bytes(raw)
    array, _ = read_sar(tmp_path / 'x.000')
    np.testing.assert_allclose(array[..., 0].imag, mag, rtol=1e-6)
    np.testing.assert_allclose(array[..., 0].real, 0, atol=1e-5)


def test_load_transform_gives_amplitude_and_header(chip):
    path, mag, _ = chip
    out = LoadSARImage(to='amplitude').transform(dict(img_path=str(path)))
    np.testing.assert_allclose(out['img'][..., 0], mag, rtol=1e-5)
    assert out['mstar_header']['TargetType'] == 'bmp2_tank'
    assert out['img_shape'] == (6, 5)
    out = LoadSARImage(to='complex').transform(dict(img_path=str(path)))
    assert out['img'].shape == (6, 5, 2)


def test_magnitude_only_file(tmp_path):
    mag = np.ones((3, 4), np.float32)
    write_mstar_raw(tmp_path / 'm.017', mag)
    array, _ = read_sar(tmp_path / 'm.017')
    assert array.dtype == np.float32 and array.shape == (3, 4, 1)


def test_size_mismatch_and_truncated_header(chip, tmp_path):
    path, _, _ = chip
    data = path.read_bytes()
    (tmp_path / 'short.015').write_bytes(data[:-7])
    with pytest.raises(SARFileError, match=r'short\.015.*6 x 5 pixels.*truncated'):
        read_sar(tmp_path / 'short.015')
    (tmp_path / 'nohdr.015').write_bytes(data[:40])
    with pytest.raises(SARFileError, match=r'nohdr\.015.*EndofPhoenixHeader'):
        read_sar(tmp_path / 'nohdr.015')
    bad = data.replace(b'NumberOfRows= 6', b'NumberOfRows= x')
    (tmp_path / 'bad.015').write_bytes(bad)
    with pytest.raises(SARFileError, match='NumberOfRows'):
        read_sar(tmp_path / 'bad.015')


def test_unknown_numeric_extension_without_header(tmp_path):
    (tmp_path / 'y.015').write_bytes(b'not mstar at all')
    with pytest.raises(SARFileError, match="unknown SAR file format '.015'"):
        read_sar(tmp_path / 'y.015')
