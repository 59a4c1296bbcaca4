"""SAR-JEPA's predictor: window features of the encoder -> per-patch target predictions."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule, ModuleList
from mmpretrain.models.utils import build_norm_layer
from mmpretrain.registry import MODELS
from torch import nn

from ..backbones.vit_irpe import IRPETransformerEncoderLayer


@MODELS.register_module()
class SARJEPAPredictor(BaseModule):
    """The predictor of SAR-JEPA (Li et al., ISPRS J. 2024), as ``MAEPretrainDecoder`` is MAE's.

    A linear map from the encoder width to ``embed_dims``, ``num_layers`` transformer blocks
    (mmpretrain's ``TransformerEncoderLayer``, or its iRPE variant when ``rpe_cfg`` is given),
    a norm and a linear head to the target size ``out_channels``; the class token is dropped
    from the output. In the reference code (``Pretraining/models_lomar.py``) these are
    ``encoder_pred``, ``decoder_blocks`` (with iRPE on keys, 512 wide, 16 heads, 8 blocks),
    ``decoder_norm`` and ``decoder_pred`` (to 4 gradient scales x 16 x 16 = 1024); here
    ``embed``, ``layers``, ``norm`` and ``pred``. Like the encoder, it sees every window as its
    own ``[cls, S*S patches]`` sequence and adds no absolute position.

    Args:
        in_channels (int): Width of the encoder features. Defaults to 768.
        embed_dims (int): Width of the predictor. Defaults to 512.
        num_layers (int): Number of transformer blocks. Defaults to 8.
        num_heads (int): Attention heads. Defaults to 16.
        mlp_ratio (float): FFN width as a multiple of ``embed_dims``. Defaults to 4.
        out_channels (int): Target size D per patch. Defaults to 1024.
        rpe_cfg (dict, optional): iRPE settings of every block (see
            :class:`~sar_mm.models.backbones.VisionTransformerIRPE`; ``{}`` gives SAR-JEPA's,
            ``num_extra_tokens`` defaults to 1, the class token). Defaults to None (no iRPE).
        norm_cfg (dict): Norm layers. Defaults to LN with eps 1e-6.
        init_cfg (dict | list[dict], optional): Initialisation config.

    Example:
        >>> import torch
        >>> from sar_mm.models.necks import SARJEPAPredictor
        >>> neck = SARJEPAPredictor(in_channels=32, embed_dims=16, num_layers=1, num_heads=2,
        ...                         out_channels=8, rpe_cfg=dict())
        >>> feats = torch.rand(6, 1 + 4 * 4, 32)  # 6 windows of 4 x 4 patches and a cls token
        >>> tuple(neck(feats).shape)
        (6, 16, 8)
    """

    def __init__(self,
                 in_channels: int = 768,
                 embed_dims: int = 512,
                 num_layers: int = 8,
                 num_heads: int = 16,
                 mlp_ratio: float = 4.,
                 out_channels: int = 1024,
                 rpe_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_layers < 0 or embed_dims % num_heads:
            raise ValueError(f'sar_jepa_predictor.py: need num_layers >= 0 and embed_dims '
                             f'divisible by num_heads, got {num_layers}, {embed_dims}, '
                             f'{num_heads}')
        if rpe_cfg is not None:
            rpe_cfg = dict(rpe_cfg)
            rpe_cfg.setdefault('num_extra_tokens', 1)
        self.rpe_cfg = rpe_cfg
        self.embed = nn.Linear(in_channels, embed_dims)
        self.layers = ModuleList([
            IRPETransformerEncoderLayer(
                embed_dims=embed_dims,
                num_heads=num_heads,
                feedforward_channels=int(embed_dims * mlp_ratio),
                qkv_bias=True,
                norm_cfg=norm_cfg,
                rpe_cfg=rpe_cfg) for _ in range(num_layers)
        ])
        self.norm = build_norm_layer(norm_cfg, embed_dims)
        self.pred = nn.Linear(embed_dims, out_channels)

    def forward(self,
                x: torch.Tensor,
                hw: Optional[Sequence[int]] = None,
                keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Window features (B*N, 1 + P, C) -> per-patch predictions (B*N, P, out_channels).

        Args:
            x (Tensor): Encoder output, the class token first.
            hw (tuple[int, int], optional): Window grid for iRPE; default: a square of P.
            keep (Tensor, optional): long (B*N, M) patch indices (0..P-1) whose predictions
                are wanted, e.g. the masked ones: the output is then (B*N, M, out_channels),
                ``out[s, m]`` the prediction of patch ``keep[s, m]``. Every block sees all
                tokens; the last block's FFN, the norm and the head run on those rows only
                (the same values as the rows of the full output). Defaults to None (all P).
        """
        rows = None
        if keep is not None:
            if keep.dim() != 2 or keep.shape[0] != x.shape[0]:
                raise ValueError(f'sar_jepa_predictor.py: keep must be ({x.shape[0]}, M) patch '
                                 f'indices, got {tuple(keep.shape)}')
            rows = keep.long() + 1  # after the class token
        x = self.embed(x)
        for i, layer in enumerate(self.layers):
            x = layer(x, hw, rows if i == len(self.layers) - 1 else None)
        if rows is None:
            return self.pred(self.norm(x))[:, 1:]
        if not len(self.layers):
            x = torch.gather(x, 1, rows[..., None].expand(-1, -1, x.shape[-1]))
        return self.pred(self.norm(x))
