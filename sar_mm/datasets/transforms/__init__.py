from .draa import DRAAPercentileTruncation, DRAAToneMapping
from .loading import LoadSARImage
from .speckle import RandomCalibrationGain, RandomSpeckle, SARLogNormalize

__all__ = [
    'LoadSARImage', 'DRAAToneMapping', 'DRAAPercentileTruncation', 'RandomSpeckle',
    'RandomCalibrationGain', 'SARLogNormalize'
]
