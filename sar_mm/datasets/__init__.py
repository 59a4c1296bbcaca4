"""SAR datasets of all three codebases and the transforms that load and augment SAR data."""
from .fewshot import select_few_shot
from .sar_classification import SARClassificationDataset
from .sar_ship_detection import SARShipDataset
from .sar_ship_segmentation import SARShipSegDataset
from .sar_unlabeled import SARUnlabeledDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'select_few_shot', 'SARClassificationDataset', 'SARShipDataset', 'SARShipSegDataset',
    'SARUnlabeledDataset'
]
