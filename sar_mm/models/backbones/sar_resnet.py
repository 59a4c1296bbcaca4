"""A ResNet whose stem keeps the spatial resolution of small SAR target chips."""
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmpretrain.models.backbones import ResNet
from torch import nn

from sar_mm.registry import MODELS


@MODELS.register_module()
class SARResNet(ResNet):
    """mmpretrain's ``ResNet`` with a 3x3 stem of configurable stride and no max-pool.

    The ImageNet stem (7x7 convolution of stride 2, then a 3x3 max-pool of stride 2) divides a
    chip by 4 before the first stage, so the last stage of a ResNet-18 sees a 4x4 map of a
    128-px MSTAR chip and a 2x2 map of a 64-px one: the target and its shadow, a few pixels
    wide, are pooled away before any residual block sees them. As for CIFAR (He et al., CVPR
    2016, Sec. 4.2; mmpretrain's ``ResNet_CIFAR``, stride 1), this stem is one 3x3 convolution
    of stride ``stem_stride`` and no max-pool: with ``stem_stride=2`` a 64-px chip reaches the
    stages at 32x32 and leaves the last one at 4x4, at a quarter of ``ResNet_CIFAR``'s cost.
    Everything else (stages, ``out_indices``, ``frozen_stages``, ``init_cfg``) is ``ResNet``'s,
    and the stem keeps its parameter names (``conv1``, ``norm1``).

    Args:
        stem_stride (int): Stride of the stem convolution (1 or 2). Defaults to 2.
        **kwargs: ``ResNet`` arguments (``deep_stem`` is not supported).

    Example:
        >>> import torch
        >>> net = SARResNet(depth=18, in_channels=1, out_indices=(0, 3))
        >>> [tuple(o.shape) for o in net(torch.rand(2, 1, 64, 64))]
        [(2, 64, 32, 32), (2, 512, 4, 4)]
    """

    def __init__(self, *args, stem_stride=2, **kwargs):
        if kwargs.get('deep_stem'):
            raise ValueError('SARResNet has its own 3x3 stem; deep_stem is not supported')
        if stem_stride not in (1, 2):
            raise ValueError(f'stem_stride must be 1 or 2, got {stem_stride}')
        self.stem_stride = stem_stride
        super().__init__(*args, **kwargs)

    def _make_stem_layer(self, in_channels, stem_channels):
        self.conv1 = build_conv_layer(
            self.conv_cfg,
            in_channels,
            stem_channels,
            kernel_size=3,
            stride=self.stem_stride,
            padding=1,
            bias=False)
        self.norm1_name, norm1 = build_norm_layer(self.norm_cfg, stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity()
