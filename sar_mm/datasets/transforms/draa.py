"""Dynamic range adapted augmentation (DRAA) of SAR amplitude images.

"SAR-HUB: Pre-training, Fine-tuning, and Explaining" (Z. Huang's group, XAI4SAR), Remote Sensing
15, 2023; code at github.com/XAI4SAR/SAR-HUB. SAR amplitudes span several orders of
magnitude; DRAA compresses that range into [0, 1] with a randomised operator during training (an
augmentation that also adapts the images to networks pre-trained on 8-bit optical data) and with
the operator's central setting at test time. Random draws use numpy's global RNG (``np.random``),
seeded per worker by mmengine, so ``np.random.seed`` reproduces them.
"""
import math
import numbers

import numpy as np
from mmcv.transforms import BaseTransform

from sar_mm.registry import TRANSFORMS
from .utils import F32_MAX, check_range, finite_float32

# 1 - min(x) is clamped to this value, so constant channels give a finite exponent m.
_MIN_GAP = 1e-6
_NORMALIZE = ('max', 'minmax', 'none')


def _percentiles(values, levels):
    """numpy's ``percentile(values, levels)`` (linear method), from one sort.

    ``np.percentile`` spends ~0.2 ms of overhead per call and selects with ``np.partition``; on
    float32 numpy's vectorised sort is about twice as fast as that selection, and on a
    128x128 chip the whole computation drops from ~260 to ~60 microseconds.
    """
    ordered = np.sort(values)
    n = ordered.size
    out = []
    for q in levels:
        pos = q / 100.0 * (n - 1)
        i = int(pos)
        lo, hi = float(ordered[i]), float(ordered[min(i + 1, n - 1)])
        out.append(lo + (pos - i) * (hi - lo))
    return out


def _map_channels(img, channel_fn):
    """Apply ``channel_fn`` ((H, W) float32 -> (H, W) float32) to every channel of an (H, W, C)
    image made finite float32; a single channel is returned without a copy into a new buffer."""
    img = finite_float32(img)
    if img.shape[2] == 1:
        return channel_fn(img[:, :, 0])[:, :, None]
    out = np.empty(img.shape, np.float32)
    for c in range(img.shape[2]):
        out[:, :, c] = channel_fn(img[:, :, c])
    return out


def _as_hwc(img):
    """View a (H, W) image as (H, W, 1); returns the view and a function undoing it."""
    if img.ndim == 2:
        return img[..., None], (lambda out: out[..., 0])
    if img.ndim != 3:
        raise ValueError(f'expected an (H, W) or (H, W, C) image, got shape {img.shape}')
    return img, (lambda out: out)


