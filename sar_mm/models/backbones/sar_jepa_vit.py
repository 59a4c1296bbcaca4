"""SAR-JEPA's encoder: a ViT that encodes local windows of the patch grid, part masked.

Li et al., "Predicting gradient is better: Exploring self-supervised learning for SAR ATR with a
joint-embedding predictive architecture", ISPRS J. Photogramm. Remote Sens. 218 (2024); reference
code github.com/waterdisappear/SAR-JEPA (``Pretraining/models_lomar.py``, ``forward_encoder``),
after LoMaR (Chen et al., arXiv:2206.00790).
"""
from typing import Optional

import torch
from mmpretrain.models.utils import build_2d_sincos_position_embedding, resize_pos_embed
from mmpretrain.registry import MODELS
from torch import nn

from .vit_irpe import VisionTransformerIRPE


@MODELS.register_module()
class SARJEPAViT(VisionTransformerIRPE):
    """SAR-JEPA's window encoder (Li et al., ISPRS J. 2024), as mmpretrain's ``MAEViT`` is MAE's.

    A :class:`~sar_mm.models.backbones.VisionTransformerIRPE` (mmpretrain's ``VisionTransformer``
    when ``rpe_cfg=None``) with a learnable ``mask_token``. ``forward(x)`` is the plain ViT
    (the features a fine-tuned model sees); ``forward(x, indices, mask)`` encodes windows:
    the patch embeddings of each window (``indices`` (B, N, P), ``P = S*S`` row-major) are
    gathered, those under ``mask`` replaced by the mask token, and every window becomes its own
    sequence ``[cls, P patch tokens]`` through the blocks and the final norm, giving
    (B*N, 1 + P, C), sequence ``b * N + n`` for window ``n`` of image ``b``.

    Positions: with ``with_abs_pos_embed=True`` (default) the ``pos_embed`` holds the fixed 2-D
    sin-cos embedding of the full patch grid (not learned, as MAE's) and each window patch gets
    its place in the image; the class token gets the (zero) class entry. SAR-JEPA's reference
    encoder adds no absolute position (its ``pos_embed`` is never used) and relies on iRPE:
    ``rpe_cfg=dict(), with_abs_pos_embed=False`` gives each window relative positions inside
    the ``S x S`` window.

    The state dict is that of the parent backbone plus ``mask_token``: a plain
    ``VisionTransformer`` (or ``VisionTransformerIRPE``) loads it after dropping that key.

    Args:
        arch (str | dict): ``VisionTransformer`` architecture. Defaults to ``'b'``.
        img_size (int | tuple): Pretraining image size (the sin-cos grid). Defaults to 224.
        patch_size (int): Patch size; patches must not overlap. Defaults to 16.
        in_channels (int): Input channels. Defaults to 1 (SAR amplitude).
        rpe_cfg (dict, optional): iRPE settings of every block, see
            :class:`~sar_mm.models.backbones.VisionTransformerIRPE`. Defaults to None.
        with_abs_pos_embed (bool): Add the fixed sin-cos positions. Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.
        **kwargs: Other :class:`~sar_mm.models.backbones.VisionTransformerIRPE` arguments.

    Example:
        >>> import torch
        >>> from sar_mm.models.backbones import SARJEPAViT
        >>> from sar_mm.models.selfsup import local_window_masking
        >>> net = SARJEPAViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2,
        ...                            feedforward_channels=64), img_size=32, patch_size=4)
        >>> indices, mask = local_window_masking(2, (8, 8), num_windows=3, window_size=4)
        >>> tuple(net(torch.rand(2, 1, 32, 32), indices, mask).shape)
        (6, 17, 32)
    """

    def __init__(self,
                 arch='b',
                 img_size=224,
                 patch_size=16,
                 in_channels=1,
                 rpe_cfg: Optional[dict] = None,
                 with_abs_pos_embed: bool = True,
                 init_cfg=None,
                 **kwargs):
        super().__init__(
            arch=arch,
            img_size=img_size,
            patch_size=patch_size,
            in_channels=in_channels,
            rpe_cfg=rpe_cfg,
            with_abs_pos_embed=with_abs_pos_embed,
            init_cfg=init_cfg,
            **kwargs)
        if self.cls_token is None:
            raise ValueError('sar_jepa_vit.py: SARJEPAViT needs a class token '
                             '(with_cls_token=True): every window is encoded as [cls, patches]')
        proj = self.patch_embed.projection
        kernel, stride = tuple(proj.kernel_size), tuple(proj.stride)
        if kernel != stride or kernel[0] != kernel[1]:
            raise ValueError(f'sar_jepa_vit.py: SARJEPAViT needs square non-overlapping '
                             f'patches, got kernel {kernel} and stride {stride}')
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        if self.pos_embed is not None:
            # fixed 2-D sin-cos positions of the full-image patch grid (not learned)
            self.pos_embed.requires_grad_(False)
            self._set_sincos_pos_embed()

    def _set_sincos_pos_embed(self):
        pos = build_2d_sincos_position_embedding(
            self.patch_resolution, self.embed_dims, cls_token=True)
        self.pos_embed.data.copy_(pos.to(self.pos_embed))

    def init_weights(self):
        """The parent's initialisation, then (unless ``Pretrained``) the fixed sin-cos positions,
        the patch embedding as a linear layer and the tokens, as MAE (He et al., CVPR 2022)."""
        super().init_weights()
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            return
        if self.pos_embed is not None:
            self._set_sincos_pos_embed()
        w = self.patch_embed.projection.weight.data
        nn.init.xavier_uniform_(w.view([w.shape[0], -1]))
        nn.init.normal_(self.cls_token, std=.02)
        nn.init.normal_(self.mask_token, std=.02)

    def forward(self,
                x: torch.Tensor,
                indices: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None):
        """Plain ViT features (``indices=None``), or window features (B*N, 1 + P, C).

        Args:
            x (Tensor): Images (B, C, H, W).
            indices (Tensor, optional): Window patch indices (B, N, P), P = S*S, row-major grid
                indices as :func:`~sar_mm.models.selfsup.local_window_masking` gives them.
            mask (Tensor, optional): bool (B, N, P), True for the patches replaced by the mask
                token. Defaults to None (nothing masked).
        """
        if indices is None:
            if mask is not None:
                raise ValueError('sar_jepa_vit.py: a mask needs the window indices')
            return super().forward(x)
        batch, num_windows, num_patches = indices.shape
        side = int(round(num_patches**0.5))
        if side * side != num_patches:
            raise ValueError(f'sar_jepa_vit.py: windows of {num_patches} patches are not square')
        if mask is not None and mask.shape != indices.shape:
            raise ValueError(f'sar_jepa_vit.py: mask {tuple(mask.shape)} and indices '
                             f'{tuple(indices.shape)} differ in shape')
        tokens, grid = self.patch_embed(x)  # (B, L, C)
        channels = tokens.shape[-1]
        flat = indices.reshape(batch, num_windows * num_patches)  # (B, N*P)
        x = torch.gather(tokens, 1, flat[..., None].expand(-1, -1, channels))
        x = x.reshape(batch * num_windows, num_patches, channels)  # (B*N, P, C)
        if mask is not None:
            x = torch.where(
                mask.reshape(batch * num_windows, num_patches, 1), self.mask_token.to(x.dtype), x)
        cls_token = self.cls_token
        if self.pos_embed is not None:
            pos = resize_pos_embed(
                self.pos_embed,
                self.patch_resolution,
                grid,
                mode=self.interpolate_mode,
                num_extra_tokens=self.num_extra_tokens)  # (1, 1 + L, C)
            x = x + pos[0, 1:][flat].reshape(batch * num_windows, num_patches, channels)
            cls_token = cls_token + pos[:, :1]
        cls_token = cls_token.expand(batch * num_windows, -1, -1)
        x = torch.cat((cls_token.to(x.dtype), x), dim=1)  # (B*N, 1 + P, C)
        x = self.drop_after_pos(x)
        x = self.pre_norm(x)
        for layer in self.layers:
            x = layer(x, (side, side))
        if self.final_norm:
            x = self.ln1(x)
        return x
