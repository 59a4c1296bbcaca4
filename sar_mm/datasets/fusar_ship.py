"""FUSAR-Ship ship chips (Gaofen-3) for ship-type recognition."""
from mmpretrain.registry import DATASETS

from .sar_classification import SARClassificationDataset


@DATASETS.register_module()
class FUSARShip(SARClassificationDataset):
    """FUSAR-Ship: Gaofen-3 ship chips labelled by AIS ship type.

    X. Hou, W. Ao, Q. Song, J. Lai, H. Wang and F. Xu, "FUSAR-Ship: building a high-resolution
    SAR-AIS matchup dataset of Gaofen-3 for ship detection and recognition", Science China
    Information Sciences 63, 140303, 2020. Over 5000 chips (512x512) from 100+ scenes, in
    primary AIS categories with sub-types.

    **Classes.** The default is the six-class fine-tuning set of SAR-HUB (Yang et al., "SAR-HUB:
    Pre-training, Fine-tuning, and Explaining", Remote Sensing 15(23):5534, 2023; lists
    ``Fine-tuning/Target_recognition/data/FSS/*.txt`` of github.com/XAI4SAR/SAR-HUB, labels
    0..5 = Cargo, Dredger, Fishing, Passenger, Tanker, Tug), so its labels keep their meaning;
    its lists name the authors' own files, ``tools/dataset_converters/sar_hub_splits.py``
    rewrites them for a local copy. Other class sets are given with
    ``metainfo=dict(classes=(...))`` or ``classes=(...)``; list labels then index (or name) that
    tuple.

    **Layout.** List mode: ``relative/or/absolute/path label`` lines (SAR-HUB style, label index
    or class name; ``.npy``/``.tif``/``.tiff``/``.png`` chips). Folder mode: one folder per
    category, e.g. the release's top-level ``FUSAR-Ship1.0/<Category>/<Subcategory>/*.tiff``
    tree: folders of the selected classes are read recursively, the other categories (Other,
    Unspecified, ...) are skipped with a warning.

    Args:
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``,
            ``data_prefix``, ``ann_file``, ``metainfo``, ``num_shots``, ``pipeline``, ...).
    """

    METAINFO = dict(classes=('Cargo', 'Dredger', 'Fishing', 'Passenger', 'Tanker', 'Tug'))
