"""OpenSARShip ship chips (Sentinel-1) for ship-type recognition."""
from mmpretrain.registry import DATASETS

from .sar_classification import SARClassificationDataset


@DATASETS.register_module()
class OpenSARShip(SARClassificationDataset):
    """OpenSARShip: Sentinel-1 ship chips labelled from AIS messages.

    L. Huang, B. Liu, B. Li, W. Guo, W. Yu, Z. Zhang and W. Yu, "OpenSARShip: A dataset
    dedicated to Sentinel-1 ship interpretation", IEEE JSTARS 11(1):195-208, 2018. 11 346 chips
    integrated with AIS messages that give each ship's type.

    **Classes.** Setups differ between papers, so by default (``METAINFO`` classes empty) the
    classes are **the sorted set of class names found in the list file** (or the sorted class
    folders in folder mode), e.g. the AIS types ``('Cargo', 'Fishing', 'Law Enforcement',
    'Other Type', 'Tanker', ...)``. ``variant='3class'`` selects the most common benchmark, bulk
    carrier / container ship / tanker (``THREE_CLASSES``, label order 0/1/2 as in the widely
    shared 2805-chip VV version of this setup, e.g.
    github.com/voooids/AIExample-for-Ship-Classification); ``metainfo=dict(classes=(...))``
    gives any other set (list labels are then names or indices into it). Index labels without
    given classes load, but leave the class names unknown. ``variant='sar-hub14'`` selects the
    14 AIS types of SAR-HUB's OpenSARShip splits (``SAR_HUB_CLASSES``, in its label order 0..13:
    Tug, Pilot Vessel, Towing, Search and Rescue Vessel, Law Enforcement, Pleasure Craft, Port
    Tender, Passenger, Wing in Ground, High Speed Craft, Dredging or Underwater Ops, Cargo,
    Tanker, Fishing; Yang et al., Remote Sensing 15(23):5534, 2023, github.com/XAI4SAR/SAR-HUB
    ``Fine-tuning/Target_recognition/data/OSS``), whose lists
    ``tools/dataset_converters/sar_hub_splits.py`` writes.

    **Layout.** Calibrated chips lie under ``OpenSARShip1/<scene>/Patch_Cal/``, named after
    their AIS type (``Cargo_x10661_y11170.tif``); build a list file with one chip a line, path
    and AIS type separated by a TAB because type names contain spaces::

        OpenSARShip1/<scene>/Patch_Cal/Cargo_x10661_y11170.tif<TAB>Cargo
        OpenSARShip1/<scene>/Patch_Cal/<chip>.tif<TAB>Other Type

    Folder mode reads ``data_prefix/<class>/**/<chip>`` trees.

    Args:
        variant (str, optional): None (classes from the data or ``metainfo``), ``'3class'`` or
            ``'sar-hub14'``. Defaults to None.
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``,
            ``data_prefix``, ``ann_file``, ``metainfo``, ``num_shots``, ``pipeline``, ...).
    """

    THREE_CLASSES = ('Bulk Carrier', 'Container Ship', 'Tanker')
    #: SAR-HUB's 14 AIS types, in its label order (the folder names of its lists, spaced).
    SAR_HUB_CLASSES = ('Tug', 'Pilot Vessel', 'Towing', 'Search and Rescue Vessel',
                       'Law Enforcement', 'Pleasure Craft', 'Port Tender', 'Passenger',
                       'Wing in Ground', 'High Speed Craft', 'Dredging or Underwater Ops', 'Cargo',
                       'Tanker', 'Fishing')
    VARIANTS = {'3class': THREE_CLASSES, 'sar-hub14': SAR_HUB_CLASSES}
    #: Empty: the classes are read from the list file or folders unless given.
    METAINFO = dict(classes=())

    def __init__(self, *args, variant=None, metainfo=None, **kwargs):
        if variant is not None and variant not in self.VARIANTS:
            raise ValueError(f'OpenSARShip variant must be None or one of '
                             f'{tuple(self.VARIANTS)}, got {variant!r}')
        if variant is not None:
            metainfo = dict(metainfo or {})
            metainfo.setdefault('classes', self.VARIANTS[variant])
        self.variant = variant
        super().__init__(*args, metainfo=metainfo, **kwargs)
