"""SAR datasets of all three codebases and the transforms that load and augment SAR data."""
from .bigearthnet_s1 import BigEarthNetS1
from .fewshot import select_few_shot, select_interleaved
from .fusar_ship import FUSARShip
from .meter_ml import METERML
from .mstar import MSTAR
from .opensarship import OpenSARShip
from .opensarurban import OpenSARUrban
from .paired_modality import PairedModalityDataset
from .sar_acd import SARACD
from .sar_classification import AnnotationLineError, SARClassificationDataset, read_image_list
from .sar_ship_detection import HRSID, LSSSDD, SSDD, SARShipDataset
from .sar_ship_segmentation import SARShipSegDataset
from .sar_unlabeled import SARUnlabeledDataset
from .sen12ms import DFC2020, SEN12MS
from .spacenet6 import SpaceNet6SAR
from .transforms import *  # noqa: F401,F403

__all__ = [
    'select_few_shot', 'select_interleaved', 'SARClassificationDataset', 'AnnotationLineError',
    'read_image_list', 'MSTAR', 'FUSARShip', 'OpenSARShip', 'SARACD', 'OpenSARUrban',
    'BigEarthNetS1', 'SARShipDataset', 'SSDD', 'HRSID', 'LSSSDD', 'SARShipSegDataset',
    'SpaceNet6SAR', 'SARUnlabeledDataset', 'PairedModalityDataset', 'SEN12MS', 'DFC2020', 'METERML'
]
