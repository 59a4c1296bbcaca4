"""SAR-JEPA's reconstruction head: masked mean squared error against the target features."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class SARJEPAHead(BaseModule):
    """Loss of SAR-JEPA (Li et al., ISPRS J. 2024), as ``MAEPretrainHead`` is MAE's.

    The mean squared error between the predictor's output and the target generator's features
    (the multi-scale SAR gradient in the paper) over the masked patches of every window:

    ``loss = mean over masked (window, patch) pairs and the D target values of (pred - target)^2``

    Visible patches are dropped before the error is formed, so they enter neither the loss nor
    its gradient; the reference code (``Pretraining/models_lomar.py``, ``forward_loss``) forms
    the error on every window patch and then weights it by the mask, which has the same value.
    The error is computed in float32 (also under autocast). ``masked_only=True`` takes the
    predictions of the masked patches alone (what SARJEPA's predictor returns when it is asked
    for those rows only).

    Args:
        init_cfg (dict | list[dict], optional): Initialisation config (the head has no
            parameters).
    """

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)

    def loss(self,
             pred: torch.Tensor,
             target: torch.Tensor,
             mask: torch.Tensor,
             indices: Optional[torch.Tensor] = None,
             masked_only: bool = False) -> torch.Tensor:
        """Masked MSE.

        Args:
            pred (Tensor): Predictions (B*N, P, D) or (B, N, P, D); with ``masked_only`` those
                of the masked patches only, (B*N, M, D) or (B, N, M, D) in the order of
                ``mask`` (every window with the same number M of masked patches).
            target (Tensor): Targets of the whole patch grid (B, L, D) when ``indices`` is
                given, else of the windows (B, N, P, D).
            mask (Tensor): bool (B, N, P), True for the masked patches.
            indices (Tensor, optional): Grid indices of the window patches (B, N, P).
            masked_only (bool): ``pred`` holds the masked patches only. Defaults to False.

        Returns:
            Tensor: Scalar float32 loss.
        """
        if mask.dim() != 3:
            raise ValueError(f'sar_jepa_head.py: mask must be (B, N, P), got {tuple(mask.shape)}')
        batch, num_windows, num_patches = mask.shape
        if masked_only:
            num_masked = int(mask.sum())
            if pred.dim() not in (3, 4) or pred.shape[:-2].numel() != batch * num_windows \
                    or pred.shape[:-1].numel() != num_masked:
                raise ValueError(f'sar_jepa_head.py: predictions {tuple(pred.shape)} are not '
                                 f'those of the {num_masked} masked patches of {batch} x '
                                 f'{num_windows} windows')
            pred = pred.reshape(num_masked, -1)  # (masked patches, D), in the order of mask
        else:
            pred = pred.reshape(batch, num_windows, num_patches, -1)  # (B, N, P, D)
        if indices is not None:
            if indices.shape != mask.shape or target.dim() != 3:
                raise ValueError(f'sar_jepa_head.py: expected indices {tuple(mask.shape)} and '
                                 f'target (B, L, D), got {tuple(indices.shape)} and '
                                 f'{tuple(target.shape)}')
            flat = indices.reshape(batch, num_windows * num_patches)
            target = torch.gather(target, 1, flat[..., None].expand(-1, -1, target.shape[-1]))
            target = target.reshape(batch, num_windows, num_patches, -1)  # (B, N, P, D)
        expected = (batch, num_windows, num_patches, pred.shape[-1])
        if target.shape != (expected if masked_only else pred.shape):
            raise ValueError(f'sar_jepa_head.py: target {tuple(target.shape)} does not match '
                             f'the predictions {tuple(pred.shape)}')
        if not masked_only:
            pred = pred[mask]
        return F.mse_loss(pred.float(), target[mask].float())
