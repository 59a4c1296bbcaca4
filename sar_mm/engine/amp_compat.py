"""bfloat16 autocast with mmcv 2.1's CUDA ops that have no bfloat16 kernel.

mmdet's ``FocalLoss`` (FCOS, RetinaNet, ...) calls mmcv's CUDA ``sigmoid_focal_loss`` on GPU
tensors; its kernels are compiled for float32, float64 and float16 only
(``AT_DISPATCH_FLOATING_TYPES_AND_HALF``), so under bfloat16 autocast the classification scores
arrive in bfloat16 and the op fails ("not implemented for 'BFloat16'"). mmdet's own ``--amp``
uses float16 and never meets this; sar_mm's ``--amp`` uses bfloat16 on GPUs that support it.

:func:`patch_mmdet_focal_loss_for_bfloat16` (run on ``import sar_mm``) makes mmdet's focal loss
hand the op float32 scores when they are bfloat16: the loss is then computed in float32 (the
gradient flows back through the cast). Nothing changes for float32 or float16 scores, or on the
CPU, where mmdet uses its PyTorch focal loss.
"""
import functools

import torch

_PATCHED = '_sar_mm_bfloat16_patch'


def float32_for_bfloat16(op):
    """Wrap ``op(pred, target, *args, **kwargs)`` to cast a bfloat16 ``pred`` to float32."""

    @functools.wraps(op)
    def wrapper(pred, target, *args, **kwargs):
        if isinstance(pred, torch.Tensor) and pred.dtype == torch.bfloat16:
            pred = pred.float()
        return op(pred, target, *args, **kwargs)

    setattr(wrapper, _PATCHED, True)
    return wrapper


def patch_mmdet_focal_loss_for_bfloat16():
    """Patch the mmcv op mmdet's ``sigmoid_focal_loss`` calls (idempotent). Returns whether
    mmdet's focal loss is patched (False when mmdet or mmcv's ops are not importable)."""
    try:
        from mmdet.models.losses import focal_loss
    except ImportError:  # mmdet or mmcv.ops missing: nothing to patch
        return False
    op = getattr(focal_loss, '_sigmoid_focal_loss', None)
    if op is None:
        return False
    if not getattr(op, _PATCHED, False):
        focal_loss._sigmoid_focal_loss = float32_for_bfloat16(op)
    return True
