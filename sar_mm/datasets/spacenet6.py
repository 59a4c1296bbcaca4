"""SpaceNet 6 (MSAW) SAR building footprint segmentation (mmseg)."""
import os.path as osp

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class SpaceNet6SAR(BaseSegDataset):
    """SpaceNet 6 building segmentation from quad-pol SAR-Intensity tiles (Rotterdam, 0.5 m).

    Citation: J. Shermeyer, D. Hogan, J. Brown, et al., "SpaceNet 6: Multi-Sensor All Weather
    Mapping Dataset", CVPR Workshops (EarthVision), 2020.

    Images are the ``SAR-Intensity`` GeoTIFF tiles: 4 float32 bands in the order HH, HV, VH, VV
    (read with ``LoadSARImage``; select polarisations with its ``bands`` argument and set its
    ``file_kind`` to the value domain of your product). Zero pixels mark no-data outside the
    swath. Building labels are released as GeoJSON polygons and **must be rasterised beforehand**
    to single-channel PNG masks on each tile's grid, with 0 for background and 1 for building
    (not 255: mmseg reads 255 as ``ignore_index``). A mask is found by the image's file name with
    ``img_suffix`` replaced by ``seg_map_suffix``. Expected layout::

        data_root/
            SAR-Intensity/   # SN6_Train_AOI_11_Rotterdam_SAR-Intensity_<date>_tile_<n>.tif
            masks/           # SN6_Train_AOI_11_Rotterdam_SAR-Intensity_<date>_tile_<n>.png

    e.g. ``SpaceNet6SAR(data_root='data/spacenet6/train/AOI_11_Rotterdam',
    data_prefix=dict(img_path='SAR-Intensity', seg_map_path='masks'))``. Sub-folders are searched
    recursively; an ``ann_file`` (one image name without suffix per line) selects a split. The
    tiles were collected from two look directions; the dataset does not rotate them.

    Args:
        img_suffix (str): Suffix of the SAR tiles. Defaults to ``'.tif'``.
        seg_map_suffix (str): Suffix of the rasterised masks. Defaults to ``'.png'``.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset` (``data_root``,
            ``data_prefix=dict(img_path=..., seg_map_path=...)``, ``ann_file``, ``pipeline``,
            ...).
    """

    METAINFO = dict(classes=('background', 'building'), palette=[[0, 0, 0], [255, 0, 0]])

    def __init__(self, img_suffix='.tif', seg_map_suffix='.png', **kwargs):
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    def _local(self, path):
        return not self.backend_args and '://' not in str(path)

    def load_data_list(self):
        name = type(self).__name__
        img_dir = self.data_prefix.get('img_path', None)
        seg_dir = self.data_prefix.get('seg_map_path', None)
        if self.ann_file and self._local(self.ann_file) and not osp.exists(self.ann_file):
            raise FileNotFoundError(f'{name}: split file not found: {self.ann_file}')
        for kind, folder in (('image', img_dir), ('mask', seg_dir)):
            if folder and self._local(folder) and not osp.isdir(folder):
                raise FileNotFoundError(f'{name}: {kind} folder not found: {folder}')
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'{name}: no *{self.img_suffix} image in {img_dir}' +
                             (f' listed by {self.ann_file}' if self.ann_file else ''))
        for info in data_list:
            if self._local(info['img_path']) and not osp.isfile(info['img_path']):
                raise FileNotFoundError(f'{name}: image not found: {info["img_path"]}'
                                        f' (listed in {self.ann_file})')
            mask = info.get('seg_map_path')
            if mask and self._local(mask) and not osp.isfile(mask):
                raise FileNotFoundError(
                    f'{name}: image {info["img_path"]} has no mask: expected {mask} (rasterise '
                    f'the building polygons to a 0/1 PNG of the same name)')
        return data_list
