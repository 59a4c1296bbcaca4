"""OpenSARUrban urban scene patches (Sentinel-1) for scene classification."""
from mmpretrain.registry import DATASETS

from .sar_classification import SARClassificationDataset


@DATASETS.register_module()
class OpenSARUrban(SARClassificationDataset):
    """OpenSARUrban: Sentinel-1 urban scene patches in 10 categories.

    J. Zhao, Z. Zhang, W. Yao, M. Datcu, H. Xiong and W. Yu, "OpenSARUrban: A Sentinel-1 SAR
    image dataset for urban interpretation", IEEE JSTARS 13:187-203, 2020. 33 358 patches of
    21 Chinese cities, VV and VH, in 10 target-area categories.

    **Classes** (``METAINFO``, alphabetical): Airport, DenseResidential (dense low-rise
    residential), GeneralResidential, HighBuildings, Highway, Railway, SingleBuilding,
    Skyscraper, StorageArea, Vegetation. Nine of these names are the patch-name prefixes of the
    release as used in SAR-HUB's lists (``SAR Scene Classification/Data/OSU_*.txt`` of
    github.com/XAI4SAR/SAR-HUB: ``airport``, ``denselow``, ``GeneralResidential``,
    ``highbuilding(s)``, ``highway``, ``SingleBuilding``, ``Skyscraper``, ``StorageArea``,
    ``vegetation``; accepted as aliases). The tenth, Railway, does not occur in that list; it is
    the paper's remaining transport category as recalled, not checked against a copy of the
    paper: if yours names it differently, give the classes with ``metainfo=dict(classes=(...))``.
    Label indices follow this alphabetical order, not SAR-HUB's; index lists made for another
    order need ``metainfo=dict(classes=(...))`` in that order.

    **Layout.** Folder mode: ``data_prefix/<category>/**/<patch>`` (``.tif`` or ``.npy``, VV or
    VH). List mode: ``relative/path label`` lines (label index or category name/alias).

    Args:
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``,
            ``data_prefix``, ``ann_file``, ``metainfo``, ``num_shots``, ``pipeline``, ...).
    """

    METAINFO = dict(
        classes=('Airport', 'DenseResidential', 'GeneralResidential', 'HighBuildings', 'Highway',
                 'Railway', 'SingleBuilding', 'Skyscraper', 'StorageArea', 'Vegetation'))
    CLASS_ALIASES = {
        'denselow': 'DenseResidential',
        'DenseLowResidential': 'DenseResidential',
        'highbuilding': 'HighBuildings',
        'Railways': 'Railway',
        'Highways': 'Highway',
        'Airports': 'Airport'
    }
