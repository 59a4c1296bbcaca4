"""Pretraining heads (mmpretrain ``MODELS``): the losses of the self-supervised algorithms."""
from .sar_jepa_head import SARJEPAHead

__all__ = ['SARJEPAHead']
