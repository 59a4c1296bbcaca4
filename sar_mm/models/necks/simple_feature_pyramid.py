"""A feature pyramid from a plain ViT's single map, so SAR-JEPA ViTs drop into FCOS / UPerNet."""
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from sar_mm.registry import MODELS


class _LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) map."""

    def forward(self, x):
        return F.layer_norm(
            x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
            self.eps).permute(0, 3, 1, 2)


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """ViTDet's simple feature pyramid: several scales built from the last ViT feature map.

    Li, Mao, Girshick and He, "Exploring Plain Vision Transformer Backbones for Object
    Detection", ECCV 2022. A plain ViT gives one map at stride ``p`` (its patch size). For each
    scale factor s the map is resampled to stride ``p / s``: s = 4 by two stride-2 transposed
    convolutions (LayerNorm and GELU between them), s = 2 by one, s = 1 unchanged, s = 0.5 by
    2x2 max pooling, s = 0.25 by 4x4 max pooling; each is then projected by a 1x1 and a 3x3
    convolution with LayerNorm to ``out_channels``. Further levels (``num_outs`` beyond the
    scales) are stride-2 max pools of the last one, as ViTDet's P6. Registered in mmengine's
    root registry, so mmdet and mmseg configs use it by name.

    Args:
        in_channels (int): Channels of the ViT map (its embedding size).
        out_channels (int): Channels of every output level.
        scale_factors (Sequence[float]): Resampling factors, largest first, from
            (4, 2, 1, 0.5, 0.25). Defaults to (2.0, 1.0, 0.5).
        num_outs (int, optional): Total output levels (>= len(scale_factors)). Defaults to
            len(scale_factors).
        in_index (int): Which backbone output to use. Defaults to -1 (the last).
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels,
                 out_channels,
                 scale_factors=(2.0, 1.0, 0.5),
                 num_outs=None,
                 in_index=-1,
                 init_cfg=None):
        super().__init__(init_cfg)
        if list(scale_factors) != sorted(scale_factors, reverse=True):
            raise ValueError(f'scale_factors must be in decreasing order, got {scale_factors}')
        self.num_outs = num_outs or len(scale_factors)
        if self.num_outs < len(scale_factors):
            raise ValueError(f'num_outs ({num_outs}) < number of scale factors '
                             f'({len(scale_factors)})')
        self.in_index = in_index
        self.scale_factors = tuple(scale_factors)
        self.stages = nn.ModuleList()
        for scale in self.scale_factors:
            layers, dim = self._resample(scale, in_channels), in_channels
            if scale == 4.0:
                dim = in_channels // 4
            elif scale == 2.0:
                dim = in_channels // 2
            layers += [
                ConvModule(dim, out_channels, 1, bias=False, norm_cfg=None, act_cfg=None),
                _LayerNorm2d(out_channels),
                ConvModule(
                    out_channels,
                    out_channels,
                    3,
                    padding=1,
                    bias=False,
                    norm_cfg=None,
                    act_cfg=None),
                _LayerNorm2d(out_channels),
            ]
            self.stages.append(nn.Sequential(*layers))

    @staticmethod
    def _resample(scale, dim):
        if scale == 4.0:
            return [
                nn.ConvTranspose2d(dim, dim // 2, 2, stride=2),
                _LayerNorm2d(dim // 2),
                nn.GELU(),
                nn.ConvTranspose2d(dim // 2, dim // 4, 2, stride=2)
            ]
        if scale == 2.0:
            return [nn.ConvTranspose2d(dim, dim // 2, 2, stride=2)]
        if scale == 1.0:
            return []
        if scale in (0.5, 0.25):
            size = int(round(1 / scale))
            return [nn.MaxPool2d(size, stride=size)]
        raise ValueError(f'unsupported scale factor {scale}; use 4, 2, 1, 0.5 or 0.25')

    def forward(self, inputs):
        x = inputs[self.in_index] if isinstance(inputs, (list, tuple)) else inputs  # (N, C, h, w)
        outs = [stage(x) for stage in self.stages]  # strides p/s for each scale factor s
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)
