"""SAR ship segmentation sets: image folder + mask folder (mmseg)."""
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class SARShipSegDataset(BaseSegDataset):
    """Semantic segmentation of ships in SAR scenes: classes ``background`` and ``ship``.

    Masks are single-channel PNGs with 0 for background and 1 for ship pixels.

    Args:
        img_suffix (str): Suffix of the SAR images. Defaults to ``'.tif'``.
        seg_map_suffix (str): Suffix of the masks. Defaults to ``'.png'``.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset` (``data_root``,
            ``data_prefix=dict(img_path=..., seg_map_path=...)``, ``pipeline``, ...).
    """

    METAINFO = dict(classes=('background', 'ship'), palette=[[0, 0, 0], [0, 255, 0]])

    def __init__(self, img_suffix='.tif', seg_map_suffix='.png', **kwargs):
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
