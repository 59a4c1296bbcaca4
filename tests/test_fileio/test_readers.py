import numpy as np
import pytest

from sar_mm.fileio import SARFileError, read_sar


def test_npy_real_and_complex_round_trip(tmp_path):
    real = np.random.default_rng(0).gamma(1.0, 1.0, (7, 5)).astype(np.float64)
    np.save(tmp_path / 'a.npy', real)
    array, meta = read_sar(tmp_path / 'a.npy')
    assert array.shape == (7, 5, 1) and array.dtype == np.float32
    np.testing.assert_allclose(array[..., 0], real, rtol=1e-6)
    assert meta['dtype'] == 'float64' and meta['ori_shape'] == (7, 5)

    cplx = (real + 1j * real[::-1]).astype(np.complex64)
    np.save(tmp_path / 'c.npy', cplx)
    array, meta = read_sar(tmp_path / 'c.npy')
    assert array.dtype == np.complex64
    np.testing.assert_array_equal(array[..., 0], cplx)


def test_png16_keeps_full_range(tmp_path):
    import cv2
    data = np.array([[0, 1000], [40000, 65535]], np.uint16)
    cv2.imwrite(str(tmp_path / 'x.png'), data)
    array, meta = read_sar(tmp_path / 'x.png')
    assert meta['dtype'] == 'uint16'
    np.testing.assert_array_equal(array[..., 0], data.astype(np.float32))


def test_float_multiband_tiff(tmp_path):
    import tifffile
    data = np.random.default_rng(1).normal(size=(4, 40, 30)).astype(np.float32)  # band-first
    tifffile.imwrite(tmp_path / 'x.tif', data, photometric='minisblack', planarconfig='separate')
    array, meta = read_sar(tmp_path / 'x.tif')
    assert array.shape == (40, 30, 4) and meta['num_bands'] == 4
    np.testing.assert_array_equal(array, np.moveaxis(data, 0, -1))


@pytest.mark.parametrize('name, content, message', [
    ('bad.xyz', b'123', 'unknown SAR file format'),
    ('empty.png', b'', 'empty file'),
    ('corrupt.png', b'\x89PNG garbage', 'cannot decode'),
    ('corrupt.tif', b'II*\x00garbage', 'cannot decode TIFF'),
    ('trunc.npy', b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, "
     b"'shape': (100, 100), }" + b' ' * 50 + b'\n' + b'\x00' * 16, '.npy'),
])
def test_bad_files_name_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SARFileError, match=message) as info:
        read_sar(path)
    assert str(path) in str(info.value)


def test_missing_and_zero_size(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.npy'):
        read_sar(tmp_path / 'nope.npy')
    np.save(tmp_path / 'z.npy', np.zeros((0, 4), np.float32))
    with pytest.raises(SARFileError, match='zero-size'):
        read_sar(tmp_path / 'z.npy')


@pytest.mark.parametrize('dtype', [np.uint8, np.uint16, np.int16, np.float32, np.float64])
def test_single_band_tiff_all_dtypes(tmp_path, dtype):
    import tifffile
    data = (np.random.default_rng(2).normal(size=(9, 7)) * 100).astype(dtype)
    tifffile.imwrite(tmp_path / 'x.tif', data)
    array, meta = read_sar(tmp_path / 'x.tif')
    assert meta['dtype'] == np.dtype(dtype).name
    np.testing.assert_array_equal(array[..., 0], data.astype(np.float32))


def test_multipage_and_complex_tiff_are_not_truncated(tmp_path):
    """OpenCV would read only the first page; the reader must return every band."""
    import tifffile

    from sar_mm.fileio.readers import _is_single_sample_tiff
    pages = np.stack([np.full((5, 6), v, np.float32) for v in (1, 2, 3)])
    with tifffile.TiffWriter(tmp_path / 'pages.tif') as tif:
        for page in pages:
            tif.write(page)
    assert not _is_single_sample_tiff(str(tmp_path / 'pages.tif'))
    array, _ = read_sar(tmp_path / 'pages.tif')
    assert array.shape == (5, 6, 3)
    np.testing.assert_array_equal(array[0, 0], [1, 2, 3])
    z = (np.arange(6) + 1j).astype(np.complex64).reshape(2, 3)
    tifffile.imwrite(tmp_path / 'z.tif', z)
    array, _ = read_sar(tmp_path / 'z.tif')
    assert array.dtype == np.complex64
    np.testing.assert_array_equal(array[..., 0], z)


def test_large_files_are_read_from_disk_identically(tmp_path, monkeypatch):
    """Files above the in-memory limit go to the path-based readers with the same result."""
    import cv2
    import tifffile

    from sar_mm.fileio import readers, write_mstar_raw
    data = (np.random.default_rng(5).random((6, 4)) * 1000).astype(np.uint16)
    cv2.imwrite(str(tmp_path / 'a.png'), data)
    tifffile.imwrite(tmp_path / 'a.tif', data)
    tifffile.imwrite(
        tmp_path / 'b.tif',
        np.stack([data, data + 1]),
        photometric='minisblack',
        planarconfig='separate')
    np.save(tmp_path / 'a.npy', data)
    write_mstar_raw(tmp_path / 'a.015', data.astype(np.float32), data.astype(np.float32) / 999)
    names = ['a.png', 'a.tif', 'b.tif', 'a.npy', 'a.015']
    in_memory = [read_sar(tmp_path / n)[0] for n in names]
    monkeypatch.setattr(readers, '_READ_WHOLE_BELOW', 0)
    for name, expected in zip(names, in_memory):
        np.testing.assert_array_equal(read_sar(tmp_path / name)[0], expected, err_msg=name)
