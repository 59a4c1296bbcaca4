"""MSTAR vehicle target chips (10-class SOC and its common subsets)."""
import re

import mmengine
from mmpretrain.registry import DATASETS

from .sar_classification import SARClassificationDataset, normalize_class_name

_RAW_EXTENSION = re.compile(r'\.\d{3}$')


@DATASETS.register_module()
class MSTAR(SARClassificationDataset):
    """MSTAR target chips for vehicle recognition, SOC 10-class by default.

    Moving and Stationary Target Acquisition and Recognition public release (AFRL/DARPA,
    X-band spotlight, 0.3 m; https://www.sdms.afrl.af.mil/index.php?collection=mstar). Reference:
    T. D. Ross, S. W. Worrell, V. J. Velten, J. C. Mossing and M. L. Bryant, "Standard SAR ATR
    evaluation experiments using the MSTAR public release data set", Proc. SPIE 3370, 1998.

    **Split.** The standard operating condition (SOC) protocol trains on the 17 deg depression
    chips and tests on the 15 deg chips of the same targets. The dataset does not pick the
    depression itself: point ``data_prefix`` at the 17 deg (train) or 15 deg (test) folder, or
    ``ann_file`` at the matching list file, in each dataloader of the config.

    **Classes** (``variant``):

    - ``'soc10'`` (default): 2S1, BMP2, BRDM_2, BTR60, BTR70, D7, T62, T72, ZIL131, ZSU_23_4.
    - ``'soc3'``: BMP2, BTR70, T72, the three-target set of the first MSTAR release (the T72 BMP2
      BTR70 SLICY collection).
    - ``'mixed8'``: 2S1, BRDM_2, BTR60, D7, SLICY, T62, ZIL131, ZSU_23_4, i.e. the SDMS
      "MSTAR/IU Mixed Targets" collection, which is what circulates as "MSTAR 8 classes" (e.g. the
      Kaggle set atreyamajumdar/mstar-dataset-8-classes, whose folders are exactly these eight,
      including the SLICY calibration target). The literature has no single 8-class protocol, so
      any other subset is given with ``classes``.

    ``classes`` (or ``metainfo=dict(classes=...)``) selects and orders any subset of the SOC-10
    names plus SLICY; names are validated and normalised to the spellings above. Label indices
    of a list file index this class tuple.

    **Layout.** Folder mode: ``data_prefix/<class>/**/<chip>``; class folders may use the common
    spellings (``BTR_60``, ``BTR_70``, ``BRDM2``, ``ZSU234``, ``ZSU-23-4``, ``ZIL_131``, ``2S_1``:
    case, spaces, ``_`` and ``-`` are ignored), and the serial-number folders ``BMP2_SN9563``,
    ``SN_9566``, ``SN_C21``, ``T72_SN132``, ``SN_812``, ``SN_S7`` and ``SN_C71`` count as their
    targets. Folders of classes not selected are skipped. Besides the formats of
    :func:`sar_mm.fileio.read_sar`, raw MSTAR (Phoenix) files named with a 3-digit extension
    (``HB03333.015``, ``.000``, ``.017``) are listed; ``LoadSARImage`` reads them (complex
    magnitude + phase) and puts their Phoenix header in ``results['mstar_header']``.
    List mode: ``relative/path label`` lines as in :class:`SARClassificationDataset` (labels as
    indices or class names/aliases).

    Args:
        variant (str): ``'soc10'``, ``'soc3'`` or ``'mixed8'``. Defaults to ``'soc10'``.
        classes (Sequence[str] | str, optional): Subset (and order) of classes, or a file with
            one name a line; overrides ``variant``. Defaults to None.
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``, ``data_prefix``,
            ``ann_file``, ``num_shots``, ``seed``, ``fewshot_split``, ``pipeline``, ...).
    """

    SOC10 = ('2S1', 'BMP2', 'BRDM_2', 'BTR60', 'BTR70', 'D7', 'T62', 'T72', 'ZIL131', 'ZSU_23_4')
    VARIANTS = {
        'soc10': SOC10,
        'soc3': ('BMP2', 'BTR70', 'T72'),
        'mixed8': ('2S1', 'BRDM_2', 'BTR60', 'D7', 'SLICY', 'T62', 'ZIL131', 'ZSU_23_4'),
    }
    #: Every class name ``classes`` may select.
    ALL_CLASSES = SOC10 + ('SLICY', )
    METAINFO = dict(classes=SOC10)
    CLASS_ALIASES = {
        # serial-number folders of the SOC targets
        'BMP2_SN9563': 'BMP2',
        'BMP2_SN9566': 'BMP2',
        'BMP2_SNC21': 'BMP2',
        'SN_9563': 'BMP2',
        'SN_9566': 'BMP2',
        'SN_C21': 'BMP2',
        'T72_SN132': 'T72',
        'T72_SN812': 'T72',
        'T72_SNS7': 'T72',
        'SN_132': 'T72',
        'SN_812': 'T72',
        'SN_S7': 'T72',
        'BTR70_SNC71': 'BTR70',
        'SN_C71': 'BTR70',
    }

    def __init__(self, *args, variant='soc10', classes=None, metainfo=None, **kwargs):
        if variant not in self.VARIANTS:
            raise ValueError(f'MSTAR variant must be one of {tuple(self.VARIANTS)}, '
                             f'got {variant!r}')
        metainfo = dict(metainfo or {})
        if classes is not None and 'classes' in metainfo:
            raise ValueError('MSTAR: give the class subset once, as classes= or as '
                             'metainfo["classes"], not both')
        chosen = metainfo.get('classes', classes)
        if chosen is None:
            chosen = self.VARIANTS[variant]
        elif isinstance(chosen, str):
            chosen = mmengine.list_from_file(chosen)
        metainfo['classes'] = self.canonical_classes(chosen)
        self.variant = variant
        super().__init__(*args, metainfo=metainfo, **kwargs)

    @classmethod
    def canonical_classes(cls, names):
        """Validate a class subset against :attr:`ALL_CLASSES` and return canonical spellings."""
        known = {normalize_class_name(name): name for name in cls.ALL_CLASSES}
        known.update({
            normalize_class_name(alias): name
            for alias, name in cls.CLASS_ALIASES.items()
        })
        canonical = []
        for name in names:
            key = normalize_class_name(name)
            if key not in known:
                raise ValueError(f'MSTAR: unknown class {name!r}; choose from {cls.ALL_CLASSES}')
            if known[key] in canonical:
                raise ValueError(f'MSTAR: class {known[key]!r} given twice in {tuple(names)}')
            canonical.append(known[key])
        if not canonical:
            raise ValueError('MSTAR: the class subset is empty')
        return tuple(canonical)

    def is_valid_file(self, filename):
        """Files in a read format, plus raw MSTAR files with a 3-digit extension (``.015``)."""
        return super().is_valid_file(filename) or bool(_RAW_EXTENSION.search(filename))
