"""Speckle-aware photometric augmentation and dB normalisation of SAR images.

What colour jitter is to optical images: random multiplicative speckle, random radiometric
calibration gain, and a deterministic log (dB) normalisation. Random draws use numpy's global RNG
(``np.random``), which mmengine seeds per worker, so ``np.random.seed`` reproduces them.
"""
import math
import numbers

import numpy as np
from mmcv.transforms import BaseTransform

from sar_mm.registry import TRANSFORMS
from .utils import check_range, finite_float64, to_float32

# Value domains an image in a pipeline can hold (same names as LoadSARImage's ``to``).
SAR_DOMAINS = ('amplitude', 'intensity', 'db')


def _check_prob(prob):
    if not isinstance(prob, numbers.Real) or not 0 <= prob <= 1:
        raise ValueError(f'prob must be a number in [0, 1], got {prob!r}')
    return float(prob)


def _check_domain(domain):
    if domain not in SAR_DOMAINS:
        raise ValueError(f'domain must be one of {SAR_DOMAINS}, got {domain!r}')
    return domain


@TRANSFORMS.register_module()
class RandomSpeckle(BaseTransform):
    """Multiply a SAR image by random fully developed speckle of a random number of looks.

    An L-look intensity image is the true backscatter times a Gamma(L, 1/L) variable n (shape L,
    scale 1/L: mean 1, variance 1/L), the multiplicative speckle model of Goodman (Statistical
    Optics) as used for SAR by Ulaby & Dobson (1989) and Lee (1980). With probability ``prob`` one L
    is drawn uniformly from ``looks_range`` for the image and an independent n is drawn for every
    pixel and channel. The product is formed in the intensity domain, written in the domain the
    image holds:

    * ``'intensity'``: ``I * n``;
    * ``'amplitude'``: ``sqrt(A^2 * n)``, computed as ``A * sqrt(n)`` (same value for A >= 0,
      without squaring huge values; a negative input keeps its sign);
    * ``'db'``: ``10*log10(10^(D/10) * n)``, computed as ``D + 10*log10(n)``.

    Non-finite input pixels are treated as 0; n is floored at the smallest positive float64 so
    the dB case stays finite, and the result is clipped to the finite float32 range.

    Required keys: ``img``. Modified keys: ``img``. Added keys: ``speckle_looks`` (the drawn L, or
    None when the image was left unchanged).

    Args:
        looks_range (tuple[float, float]): Range of the equivalent number of looks L, lo > 0.
            Equal ends fix L. Defaults to (1, 8).
        domain (str): What the image holds: ``'amplitude'`` (default), ``'intensity'`` or
            ``'db'``.
        prob (float): Probability of applying speckle. Defaults to 0.5.
    """

    def __init__(self, looks_range=(1.0, 8.0), domain='amplitude', prob=0.5):
        self.looks_range = check_range('looks_range', looks_range)
        if self.looks_range[0] <= 0:
            raise ValueError(f'looks_range must be > 0, got {looks_range!r}')
        self.domain = _check_domain(domain)
        self.prob = _check_prob(prob)

    def transform(self, results):
        if np.random.rand() >= self.prob:
            results['speckle_looks'] = None
            return results
        looks = float(np.random.uniform(*self.looks_range))
        img = finite_float64(results['img'])
        noise = np.random.gamma(shape=looks, scale=1.0 / looks, size=img.shape)
        noise = np.maximum(noise, np.finfo(np.float64).tiny)
        if self.domain == 'intensity':
            out = img * noise
        elif self.domain == 'amplitude':
            out = img * np.sqrt(noise)
        else:
            out = img + 10.0 * np.log10(noise)
        results['img'] = to_float32(out)
        results['speckle_looks'] = looks
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(looks_range={self.looks_range}, '
                f'domain={self.domain!r}, prob={self.prob})')


