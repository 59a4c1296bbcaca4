"""SAR ship detection sets in COCO format (mmdet): the base class, SSDD, HRSID, LS-SSDD-v1.0."""
import os.path as osp

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS


def _is_local(path, backend_args):
    """Whether ``path`` is a plain file-system path that ``osp`` can check."""
    return not backend_args and '://' not in str(path)


@DATASETS.register_module()
class SARShipDataset(CocoDataset):
    """Single-class (``ship``) SAR ship detection dataset with COCO-format annotations.

    The base of SSDD, HRSID and LS-SSDD style sets; images may be any format ``LoadSARImage``
    reads. Unlike a plain ``CocoDataset`` it fails early and names the file when the annotation
    file is missing or unreadable, when an annotation lists an image that is not on disk, when the
    json has annotations but no ``ship`` category, and when no image is left after filtering.
    Its ``metainfo`` names the annotation file (``ann_file``), for metrics such as
    ``SlicedCocoMetric`` that read the tile json of ``tools/dataset_converters/slice_scenes.py``.

    Args:
        check_images (bool): Check, when the dataset is loaded, that every image listed in the
            annotation file exists (local paths only). Defaults to True.
        **kwargs: Arguments of :class:`mmdet.datasets.CocoDataset` (``data_root``, ``ann_file``,
            ``data_prefix``, ``pipeline``, ``filter_cfg``, ...).
    """

    METAINFO = dict(classes=('ship', ), palette=[(0, 255, 0)])

    def __init__(self, *args, check_images=True, **kwargs):
        self.check_images = check_images
        super().__init__(*args, **kwargs)
        # metrics see the dataset only through its metainfo: SlicedCocoMetric reads the tile
        # json of slice_scenes.py from here, so a data_root override reaches it too
        self._metainfo['ann_file'] = self.ann_file

    def _name(self):
        return type(self).__name__

    def load_data_list(self):
        ann_file = self.ann_file
        if not ann_file:
            raise ValueError(f'{self._name()}: ann_file (a COCO json) is required')
        local = _is_local(ann_file, self.backend_args)
        if local and not osp.isfile(ann_file):
            raise FileNotFoundError(f'{self._name()}: annotation file not found: {ann_file}')
        try:
            data_list = super().load_data_list()
        except (ValueError, KeyError, TypeError) as err:  # bad json, missing COCO keys
            raise ValueError(f'{self._name()}: cannot read COCO annotation file {ann_file} '
                             f'({type(err).__name__}: {err})') from err
        if not self.cat_ids:
            self._check_ship_category(ann_file)
        if self.check_images and _is_local(self.data_prefix.get('img', ''), self.backend_args):
            for info in data_list:
                if not osp.isfile(info['img_path']):
                    raise FileNotFoundError(
                        f'{self._name()}: image {info["img_path"]} listed in {ann_file} '
                        f'(image id {info["img_id"]}) does not exist')
        return data_list

    def _check_ship_category(self, ann_file):
        """Reject a json whose annotations exist but none of whose categories is a class."""
        import json
        if not _is_local(ann_file, self.backend_args):
            return
        with open(ann_file) as f:
            coco = json.load(f)
        if coco.get('annotations'):
            names = [c.get('name') for c in coco.get('categories', [])]
            raise ValueError(
                f'{self._name()}: {ann_file} has {len(coco["annotations"])} annotations but no '
                f'category named {self.metainfo["classes"]} (categories: {names})')

    def filter_data(self):
        before = len(self.data_list)
        if before == 0:
            raise ValueError(f'{self._name()}: {self.ann_file} lists no images')
        valid = super().filter_data()
        if not valid:
            raise ValueError(
                f'{self._name()}: no image of {self.ann_file} is left after filtering '
                f'(filter_cfg={self.filter_cfg}, {before} images before filtering); use '
                f'filter_cfg=dict(filter_empty_gt=False) to keep images without ships')
        return valid


@DATASETS.register_module()
class SSDD(SARShipDataset):
    """SSDD, the SAR Ship Detection Dataset: 1160 Sentinel-1/RadarSat-2/TerraSAR-X chips.

    Citation: T. Zhang, X. Zhang, J. Li, et al., "SAR Ship Detection Dataset (SSDD): Official
    Release and Comprehensive Data Analysis", Remote Sensing 13(18):3690, 2021.

    Expected layout (COCO json; the VOC release converts with
    ``tools/dataset_converters/voc2coco.py``)::

        data_root/
            images/            # *.jpg chips (any format LoadSARImage reads)
            annotations/
                train.json     # COCO, one category named 'ship'
                test.json

    e.g. ``SSDD(data_root='data/ssdd', ann_file='annotations/train.json',
    data_prefix=dict(img='images/'))``. The official split is by file name: images whose index
    ends in 1 or 9 are the test set.

    Args:
        **kwargs: Arguments of :class:`SARShipDataset`.
    """


@DATASETS.register_module()
class HRSID(SARShipDataset):
    """HRSID, high-resolution SAR ship detection: 5604 800x800 Sentinel-1B and TerraSAR-X chips.

    Citation: S. Wei, X. Zeng, Q. Qu, M. Wang, H. Su, J. Shi, "HRSID: A High-Resolution SAR
    Images Dataset for Ship Detection and Instance Segmentation", IEEE Access 8:120234-120254,
    2020. Sources: Sentinel-1B, TerraSAR-X and TanDEM-X.

    Expected layout (as released, COCO format)::

        data_root/             # e.g. HRSID_JPG
            JPEGImages/        # *.jpg, 800 x 800
            annotations/
                train2017.json # COCO, one category named 'ship'
                test2017.json

    e.g. ``HRSID(data_root='data/HRSID_JPG', ann_file='annotations/train2017.json',
    data_prefix=dict(img='JPEGImages/'))``. The polygon ``segmentation`` of each ship is kept in
    ``instances[i]['mask']`` for instance segmentation.

    Args:
        **kwargs: Arguments of :class:`SARShipDataset`.
    """


@DATASETS.register_module()
class LSSSDD(SARShipDataset):
    """LS-SSDD-v1.0, large-scale SAR ship detection: 800x800 sub-images of 15 Sentinel-1 scenes.

    Citation: T. Zhang, X. Zhang, X. Ke, et al., "LS-SSDD-v1.0: A Deep Learning Dataset Dedicated
    to Small Ship Detection from Large-Scale Sentinel-1 SAR Images", Remote Sensing 12(18):2997,
    2020.

    Each 24000 x 16000 scene is cut into 600 sub-images of 800 x 800 pixels (9000 in all; scenes
    1-10 train, 11-15 test). Expected layout, after converting the VOC release (``Annotations_sub``,
    ``JPEGImages_sub``) with ``tools/dataset_converters/voc2coco.py --ann-dir Annotations_sub
    --img-dir JPEGImages_sub``::

        data_root/
            JPEGImages_sub/    # *.jpg, 800 x 800 sub-images
            annotations/
                train.json     # COCO, one category named 'ship'
                test.json

    e.g. ``LSSSDD(data_root='data/LS-SSDD-v1.0', ann_file='annotations/train.json',
    data_prefix=dict(img='JPEGImages_sub/'))``. Most sub-images contain no ship: keep
    ``filter_cfg=dict(filter_empty_gt=True)`` for training unless pure-sea negatives are wanted.

    Args:
        **kwargs: Arguments of :class:`SARShipDataset`.
    """
