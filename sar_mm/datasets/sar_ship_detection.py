"""SAR ship detection sets in COCO format (mmdet)."""
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS


@DATASETS.register_module()
class SARShipDataset(CocoDataset):
    """Single-class (``ship``) SAR ship detection dataset with COCO-format annotations.

    The base of SSDD, HRSID and LS-SSDD style sets; images may be any format ``LoadSARImage``
    reads.

    Args:
        **kwargs: Arguments of :class:`mmdet.datasets.CocoDataset` (``data_root``, ``ann_file``,
            ``data_prefix``, ``pipeline``, ``filter_cfg``, ...).
    """

    METAINFO = dict(classes=('ship', ), palette=[(0, 255, 0)])