@TRANSFORMS.register_module()
class RandomCalibrationGain(BaseTransform):
    """Scale a SAR image by a random radiometric calibration gain given in dB.

    A calibration error of g dB multiplies the intensity by 10^(g/10) (the definition of the
    decibel, e.g. Ulaby & Long, Microwave Radar and Radiometric Remote Sensing, 2014), hence the
    amplitude, its square root, by 10^(g/20), and adds g to a dB image. With probability ``prob``
    one g is drawn uniformly from ``gain_db_range`` and applied to all channels (a sensor-wide
    calibration offset). Non-finite input pixels are treated as 0 and the result is clipped to
    the finite float32 range.

    Required keys: ``img``. Modified keys: ``img``. Added keys: ``calibration_gain_db`` (the drawn
    g, or None when the image was left unchanged).

    Args:
        gain_db_range (tuple[float, float]): Range of the gain in dB. Defaults to (-3, 3).
        domain (str): What the image holds: ``'amplitude'`` (default), ``'intensity'`` or
            ``'db'``.
        prob (float): Probability of applying a gain. Defaults to 0.5.
    """

    def __init__(self, gain_db_range=(-3.0, 3.0), domain='amplitude', prob=0.5):
        self.gain_db_range = check_range('gain_db_range', gain_db_range)
        self.domain = _check_domain(domain)
        self.prob = _check_prob(prob)

    def transform(self, results):
        if np.random.rand() >= self.prob:
            results['calibration_gain_db'] = None
            return results
        gain = float(np.random.uniform(*self.gain_db_range))
        img = finite_float64(results['img'])
        if self.domain == 'intensity':
            out = img * 10.0**(gain / 10.0)
        elif self.domain == 'amplitude':
            out = img * 10.0**(gain / 20.0)
        else:
            out = img + gain
        results['img'] = to_float32(out)
        results['calibration_gain_db'] = gain
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(gain_db_range={self.gain_db_range}, '
                f'domain={self.domain!r}, prob={self.prob})')


@TRANSFORMS.register_module()
class SARLogNormalize(BaseTransform):
    """Convert a SAR image to dB, clip it to a dB window and map the window linearly to a range.

    The standard log display of SAR backscatter (e.g. Ulaby & Long 2014): the intensity I (A^2
    for an amplitude image, the pixel itself for an intensity image, 10^(D/10) for a dB image,
    which is used as is) becomes ``D = 10*log10(max(I, db_floor))``; D is clipped to
    ``clip_db = (lo, hi)`` and ``out_range[0] + (D - lo) / (hi - lo) * (out_range[1] -
    out_range[0])`` is returned, so lo dB maps to ``out_range[0]`` and hi dB to ``out_range[1]``.
    Deterministic. Whatever the domain, +Inf pixels map to ``out_range[1]``, NaN and -Inf pixels
    to ``out_range[0]``; negative intensities and zeros hit the floor.

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        domain (str): What the image holds: ``'amplitude'`` (default), ``'intensity'`` or
            ``'db'``.
        clip_db (tuple[float, float]): dB window (lo, hi), lo < hi. Defaults to (-25, 5).
        out_range (tuple[float, float]): Output range, lo < hi. Defaults to (0, 1).
        db_floor (float): Smallest intensity taken before the log (> 0), so zeros give
            ``10*log10(db_floor)`` dB instead of -Inf. Defaults to 1e-10.
    """

    def __init__(self,
                 domain='amplitude',
                 clip_db=(-25.0, 5.0),
                 out_range=(0.0, 1.0),
                 db_floor=1e-10):
        self.domain = _check_domain(domain)
        self.clip_db = check_range('clip_db', clip_db, strict=True)
        self.out_range = check_range('out_range', out_range, strict=True)
        if not isinstance(db_floor, numbers.Real) or not 0 < db_floor < math.inf:
            raise ValueError(f'db_floor must be a finite number > 0, got {db_floor!r}')
        self.db_floor = float(db_floor)

    def transform(self, results):
        img = np.asarray(results['img'], dtype=np.float64)
        lo, hi = self.clip_db
        with np.errstate(over='ignore', invalid='ignore'):
            if self.domain == 'db':
                db = img.copy()
            else:
                intensity = np.abs(img)**2 if self.domain == 'amplitude' else img
                db = 10.0 * np.log10(np.maximum(intensity, self.db_floor))
        # non-finite pixels: +Inf -> hi, NaN and -Inf -> lo, whatever the domain
        db = np.where(np.isposinf(img), hi, np.where(np.isfinite(img), db, lo))
        db = np.clip(db, lo, hi)
        out_lo, out_hi = self.out_range
        out = out_lo + (db - lo) / (hi - lo) * (out_hi - out_lo)
        results['img'] = to_float32(np.clip(out, out_lo, out_hi))
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(domain={self.domain!r}, clip_db={self.clip_db}, '
                f'out_range={self.out_range}, db_floor={self.db_floor})')
