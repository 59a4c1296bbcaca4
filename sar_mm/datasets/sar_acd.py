"""SAR-ACD civil aircraft chips (Gaofen-3) for aircraft-type recognition."""
from mmpretrain.registry import DATASETS

from .sar_classification import SARClassificationDataset


@DATASETS.register_module()
class SARACD(SARClassificationDataset):
    """SAR-ACD: Gaofen-3 chips of civil aircraft, classified by aircraft type.

    SAR aircraft category dataset of Gaofen-3 images of civil airports, introduced with X. Sun,
    Y. Lv, Z. Wang and K. Fu, "SCAN: Scattering characteristics analysis network for few-shot
    aircraft classification in high-resolution SAR images", IEEE TGRS 60, 2022.

    **Classes** (``METAINFO``, alphabetical): A220, A330, ARJ21, Boeing737, Boeing787, the five
    types of the public release. ``B737``/``B787`` and case/``_``/space variants are accepted as
    folder names and list labels; other sets are given with ``metainfo=dict(classes=(...))``.

    **Layout.** Folder mode: ``data_prefix/<type>/**/<chip>`` (one folder per type, as released).
    List mode: ``relative/path label`` lines (label index or type name), e.g. for a
    train/test split of the folders.

    Args:
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``,
            ``data_prefix``, ``ann_file``, ``metainfo``, ``num_shots``, ``pipeline``, ...).
    """

    METAINFO = dict(classes=('A220', 'A330', 'ARJ21', 'Boeing737', 'Boeing787'))
    CLASS_ALIASES = {
        'B737': 'Boeing737',
        'B787': 'Boeing787',
        'B-737': 'Boeing737',
        'B-787': 'Boeing787'
    }
