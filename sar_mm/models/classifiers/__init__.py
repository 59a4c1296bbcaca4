"""Classifiers trained with supervised contrastive learning (mmpretrain ``MODELS``)."""
from .data_preprocessor import MultiViewClsDataPreprocessor
from .multimodal_classifier import MultiModalClassifier
from .supcon_classifier import SupConClassifier

__all__ = ['MultiViewClsDataPreprocessor', 'SupConClassifier', 'MultiModalClassifier']
