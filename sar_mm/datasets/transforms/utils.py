"""Helpers shared by the SAR transforms: finite float casts and argument checks.

SAR images carry NaN / Inf pixels (no-data, log of zero) and values beyond float32's range; the
transforms compute in float64 or float32 and must hand on finite float32 images.
"""
import math
import numbers

import numpy as np

#: The largest finite float32.
F32_MAX = float(np.finfo(np.float32).max)


def finite_float64(img):
    """``img`` as float64 with NaN and +-Inf pixels replaced by 0."""
    return np.nan_to_num(np.asarray(img, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)


def finite_float32(img):
    """``img`` as float32 (finite values beyond float32 clipped to its range) with NaN and +-Inf
    pixels set to 0; a copy is made only when something has to change."""
    img = np.asarray(img)
    if img.dtype != np.float32:
        img = np.clip(img, -F32_MAX, F32_MAX).astype(np.float32)
    if not np.isfinite(img).all():
        img = np.nan_to_num(img, nan=0.0, posinf=0.0, neginf=0.0)
    return img


def to_float32(array):
    """Cast to float32, clipping to its finite range so that nothing overflows to Inf."""
    return np.clip(array, -F32_MAX, F32_MAX).astype(np.float32)


def check_range(name, value, low=None, high=None, strict=False):
    """Validate a ``(lo, hi)`` pair of finite numbers with ``lo <= hi`` (``<`` if ``strict``).

    Args:
        name (str): The argument's name, for the error message.
        value: The pair.
        low (float, optional): Smallest allowed ``lo``.
        high (float, optional): Largest allowed ``hi``.
        strict (bool): Require ``lo < hi``. Defaults to False.

    Returns:
        tuple[float, float]: ``(lo, hi)``.

    Raises:
        ValueError: naming ``name`` and the value.
    """
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a pair (lo, hi), got {value!r}') from None
    if not all(isinstance(v, numbers.Real) and math.isfinite(v) for v in (lo, hi)):
        raise ValueError(f'{name} must hold two finite numbers, got {value!r}')
    if lo > hi or (strict and lo == hi):
        raise ValueError(f"{name} must have lo {'<' if strict else '<='} hi, got {value!r}")
    if low is not None and lo < low:
        raise ValueError(f'{name} must lie in [{low}, ...), got {value!r}')
    if high is not None and hi > high:
        raise ValueError(f'{name} must lie in (..., {high}], got {value!r}')
    return float(lo), float(hi)
