"""Loading SAR rasters into pipelines of mmpretrain, mmdet and mmseg."""
from collections import Counter

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from sar_mm.fileio import SARFileError, read_sar
from sar_mm.registry import TRANSFORMS

# Value domains a file can hold and a pipeline can ask for.
_FILE_KINDS = ('amplitude', 'intensity', 'db', 'complex_pairs')
_OUTPUT_KINDS = ('amplitude', 'intensity', 'db', 'complex')


def _to_intensity(array, kind):
    """Intensity |s|^2 from complex, amplitude, intensity or dB values."""
    if np.iscomplexobj(array):
        return (array.real.astype(np.float32)**2 + array.imag.astype(np.float32)**2)
    if kind == 'amplitude':
        return array * array
    if kind == 'db':
        return np.power(np.float32(10.0), array / np.float32(10.0))
    return array


@TRANSFORMS.register_module()
class LoadSARImage(BaseTransform):
    """Load a SAR image as float32 in the value domain the config asks for.

    Reads any format of :func:`sar_mm.fileio.read_sar` (8/16-bit PNG or TIFF, float or multi-band
    TIFF, real or complex ``.npy``), selects bands, converts between amplitude, intensity, dB and
    complex (re, im) channels, and keeps the original value range: nothing is cast to uint8.

    Required keys: ``img_path``.
    Added keys: ``img`` (H, W, C float32), ``img_shape``, ``ori_shape``, ``sar_meta`` (on-disk
    dtype, band count, the value domain and the (min, max) of the loaded image) and, for MSTAR
    raw files, ``mstar_header`` (the parsed Phoenix header: ``TargetType``,
    ``DesiredDepression``, ``TargetAz``, ``NumberOfRows``, ``NumberOfColumns``, ...; add it to
    the packer's ``meta_keys`` to carry it into data samples).

    Args:
        file_kind (str): What real-valued files hold: ``'amplitude'`` (default), ``'intensity'``,
            ``'db'``, or ``'complex_pairs'``: consecutive bands are the real and imaginary parts
            of complex bands (e.g. OpenSARShip SLC patches: re/im VH, re/im VV). Files with a
            complex dtype (``.npy``, MSTAR raw) are recognised as complex whatever this says.
        to (str): Output domain: ``'amplitude'``, ``'intensity'``, ``'db'`` (10*log10 of the
            intensity, floored at ``db_floor``) or ``'complex'`` (two channels, real and
            imaginary, per complex band; needs complex input). Defaults to ``'amplitude'``.
        bands (Sequence[int], optional): Band indices to keep, in order. Defaults to all.
        db_floor (float): Lowest intensity used before the log, so zeros map to
            ``10*log10(db_floor)`` dB instead of -inf. Defaults to 1e-10.
        repeat_to (int, optional): Repeat a single-channel result to this many channels (e.g. 3
            for backbones that expect RGB). Defaults to None (keep channels).
        nonfinite (str): What to do with NaN/Inf pixels: ``'fill'`` replaces them with
            ``fill_value`` and warns once per file (counts kept in ``nonfinite_counts``);
            ``'raise'`` rejects the file. Defaults to ``'fill'``. An image without a single
            finite pixel is rejected under either policy (it holds no data).
        fill_value (float): Replacement for non-finite pixels. Defaults to 0.
    """

    def __init__(self,
                 file_kind='amplitude',
                 to='amplitude',
                 bands=None,
                 db_floor=1e-10,
                 repeat_to=None,
                 nonfinite='fill',
                 fill_value=0.0):
        if file_kind not in _FILE_KINDS:
            raise ValueError(f'file_kind must be one of {_FILE_KINDS}, got {file_kind!r}')
        if to not in _OUTPUT_KINDS:
            raise ValueError(f'to must be one of {_OUTPUT_KINDS}, got {to!r}')
        if nonfinite not in ('fill', 'raise'):
            raise ValueError(f"nonfinite must be 'fill' or 'raise', got {nonfinite!r}")
        if db_floor <= 0:
            raise ValueError(f'db_floor must be > 0, got {db_floor}')
        self.file_kind = file_kind
        self.to = to
        self.bands = None if bands is None else [int(b) for b in bands]
        self.db_floor = float(db_floor)
        self.repeat_to = repeat_to
        self.nonfinite = nonfinite
        self.fill_value = float(fill_value)
        self.nonfinite_counts = Counter()

    def _pairs_to_complex(self, array, path):
        if self.file_kind != 'complex_pairs' or np.iscomplexobj(array):
            return array
        if array.shape[2] % 2:
            raise SARFileError(
                path, f"file_kind='complex_pairs' needs an even number of bands "
                f'(re, im, ...), got {array.shape[2]}')
        return (array[:, :, 0::2] + 1j * array[:, :, 1::2]).astype(np.complex64)

    def _select_bands(self, array, path):
        if self.bands is None:
            return array
        num = array.shape[2]
        bad = [b for b in self.bands if not -num <= b < num]
        if bad:
            raise SARFileError(path, f'band index {bad} out of range for an image with {num} bands')
        return array[:, :, self.bands]

    def _convert(self, array, path):
        if self.to == 'complex':
            if not np.iscomplexobj(array):
                raise SARFileError(path, "to='complex' needs complex data, got real values")
            out = np.empty(array.shape[:2] + (2 * array.shape[2], ), np.float32)
            out[:, :, 0::2] = array.real
            out[:, :, 1::2] = array.imag
            return out
        if not np.iscomplexobj(array) and self.to == self.file_kind:
            return array
        intensity = _to_intensity(array, self.file_kind)
        if self.to == 'intensity':
            return intensity
        if self.to == 'amplitude':
            return np.sqrt(np.maximum(intensity, 0))
        return np.float32(10.0) * np.log10(np.maximum(intensity, np.float32(self.db_floor)))

    def _handle_nonfinite(self, array, path):
        finite = np.isfinite(array)
        if finite.all():
            return array
        count = int(array.size - finite.sum())
        if count == array.size:  # never data, whatever the policy: no value is left to keep
            raise SARFileError(path, f'every pixel ({count}) is NaN/Inf')
        if self.nonfinite == 'raise':
            raise SARFileError(path, f'{count} NaN/Inf values (nonfinite="raise")')
        if self.nonfinite_counts[path] == 0:
            print_log(
                f'{path}: replaced {count} NaN/Inf values with {self.fill_value}',
                logger='current',
                level=30)
        self.nonfinite_counts[path] += count
        array = array.copy()
        array[~finite] = self.fill_value
        return array

    def _put_raster(self, results, array, path, dtype, num_bands):
        """Convert a raster as read from ``path`` and store it in ``results``.

        Args:
            results (dict): Updated in place with ``img`` (float32 (H, W, C)), ``img_shape``,
                ``ori_shape`` and ``sar_meta``.
            array (np.ndarray): (H, W, B) float32 or complex64 values in ``file_kind``.
            path (str): Named in errors and in the NaN/Inf log.
            dtype (str): The data type on disk (for ``sar_meta``).
            num_bands (int): The bands on disk (for ``sar_meta``).

        Returns:
            dict: ``results``.
        """
        array = self._select_bands(self._pairs_to_complex(array, path), path)
        array = self._handle_nonfinite(array, path)
        img = self._convert(array, path).astype(np.float32, copy=False)
        if self.repeat_to is not None and img.shape[2] == 1:
            img = np.repeat(img, self.repeat_to, axis=2)  # (H, W, 1) -> (H, W, repeat_to)
        img = np.ascontiguousarray(img)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['sar_meta'] = dict(
            dtype=dtype,
            num_bands=num_bands,
            domain=self.to,
            value_range=(float(img.min()), float(img.max())))
        return results

    def transform(self, results):
        path = results['img_path']
        array, meta = read_sar(path)
        self._put_raster(results, array, path, meta['dtype'], meta['num_bands'])
        if 'mstar_header' in meta:
            results['mstar_header'] = meta['mstar_header']
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(file_kind={self.file_kind!r}, to={self.to!r}, '
                f'bands={self.bands}, db_floor={self.db_floor}, repeat_to={self.repeat_to}, '
                f'nonfinite={self.nonfinite!r}, fill_value={self.fill_value})')
