from .sar_jepa_predictor import SARJEPAPredictor
from .sequential_neck import SequentialNeck
from .simple_feature_pyramid import SimpleFeaturePyramid

__all__ = ['SARJEPAPredictor', 'SequentialNeck', 'SimpleFeaturePyramid']