@TRANSFORMS.register_module()
class DRAAToneMapping(BaseTransform):
    """DRAA Reinhard-Devlin tone mapping of a SAR amplitude image into [0, 1].

    The global Reinhard-Devlin photoreceptor operator (Reinhard & Devlin, "Dynamic range
    reduction inspired by photoreceptor physiology", IEEE TVCG 2005), in the form DRAA uses for
    SAR (SAR-HUB, Remote Sensing 2023). Each channel is first normalised to
    x in [0, 1]; then, with the global mean u, light adaptation l and brightness b:

    * the adaptation level mixes the pixel and the global mean: ``a = l*x + (1 - l)*u``;
    * the contrast exponent grows as the channel's darkest value approaches white:
      ``m = 0.3 + 0.7 * ((1 - u) / (1 - min x))^1.4``;
    * the output is a saturating response ``y = x / (x + (b*a)^m)``, in [0, 1].

    b is drawn uniformly from ``brightness_range`` for each image in training and is the range's
    midpoint when ``test_mode=True`` (4.0 by default, SAR-HUB's test setting). It is stored in
    ``results['draa_brightness']``.

    Normalisation (``normalize``), per channel: ``'max'`` (default) divides by the channel's
    maximum, keeping the amplitude ratios and so a meaningful ``min x`` (SAR-HUB applies the
    operator to amplitudes already scaled to [0, 1]; with ``'minmax'``, ``min x`` is always 0 and
    m is the constant 0.84); ``'minmax'`` maps [min, max] to [0, 1]; ``'none'`` expects data
    already in [0, 1] and clips to it. Negative values, not valid amplitudes, are set to 0 first
    for ``'max'``; non-finite pixels are treated as 0. Arithmetic is float32, in place, per
    channel (the cost matters: this runs on every training image).

    Edge cases, all finite: an all-zero (or all non-positive) channel has no maximum to divide
    by and gives x = 0, so y = 0; a constant channel gives x = 0 (``'minmax'``, y = 0) or x = 1
    (``'max'``). When ``1 - min x`` is below 1e-6 (x = 1 everywhere) it is clamped to 1e-6, so m
    is huge but finite and ``(b*a)^m`` under/overflows to 0 or +Inf: y = 1 if b*a < 1 (every
    default setting), 0 if b*a > 1 - the formula's limit as min x -> 1. Huge or tiny finite
    inputs are harmless after the division (e.g. 1e-30..1e30 gives x = 1e-60..1).

    Required keys: ``img`` (H, W, C) amplitude. Modified keys: ``img``. Added keys:
    ``draa_brightness``.

    Args:
        brightness_range (tuple[float, float]): Range of b, 0 < lo <= hi. Defaults to (3.5, 4.5).
        mean (float): Global mean u of the normalised amplitudes, in (0, 1). Defaults to 0.169
            (SAR-HUB's value for TerraSAR-X).
        light_adaptation (float): l in [0, 1): 0 adapts to the global mean only. Defaults to 1e-4.
        normalize (str): ``'max'`` (default), ``'minmax'`` or ``'none'``, see above.
        test_mode (bool): Use the midpoint brightness instead of a random one. Defaults to False.
    """

    def __init__(self,
                 brightness_range=(3.5, 4.5),
                 mean=0.169,
                 light_adaptation=1e-4,
                 normalize='max',
                 test_mode=False):
        self.brightness_range = check_range('brightness_range', brightness_range)
        if self.brightness_range[0] <= 0:
            raise ValueError(f'brightness_range must be > 0, got {brightness_range!r}')
        if not isinstance(mean, numbers.Real) or not 0 < mean < 1:
            raise ValueError(f'mean must be in (0, 1), got {mean!r}')
        if not isinstance(light_adaptation, numbers.Real) or not 0 <= light_adaptation < 1:
            raise ValueError(f'light_adaptation must be in [0, 1), got {light_adaptation!r}')
        if normalize not in _NORMALIZE:
            raise ValueError(f'normalize must be one of {_NORMALIZE}, got {normalize!r}')
        self.mean = float(mean)
        self.light_adaptation = float(light_adaptation)
        self.normalize = normalize
        self.test_mode = bool(test_mode)

    def _normalise(self, channel):
        """``(x, min x)``: x in [0, 1] from one (H, W) float32 channel, always a new array."""
        if self.normalize == 'none':
            x = np.clip(channel, 0.0, 1.0)
            return x, float(x.min())
        channel_min, high = float(channel.min()), float(channel.max())
        if self.normalize == 'max':  # negative values are not amplitudes: set to 0
            x = np.maximum(channel, 0.0)
            low, high, x_min = 0.0, max(high, 0.0), max(channel_min, 0.0)
        else:
            x = channel.copy()
            low = x_min = channel_min
        span = high - low  # float64: no overflow for any finite float32 pair
        if not span > 0:
            x.fill(0.0)
            return x, 0.0
        if low:
            x -= np.float32(low)
            x_min -= low
        if np.isfinite(np.float32(span)):
            # v / span <= 1 exactly for v <= span (IEEE division is correctly rounded): no clip
            x /= np.float32(span)
        else:  # span beyond float32: scale by its (representable) inverse, then clip
            x *= np.float32(1.0 / span)
            np.clip(x, 0.0, 1.0, out=x)
        return x, min(x_min / span, 1.0)

    def tone_map(self, img, brightness):
        """The operator for a given brightness b on an (H, W, C) image; returns float32.

        Computed per channel in float32 and in place (about nine passes over the pixels):
        b*a >= b*(1 - l)*u > 0, so (b*a)^m is finite or overflows to +Inf (y = 0); it can only
        underflow to 0 when even its smallest value does, which is checked once per channel.
        """
        return _map_channels(img, lambda channel: self._tone_map_channel(channel, brightness))

    def _tone_map_channel(self, channel, brightness):
        u, lam = self.mean, self.light_adaptation
        x, x_min = self._normalise(channel)
        gap = max(1.0 - x_min, _MIN_GAP)
        exponent = np.float32(0.3 + 0.7 * ((1.0 - u) / gap)**1.4)
        base_min = np.float32(brightness * (1.0 - lam) * u)  # b*a at x = 0
        sigma = x * np.float32(brightness * lam)
        sigma += base_min  # b*a
        with np.errstate(over='ignore', under='ignore'):
            np.power(sigma, exponent, out=sigma)  # (b*a)^m
            may_vanish = np.power(base_min, exponent) == 0
        sigma += x
        if may_vanish:  # 0 / 0 where x = 0 and (b*a)^m underflowed: y = 0 there
            y = np.zeros_like(x)
            np.divide(x, sigma, out=y, where=sigma > 0)
            return y
        return np.divide(x, sigma, out=sigma)

    def transform(self, results):
        low, high = self.brightness_range
        brightness = (low + high) / 2 if self.test_mode else float(np.random.uniform(low, high))
        img, restore = _as_hwc(np.asarray(results['img']))
        results['img'] = restore(self.tone_map(img, brightness))
        results['draa_brightness'] = brightness
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(brightness_range={self.brightness_range}, '
                f'mean={self.mean}, light_adaptation={self.light_adaptation}, '
                f'normalize={self.normalize!r}, test_mode={self.test_mode})')


