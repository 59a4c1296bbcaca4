"""Show SAR images to people: their range spans decades, so a linear cast to uint8 shows black."""
import numpy as np


def sar_to_display(image, domain='db', low=1.0, high=99.0):
    """Scale a SAR image to uint8 for display by a percentile stretch in the dB domain.

    Args:
        image (np.ndarray): (H, W) or (H, W, C) image; channels beyond the first are ignored.
        domain (str): What ``image`` holds: ``'db'``, ``'amplitude'`` or ``'intensity'``.
            Linear values are converted to dB (floored at 1e-10 intensity) before stretching.
        low (float): Percentile mapped to 0. Defaults to 1.
        high (float): Percentile mapped to 255. Defaults to 99.

    Returns:
        np.ndarray: (H, W) uint8 image.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        img = img[..., 0]
    if domain == 'amplitude':
        img = 10 * np.log10(np.maximum(img * img, 1e-10))
    elif domain == 'intensity':
        img = 10 * np.log10(np.maximum(img, 1e-10))
    elif domain != 'db':
        raise ValueError(f"domain must be 'db', 'amplitude' or 'intensity', got {domain!r}")
    finite = img[np.isfinite(img)]
    if finite.size == 0:
        return np.zeros(img.shape, np.uint8)
    lo, hi = np.percentile(finite, [low, high])
    scaled = (np.nan_to_num(img, nan=lo) - lo) / max(hi - lo, 1e-12)
    return (np.clip(scaled, 0, 1) * 255).round().astype(np.uint8)
