"""Read SAR rasters from disk into ``(array, meta)`` without losing their value range.

Every reader returns an ``(H, W, C)`` array (float32 for real data, complex64 for complex data) and
a ``meta`` dict with at least ``dtype`` (the on-disk dtype) and ``ori_shape``. Nothing is cast to
uint8 and nothing is normalised: that is the job of the pipeline's transforms.
"""
import os
import os.path as osp

import numpy as np


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
        raise SARFileError(path, f'expected a 2-D image or (H, W, C) bands, got shape {array.shape}')
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise SARFileError(path, f'zero-size image of shape {array.shape}')
    return array


def _read_npy(path):
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as err:  # object arrays, truncated headers
        raise SARFileError(path, f'not a plain numeric .npy array ({err})') from err
    except EOFError as err:
        raise SARFileError(path, 'truncated .npy file') from err
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise SARFileError(path, f'unsupported .npy dtype {array.dtype}')
    return array


def _read_tiff(path):
    import tifffile
    try:
        array = tifffile.imread(path)
    except Exception as err:  # tifffile raises many types for corrupt files
        raise SARFileError(path, f'cannot decode TIFF ({type(err).__name__}: {err})') from err
    if array.size == 0:
        raise SARFileError(path, 'cannot decode TIFF: no image data (corrupt or truncated file)')
    # Multi-band GeoTIFFs are often stored band-first (C, H, W): move small leading axes last.
    if array.ndim == 3 and array.shape[0] <= 16 and array.shape[2] > 16:
        array = np.moveaxis(array, 0, -1)
    return array


def _read_raster(path):
    import cv2
    array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise SARFileError(path, 'cannot decode image (corrupt or truncated file)')
    if array.ndim == 3 and array.shape[2] in (3, 4):
        # Grey SAR renderings are often stored as 3 identical channels; keep them as written,
        # converting OpenCV's BGR(A) order to RGB(A).
        array = array[..., ::-1] if array.shape[2] == 3 else array[..., [2, 1, 0, 3]]
    return np.ascontiguousarray(array)


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
            ``.png/.jpg/.jpeg/.bmp`` (8- or 16-bit).

    Returns:
        tuple[np.ndarray, dict]: ``(H, W, C)`` float32 array (complex64 for complex input) and
        meta with ``dtype`` (on-disk dtype name), ``ori_shape`` (H, W) and ``num_bands``.

    Raises:
        FileNotFoundError: the file does not exist.
        SARFileError: unknown extension, corrupt/truncated file, zero-size or non-raster data.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: SAR image file not found')
    ext = osp.splitext(path)[1].lower()
    reader = _READERS.get(ext)
    if reader is None:
        raise SARFileError(
            path, f'unknown SAR file format {ext!r}; supported: {", ".join(supported_extensions())}')
    if osp.getsize(path) == 0:
        raise SARFileError(path, 'empty file')
    raw = _as_hwc(reader(path), path)
    on_disk = raw.dtype
    if np.iscomplexobj(raw):
        array = raw.astype(np.complex64, copy=False)
    else:
        array = raw.astype(np.float32, copy=False)
    meta = dict(dtype=str(on_disk), ori_shape=array.shape[:2], num_bands=array.shape[2])
    return array, meta
