from .draa import DRAAPercentileTruncation, DRAAToneMapping
from .foreground import SARTargetShadowRegions
from .loading import LoadSARImage
from .multimodal import LoadModalityPair
from .sentinel import S1DbClipScale, S2ReflectanceScale
from .speckle import RandomCalibrationGain, RandomSpeckle, SARLogNormalize

__all__ = [
    'LoadSARImage', 'DRAAToneMapping', 'DRAAPercentileTruncation', 'RandomSpeckle',
    'RandomCalibrationGain', 'SARLogNormalize', 'LoadModalityPair', 'SARTargetShadowRegions',
    'S1DbClipScale', 'S2ReflectanceScale'
]
