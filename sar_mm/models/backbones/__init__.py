"""Backbones for small SAR chips (mmpretrain ``MODELS``)."""
from .irpe import IRPE, IRPECross, bucket_ids, build_irpe, num_buckets, piecewise_index
from .sar_jepa_vit import SARJEPAViT
from .sar_resnet import SARResNet
from .vit_irpe import IRPEMultiheadAttention, IRPETransformerEncoderLayer, VisionTransformerIRPE

__all__ = ['SARResNet']
__all__ += ['IRPE', 'IRPECross', 'bucket_ids', 'build_irpe', 'num_buckets', 'piecewise_index']
__all__ += ['IRPEMultiheadAttention', 'IRPETransformerEncoderLayer', 'VisionTransformerIRPE']
__all__ += ['SARJEPAViT']
