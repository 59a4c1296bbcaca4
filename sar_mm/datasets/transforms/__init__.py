from .draa import DRAAPercentileTruncation, DRAAToneMapping
from .foreground import SARTargetShadowRegions
from .loading import LoadSARImage
from .multimodal import LoadModalityPair
from .speckle import RandomCalibrationGain, RandomSpeckle, SARLogNormalize

__all__ = [
    'LoadSARImage', 'DRAAToneMapping', 'DRAAPercentileTruncation', 'RandomSpeckle',
    'RandomCalibrationGain', 'SARLogNormalize', 'LoadModalityPair',
    'SARTargetShadowRegions'
]