@TRANSFORMS.register_module()
class DRAAPercentileTruncation(BaseTransform):
    """DRAA percentile truncation and linear stretch of a SAR image to a fixed range.

    The percentile-truncated linear stretch of DRAA (SAR-HUB, Remote Sensing
    2023): for each channel, p_lo and p_hi are its t-th and (100 - t)-th percentiles (numpy's
    linear interpolation); the channel is clipped to [p_lo, p_hi] and mapped linearly so p_lo
    goes to ``out_range[0]`` and p_hi to ``out_range[1]``:
    ``out_lo + (clip(x, p_lo, p_hi) - p_lo) / (p_hi - p_lo) * (out_hi - out_lo)``.
    Clipping the t % brightest and darkest pixels removes strong scatterers and shadows that
    would otherwise squeeze the stretch; a random t makes it an augmentation.

    t is drawn uniformly from ``truncation_range`` once per image (shared by its channels) in
    training, and is ``test_truncation`` when ``test_mode=True``; it is stored in
    ``results['draa_truncation']``. Works on any domain (amplitude, intensity or dB).

    Edge cases: when p_hi == p_lo (a constant channel, or one where more than 100 - 2t % of the
    pixels share a value) the clipped channel is constant and the output is ``out_range[0]``.
    Non-finite pixels are treated as 0; any finite input gives an output within ``out_range``.
    Arithmetic is float32, per channel. The percentiles are numpy's (linear method), exact for
    channels of at most ``max_samples`` pixels; larger channels (e.g. 800x800 scenes) estimate
    them from every k-th pixel (k = ceil(pixels / max_samples)), which keeps the cost of a scene
    close to that of decoding it; the estimate's error is far below the spread of the random t.

    Required keys: ``img``. Modified keys: ``img``. Added keys: ``draa_truncation``.

    Args:
        truncation_range (tuple[float, float]): Range of t in percent, 0 <= lo <= hi < 50.
            Defaults to (0, 2).
        test_truncation (float, optional): t used in test mode, in [0, 50). Defaults to None,
            the midpoint of ``truncation_range`` (1.0 by default).
        out_range (tuple[float, float]): Output range, lo < hi. Defaults to (0, 1).
        test_mode (bool): Use ``test_truncation`` instead of a random t. Defaults to False.
        max_samples (int, optional): Most pixels per channel used to find the percentiles;
            None uses all (exact). Defaults to 65536.
    """

    def __init__(self,
                 truncation_range=(0.0, 2.0),
                 test_truncation=None,
                 out_range=(0.0, 1.0),
                 test_mode=False,
                 max_samples=65536):
        self.truncation_range = check_range('truncation_range', truncation_range, low=0)
        if self.truncation_range[1] >= 50:
            raise ValueError(f'truncation_range must be below 50, got {truncation_range!r}')
        if test_truncation is None:
            test_truncation = sum(self.truncation_range) / 2
        if (not isinstance(test_truncation, numbers.Real) or not math.isfinite(test_truncation)
                or not 0 <= test_truncation < 50):
            raise ValueError(f'test_truncation must be in [0, 50), got {test_truncation!r}')
        self.test_truncation = float(test_truncation)
        self.out_range = check_range('out_range', out_range, strict=True)
        self.test_mode = bool(test_mode)
        if max_samples is not None and (int(max_samples) != max_samples or max_samples < 2):
            raise ValueError(f'max_samples must be None or an integer >= 2, got {max_samples!r}')
        self.max_samples = None if max_samples is None else int(max_samples)

    def truncate(self, img, truncation):
        """Clip an (H, W, C) image to its per-channel percentiles and stretch; returns float32."""
        return _map_channels(img, lambda channel: self._truncate_channel(channel, truncation))

    def _truncate_channel(self, channel, truncation):
        out_lo, out_hi = self.out_range
        sample = channel.ravel()
        if self.max_samples is not None and sample.size > self.max_samples:
            sample = sample[::-(-sample.size // self.max_samples)]  # fixed stride
        # interpolated in float64
        p_lo, p_hi = _percentiles(sample, [truncation, 100.0 - truncation])
        # span from the float32 endpoints themselves, so p_lo -> 0 and p_hi -> 1 exactly
        lo32 = np.float32(max(p_lo, -F32_MAX))
        hi32 = np.float32(min(p_hi, F32_MAX))
        with np.errstate(over='ignore'):
            span = hi32 - lo32
        if not span > 0:
            return np.full(channel.shape, out_lo, np.float32)
        if np.isfinite(span):
            y = np.clip(channel, lo32, hi32)
            y -= lo32
            y /= span  # in [0, 1] exactly: v - lo <= hi - lo for v <= hi
        else:  # endpoints further apart than float32 can represent
            y = np.clip(channel, lo32, hi32).astype(np.float64)
            y = ((y - float(lo32)) / (float(hi32) - float(lo32))).astype(np.float32)
        if (out_lo, out_hi) != (0.0, 1.0):
            y *= np.float32(out_hi - out_lo)
            y += np.float32(out_lo)
            np.clip(y, out_lo, out_hi, out=y)
        return y

    def transform(self, results):
        if self.test_mode:
            truncation = self.test_truncation
        else:
            truncation = float(np.random.uniform(*self.truncation_range))
        img, restore = _as_hwc(np.asarray(results['img']))
        results['img'] = restore(self.truncate(img, truncation))
        results['draa_truncation'] = truncation
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(truncation_range={self.truncation_range}, '
                f'test_truncation={self.test_truncation}, out_range={self.out_range}, '
                f'test_mode={self.test_mode}, max_samples={self.max_samples})')
