"""Per-modality value scaling of Sentinel-1 (dB backscatter) and Sentinel-2 (reflectance) bands."""
import numpy as np
from mmcv.transforms import BaseTransform

from sar_mm.registry import TRANSFORMS


def _modality_slice(results, modality, name):
    """Channel slice of modality ``modality`` in the stacked ``img`` (all channels if None)."""
    img = results['img']
    if modality is None:
        return slice(0, img.shape[2])
    channels = results.get('modality_channels')
    if channels is None:
        raise KeyError(f'{name}: modality={modality} needs results["modality_channels"] '
                       '(set by LoadModalityPair); use modality=None for a single-modality image')
    if not 0 <= modality < len(channels):
        raise ValueError(f'{name}: modality {modality} does not exist in modality_channels='
                         f'{tuple(channels)}')
    start = int(sum(channels[:modality]))
    return slice(start, start + int(channels[modality]))


class _ModalityScale(BaseTransform):
    """Clip the channels of one stacked modality to ``[low, high]`` and map them to [0, 1]."""

    def __init__(self, low, high, modality=None):
        if not high > low:
            raise ValueError(f'{type(self).__name__}: needs high > low, got low={low}, '
                             f'high={high}')
        if modality is not None and int(modality) < 0:
            raise ValueError(f'{type(self).__name__}: modality must be >= 0, got {modality}')
        self.low = float(low)
        self.high = float(high)
        self.modality = None if modality is None else int(modality)

    def transform(self, results):
        img = results['img']
        if img.ndim == 2:
            img = img[:, :, None]
        img = img.astype(np.float32)  # a copy: the loaded array is not changed in place
        part = _modality_slice(dict(results, img=img), self.modality, type(self).__name__)
        values = np.nan_to_num(img[:, :, part], nan=self.low, posinf=self.high, neginf=self.low)
        img[:, :, part] = (np.clip(values, self.low, self.high) - self.low) / (self.high - self.low)
        results['img'] = img
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(low={self.low}, high={self.high}, '
                f'modality={self.modality})')


@TRANSFORMS.register_module()
class S1DbClipScale(_ModalityScale):
    """Clip Sentinel-1 backscatter in dB to ``[low_db, high_db]`` and scale it to [0, 1].

    ``(clip(x, low_db, high_db) - low_db) / (high_db - low_db)``; NaN (e.g. the one SEN12MS
    patch with NaN S1 values) becomes 0. With the defaults this is the S1 scaling of the
    DFC2020 baseline (M. Schmitt et al., "Weakly supervised semantic segmentation of satellite
    images for land cover mapping: challenges and opportunities", ISPRS Annals 2020,
    arXiv:2002.08254: clip to [-25, 0] dB). Applies to the channels of one modality of a pair
    stacked by ``LoadModalityPair`` (``modality``), or to the whole image.

    Required keys: ``img`` (H, W, C) and, with ``modality``, ``modality_channels``.
    Modified keys: ``img`` (float32).

    Args:
        low_db (float): Lowest dB value kept (maps to 0). Defaults to -25.
        high_db (float): Highest dB value kept (maps to 1). Defaults to 0.
        modality (int, optional): Index of the S1 modality in ``modality_channels``.
            Defaults to None (every channel).
    """

    def __init__(self, low_db=-25.0, high_db=0.0, modality=None):
        super().__init__(low_db, high_db, modality)


@TRANSFORMS.register_module()
class S2ReflectanceScale(_ModalityScale):
    """Sentinel-2 16-bit reflectance (digital numbers, 10000 = reflectance 1) to [0, 1].

    ``clip(x, 0, max_value) / max_value``, the S2 scaling of the DFC2020 baseline (Schmitt et
    al., 2020, arXiv:2002.08254). Per-band mean/std normalisation, where wanted after or
    instead of it, is the data preprocessor's ``mean``/``std`` (one entry per stacked channel).

    Required keys: ``img`` (H, W, C) and, with ``modality``, ``modality_channels``.
    Modified keys: ``img`` (float32).

    Args:
        max_value (float): Digital number of reflectance 1. Defaults to 10000.
        modality (int, optional): Index of the S2 modality in ``modality_channels``.
            Defaults to None (every channel).
    """

    def __init__(self, max_value=10000.0, modality=None):
        super().__init__(0.0, max_value, modality)
