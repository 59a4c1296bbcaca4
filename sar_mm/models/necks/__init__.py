from .sequential_neck import SequentialNeck
from .simple_feature_pyramid import SimpleFeaturePyramid

__all__ = ['SequentialNeck', 'SimpleFeaturePyramid']
