"""Loading co-registered image pairs (two polarisations, SAR + optical) as one stacked image."""
import numpy as np
from mmcv.transforms import BaseTransform

from sar_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadModalityPair(BaseTransform):
    """Load the images of a co-registered pair and stack them channel-wise into ``img``.

    Each modality is read by its own loading transform (``LoadSARImage`` with its value
    domain, or mmcv's ``LoadImageFromFile`` for optical images), then the two (H, W, c_m)
    arrays are stacked into one float32 (H, W, c_a + c_b) ``img``. Every later transform of the
    pipeline (crop, flip, rotation, ``MultiView``) therefore applies to both modalities
    identically, which keeps them co-registered; :class:`MultiModalClassifier` splits the
    channels again with its ``modality_channels``.

    Required keys: ``img_paths`` (one path per modality, e.g. from
    :class:`PairedModalityDataset`).
    Optional keys (set by datasets that know their files' band layout, e.g. :class:`DFC2020`,
    :class:`METERML`): ``modality_band_counts`` (bands each file must hold, e.g. ``(2, 13)``
    for a Sentinel-1 VV/VH + Sentinel-2 L1C pair; a file with another count is an error naming
    it) and ``modality_bands`` (per modality, the band indices to keep, in order, e.g.
    ``((0, 1), (1, 2, 3, 7))`` for VV, VH + B2, B3, B4, B8).
    Added keys: ``img``, ``img_shape``, ``ori_shape``, ``modality_channels`` (channels per
    modality; add it to ``PackInputs``'s ``meta_keys`` to let the model check it).

    A pair whose images differ in height or width, or (with ``channels``) a file with an
    unexpected number of channels, raises an error naming the files.

    Args:
        loaders (Sequence[dict]): One loading transform config per modality, in order.
            Defaults to two ``dict(type='LoadSARImage')`` (amplitude).
        channels (Sequence[int], optional): Expected channels of each modality; checked when
            given. Defaults to None.
    """

    def __init__(self,
                 loaders=(dict(type='LoadSARImage'), dict(type='LoadSARImage')),
                 channels=None):
        loaders = list(loaders)
        if len(loaders) < 2:
            raise ValueError(f'LoadModalityPair: needs a loader per modality (>= 2), got '
                             f'{len(loaders)}')
        if channels is not None and len(channels) != len(loaders):
            raise ValueError(f'LoadModalityPair: {len(channels)} channel counts for '
                             f'{len(loaders)} loaders')
        self.loaders = [TRANSFORMS.build(c) if isinstance(c, dict) else c for c in loaders]
        self.channels = None if channels is None else tuple(int(c) for c in channels)

    def transform(self, results):
        paths = results.get('img_paths')
        if paths is None or len(paths) != len(self.loaders):
            raise KeyError(f'LoadModalityPair: results need img_paths with {len(self.loaders)} '
                           f'paths (one per modality), got {paths!r}')
        counts = results.get('modality_band_counts')
        bands = results.get('modality_bands')
        for name, value in (('modality_band_counts', counts), ('modality_bands', bands)):
            if value is not None and len(value) != len(self.loaders):
                raise ValueError(f'LoadModalityPair: {name} has {len(value)} entries for '
                                 f'{len(self.loaders)} modalities: {value!r}')
        images = []
        for index, (loader, path) in enumerate(zip(self.loaders, paths)):
            out = loader(dict(img_path=path))
            if out is None:
                raise ValueError(f'LoadModalityPair: loader {index} returned nothing for {path}')
            img = np.asarray(out['img'])
            img = img[:, :, None] if img.ndim == 2 else img  # (H, W, c_m)
            if counts is not None and counts[index] is not None and \
                    img.shape[2] != int(counts[index]):
                raise ValueError(f'{path}: {img.shape[2]} bands, but this file of modality '
                                 f'{index} should hold {int(counts[index])}')
            if bands is not None and bands[index] is not None:
                img = img[:, :, list(bands[index])]  # (H, W, selected bands)
            if self.channels is not None and img.shape[2] != self.channels[index]:
                raise ValueError(f'{path}: {img.shape[2]} channels, but modality {index} of the '
                                 f'pair should have {self.channels[index]} '
                                 f'(LoadModalityPair channels={self.channels})')
            images.append(img.astype(np.float32, copy=False))
        sizes = [img.shape[:2] for img in images]
        if len(set(sizes)) != 1:
            described = ', '.join(f'{p} is {h}x{w}' for p, (h, w) in zip(paths, sizes))
            raise ValueError(f'LoadModalityPair: the images of a pair must be co-registered '
                             f'(same height and width): {described}')
        img = np.concatenate(images, axis=2)  # (H, W, sum c_m)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['modality_channels'] = tuple(int(i.shape[2]) for i in images)
        return results

    def __repr__(self):
        return f'{type(self).__name__}(loaders={self.loaders!r}, channels={self.channels})'
