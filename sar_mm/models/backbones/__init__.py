"""Backbones for small SAR chips (mmpretrain ``MODELS``)."""
from .sar_resnet import SARResNet

__all__ = ['SARResNet']
