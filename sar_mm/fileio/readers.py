"""Read SAR rasters from disk into ``(array, meta)`` without losing their value range.

Every reader returns an ``(H, W, C)`` array (float32 for real data, complex64 for complex data) and
a ``meta`` dict with at least ``dtype`` (the on-disk dtype) and ``ori_shape``. Nothing is cast to
uint8 and nothing is normalised: that is the job of the pipeline's transforms.
"""
import io
import os
import os.path as osp
import stat
import struct

import numpy as np

from .mstar import PHOENIX_MAGIC, is_mstar_raw, read_mstar_raw


class SARFileError(ValueError):
    """A SAR file that exists but cannot be used; the message names the file and the problem."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f'{path}: {problem}')


def _as_hwc(array, path):
    """Return ``array`` as (H, W, C); reject anything that is not a 2-D raster with bands."""
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.ndim != 3:
        raise SARFileError(path,
                           f'expected a 2-D image or (H, W, C) bands, got shape {array.shape}')
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise SARFileError(path, f'zero-size image of shape {array.shape}')
    return array


def _read_npy(path, data):
    try:
        array = np.load(io.BytesIO(data) if data is not None else path, allow_pickle=False)
    except ValueError as err:  # object arrays, truncated headers
        raise SARFileError(path, f'not a plain numeric .npy array ({err})') from err
    except EOFError as err:
        raise SARFileError(path, 'truncated .npy file') from err
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise SARFileError(path, f'unsupported .npy dtype {array.dtype}')
    return array


def _is_single_sample_tiff(path, data=None):
    """Whether a classic TIFF holds one page of one sample per pixel.

    Reads only the header and the first IFD (from ``data``, the file's bytes, when given).
    Only such files may go to OpenCV's decoder, which is several times faster than tifffile on
    small chips but reads just the first page and reorders multi-sample data.
    """
    if data is None:
        with open(path, 'rb') as f:
            data = f.read()
    head = data[:8]
    order = {b'II': '<', b'MM': '>'}.get(head[:2])
    if order is None or len(head) < 8 or struct.unpack(order + 'H', head[2:4])[0] != 42:
        return False  # not a classic TIFF (e.g. BigTIFF): let tifffile handle it
    offset = struct.unpack(order + 'I', head[4:8])[0]
    count_bytes = data[offset:offset + 2]
    if len(count_bytes) < 2:
        return False
    count = struct.unpack(order + 'H', count_bytes)[0]
    entries = data[offset + 2:offset + 2 + 12 * count]
    next_ifd = data[offset + 2 + 12 * count:offset + 6 + 12 * count]
    if len(entries) < 12 * count or len(next_ifd) < 4:
        return False
    samples = 1
    for i in range(count):
        tag, = struct.unpack(order + 'H', entries[12 * i:12 * i + 2])
        if tag == 277:  # SamplesPerPixel (SHORT)
            samples, = struct.unpack(order + 'H', entries[12 * i + 8:12 * i + 10])
    return samples == 1 and struct.unpack(order + 'I', next_ifd)[0] == 0


def _decode_with_opencv(path, data):
    import cv2
    if data is not None:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)


def _read_tiff(path, data):
    import tifffile
    if data is not None and _is_single_sample_tiff(path, data):
        array = _decode_with_opencv(path, data)
        if array is not None and array.ndim == 2:
            return array
    try:
        with tifffile.TiffFile(io.BytesIO(data) if data is not None else path) as tif:
            first = tif.series[0]
            if len(first.shape) == 2 and len(tif.series) > 1 and all(
                    s.shape == first.shape and s.dtype == first.dtype for s in tif.series):
                # one band per page, each page its own series: stack them as bands
                array, axes = np.stack([s.asarray() for s in tif.series]), 'I' + first.axes
            else:
                array, axes = first.asarray(), first.axes
    except Exception as err:  # tifffile raises many types for corrupt files
        raise SARFileError(path, f'cannot decode TIFF ({type(err).__name__}: {err})') from err
    if array.size == 0:
        raise SARFileError(path, 'cannot decode TIFF: no image data (corrupt or truncated file)')
    # Bands stored first (planar GeoTIFFs, page stacks: axes 'SYX', 'IYX', 'QYX') go last, as
    # the file itself says; band-last files ('YXS') are already (H, W, C).
    if array.ndim == 3 and axes.endswith('YX'):
        array = np.moveaxis(array, 0, -1)
    return array


def _read_raster(path, data):
    array = _decode_with_opencv(path, data)
    if array is None:
        raise SARFileError(path, 'cannot decode image (corrupt or truncated file)')
    if array.ndim == 3 and array.shape[2] in (3, 4):
        # Grey SAR renderings are often stored as 3 identical channels; keep them as written,
        # converting OpenCV's BGR(A) order to RGB(A).
        array = array[..., ::-1] if array.shape[2] == 3 else array[..., [2, 1, 0, 3]]
    return np.ascontiguousarray(array)


# Files up to this size are read into memory once and decoded from there.
_READ_WHOLE_BELOW = 64 << 20

_READERS = {
    '.npy': _read_npy,
    '.tif': _read_tiff,
    '.tiff': _read_tiff,
    '.png': _read_raster,
    '.jpg': _read_raster,
    '.jpeg': _read_raster,
    '.bmp': _read_raster,
}


def supported_extensions():
    """The file extensions :func:`read_sar` understands (lower case, with the dot)."""
    return tuple(sorted(_READERS))


def read_sar(path):
    """Read a SAR raster.

    Args:
        path (str | os.PathLike): File to read. The format is chosen by extension:
            ``.npy`` (real or complex), ``.tif/.tiff`` (8/16/32-bit int, float, multi-band),
            ``.png/.jpg/.jpeg/.bmp`` (8- or 16-bit). MSTAR raw (Phoenix) files are recognised by
            their header whatever their extension.

    Returns:
        tuple[np.ndarray, dict]: ``(H, W, C)`` float32 array (complex64 for complex input) and
        meta with ``dtype`` (on-disk dtype name), ``ori_shape`` (H, W), ``num_bands`` and, for
        MSTAR files, ``mstar_header`` (the parsed Phoenix header).

    Raises:
        FileNotFoundError: the file does not exist.
        SARFileError: unknown extension, corrupt/truncated file, zero-size or non-raster data.
    """
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: SAR image file not found') from None
    if not stat.S_ISREG(info.st_mode):
        raise FileNotFoundError(f'{path}: SAR image file not found (not a regular file)')
    size = info.st_size
    if size == 0:
        raise SARFileError(path, 'empty file')
    # Read small files once and decode from memory; very large scenes stay on disk for their
    # readers (data=None), so that memory is not doubled.
    with open(path, 'rb') as f:
        data = f.read() if size <= _READ_WHOLE_BELOW else None
        head = data[:len(PHOENIX_MAGIC)] if data is not None else f.read(len(PHOENIX_MAGIC))
    header = None
    if is_mstar_raw(head):
        raw, header = read_mstar_raw(path, data)
    else:
        ext = osp.splitext(path)[1].lower()
        reader = _READERS.get(ext)
        if reader is None:
            raise SARFileError(
                path, f'unknown SAR file format {ext!r}; supported: '
                f'{", ".join(supported_extensions())} and MSTAR Phoenix raw files')
        raw = reader(path, data)
    raw = _as_hwc(raw, path)
    on_disk = raw.dtype
    if np.iscomplexobj(raw):
        array = raw.astype(np.complex64, copy=False)
    else:
        array = raw.astype(np.float32, copy=False)
    meta = dict(dtype=str(on_disk), ori_shape=array.shape[:2], num_bands=array.shape[2])
    if header is not None:
        meta['mstar_header'] = header
    return array, meta
