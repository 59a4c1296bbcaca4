"""A chain of necks applied one after the other (e.g. pooling, then a feature BatchNorm)."""
import torch.nn as nn
from mmengine.model import BaseModule

from sar_mm.registry import MODELS


@MODELS.register_module()
class SequentialNeck(BaseModule):
    """Apply several necks in order, each to the previous one's output.

    OpenMMLab classifiers take a single ``neck``; this composes existing ones without writing a
    new class per combination. The few-shot linear probe uses it to put MAE's parameter-free
    feature BatchNorm (mmpretrain's ``ClsBatchNormNeck``; He et al., "Masked Autoencoders Are
    Scalable Vision Learners", CVPR 2022, linear probing) after a classifier's own neck, e.g.
    ``GlobalAveragePooling``.

    Args:
        necks (list[dict | nn.Module]): Neck configs (built in the current default scope) or
            modules.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, necks, init_cfg=None):
        super().__init__(init_cfg)
        if not necks:
            raise ValueError('SequentialNeck needs at least one neck')
        # the root registry builds in the current default scope (mmpretrain, mmdet or mmseg)
        self.necks = nn.ModuleList(
            neck if isinstance(neck, nn.Module) else MODELS.build(neck) for neck in necks)

    def forward(self, inputs):
        for neck in self.necks:
            inputs = neck(inputs)
        return inputs
