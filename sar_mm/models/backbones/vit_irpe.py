"""mmpretrain's Vision Transformer with iRPE relative position terms in every attention layer."""
import math
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import ModuleList
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer
from mmpretrain.models.utils import MultiheadAttention, resize_pos_embed

from sar_mm.registry import MODELS
from .irpe import IRPE, build_irpe, contextual_key_attention


class IRPEMultiheadAttention(MultiheadAttention):
    """mmpretrain's ``MultiheadAttention`` plus iRPE terms (Wu et al., ICCV 2021).

    With ``rpe_cfg=None`` it is ``MultiheadAttention`` (same computation, same keys). Otherwise
    the query/key terms (see :mod:`sar_mm.models.backbones.irpe`) are summed into one
    (B or 1, H, N, N) bias passed as ``attn_mask`` to
    ``torch.nn.functional.scaled_dot_product_attention``; only iRPE on values, which needs
    the attention weights, takes an explicit softmax path. When training on the CPU with
    contextual iRPE on keys alone (SAR-JEPA's setting) the attention is
    :func:`~sar_mm.models.backbones.irpe.contextual_key_attention` instead, one autograd node
    with a hand-written backward (the same values up to float rounding). The iRPE tables are
    ``rpe_q``, ``rpe_k``, ``rpe_v`` (None when off), named as in the reference code.

    Args:
        embed_dims (int): The embedding dimension.
        num_heads (int): Parallel attention heads.
        rpe_cfg (dict, optional): :func:`~sar_mm.models.backbones.irpe.build_irpe` keys, plus
            ``scaled_query`` (bool, default False): whether the key term uses the scaled query
            ``q * head_dim**-0.5`` (the paper's Eq. 13 and Cream's DeiT code) or ``q`` itself
            (SAR-JEPA's ``vision_transformer_irpe.py``, so its checkpoints give the same
            attention). The query term always uses the scaled key, as both references do.
            Defaults to None (no iRPE).
        **kwargs: ``MultiheadAttention`` arguments (``qk_scale`` not with iRPE).
    """

    def __init__(self, embed_dims: int, num_heads: int, rpe_cfg: Optional[dict] = None, **kwargs):
        super().__init__(embed_dims, num_heads, **kwargs)
        cfg = None if rpe_cfg is None else dict(rpe_cfg)
        self.scaled_query = bool(cfg.pop('scaled_query', False)) if cfg is not None else False
        if cfg is not None and kwargs.get('qk_scale') is not None:
            raise ValueError('vit_irpe.py: qk_scale is not supported together with rpe_cfg')
        self.rpe_q, self.rpe_k, self.rpe_v = build_irpe(cfg, self.head_dims, num_heads)
        rpes = [m for m in (self.rpe_q, self.rpe_k, self.rpe_v) if m is not None]
        self.num_extra_tokens = rpes[0].num_extra_tokens if rpes else 0

    @property
    def with_rpe(self) -> bool:
        return not (self.rpe_q is None and self.rpe_k is None and self.rpe_v is None)

    def grid(self, length: int, hw: Optional[Sequence[int]] = None):
        """The patch grid (height, width): ``hw``, else a square of ``length - extra`` tokens."""
        if hw is not None:
            return int(hw[0]), int(hw[1])
        patches = length - self.num_extra_tokens
        side = math.isqrt(max(patches, 0))
        if patches < 1 or side * side != patches:
            raise ValueError(f'vit_irpe.py: {length} tokens minus {self.num_extra_tokens} extra '
                             f'tokens is no square grid; pass hw=(height, width)')
        return side, side

    def _fused_key_attention(self, qkv: torch.Tensor, attn_drop: float) -> bool:
        """Whether :func:`~sar_mm.models.backbones.irpe.contextual_key_attention` computes
        this attention: contextual iRPE on keys alone (one table), gradients needed, on the
        CPU without autocast and attention dropout. Elsewhere the key term goes to
        ``scaled_dot_product_attention`` as ``attn_mask``: without gradients a fused kernel
        takes it, and on CUDA the memory-efficient kernel also returns the bias gradient."""
        rpe = self.rpe_k
        return (isinstance(rpe, IRPE) and rpe.mode == 'contextual' and self.rpe_q is None
                and self.rpe_v is None and not self.v_shortcut and not attn_drop
                and qkv.device.type == 'cpu' and torch.is_grad_enabled()
                and (qkv.requires_grad or rpe.lookup_table_weight.requires_grad)
                and not torch.is_autocast_enabled('cpu'))

    def forward(self, x: torch.Tensor, hw: Optional[Sequence[int]] = None) -> torch.Tensor:
        """(B, N, C) tokens, ``num_extra_tokens`` first, then the ``hw`` grid row-major."""
        if not self.with_rpe:
            return super().forward(x)
        B, N, _ = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dims)
        hw = self.grid(N, hw)
        scale = self.head_dims**-0.5
        attn_drop = self.attn_drop if self.training else 0.
        if self._fused_key_attention(qkv, attn_drop):
            table = self.rpe_k.lookup_table_weight.to(qkv.dtype)
            if self.scaled_query:
                table = table * scale  # (s q) . r = q . (s r)
            ids = self.rpe_k.bucket_ids(hw, qkv.device)
            if ids.shape[0] != N:
                raise ValueError(f'vit_irpe.py: {N} tokens do not match a {hw[0]}x{hw[1]} grid '
                                 f'with {self.num_extra_tokens} extra tokens')
            out = contextual_key_attention(qkv, table, ids, scale)  # (B, H, N, head_dim)
        else:
            qkv = qkv.permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (B, H, N, head_dim)

            bias = None  # (B or 1, H, N, N)
            if self.rpe_k is not None:
                bias = self.rpe_k(q * scale if self.scaled_query else q, hw)
            if self.rpe_q is not None:
                term = self.rpe_q(k * scale, hw).transpose(-2, -1)
                bias = term if bias is None else bias + term

            if self.rpe_v is None:
                mask = None if bias is None else bias.to(q.dtype)
                out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=attn_drop)
            else:
                attn = (q * scale) @ k.transpose(-2, -1)  # (B, H, N, N)
                if bias is not None:
                    attn = attn + bias
                attn = F.dropout(attn.softmax(dim=-1), p=attn_drop)
                out = attn @ v + self.rpe_v(attn, hw)  # (B, H, N, head_dim)
        x = out.transpose(1, 2).reshape(B, N, self.embed_dims)

        x = self.proj(x)
        x = self.out_drop(self.gamma1(self.proj_drop(x)))
        if self.v_shortcut:
            x = v.squeeze(1) + x
        return x


class IRPETransformerEncoderLayer(TransformerEncoderLayer):
    """mmpretrain's ``TransformerEncoderLayer`` whose attention is :class:`IRPEMultiheadAttention`.

    Same parameter names as ``TransformerEncoderLayer`` (``ln1``, ``attn.qkv``, ``attn.proj``,
    ``ln2``, ``ffn``), plus ``attn.rpe_k`` etc. ``forward(x, hw)`` takes the patch grid; without
    it a square grid is assumed (``x`` of ``num_extra_tokens + S*S`` tokens, as SAR-JEPA's
    windows). ``forward(x, hw, rows)`` returns only the token rows ``rows``.

    Args:
        embed_dims (int): The feature dimension.
        num_heads (int): Parallel attention heads.
        feedforward_channels (int): The hidden dimension of the FFN.
        layer_scale_init_value (float): Layer scale init value. Defaults to 0.
        drop_rate (float): Dropout after the attention and FFN. Defaults to 0.
        attn_drop_rate (float): Dropout of the attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.
        qkv_bias (bool): Bias of the qkv projection. Defaults to True.
        rpe_cfg (dict, optional): See :class:`IRPEMultiheadAttention`. Defaults to None.
        **kwargs: Other ``TransformerEncoderLayer`` arguments.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 layer_scale_init_value: float = 0.,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = True,
                 rpe_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(
            embed_dims,
            num_heads,
            feedforward_channels,
            layer_scale_init_value=layer_scale_init_value,
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate,
            qkv_bias=qkv_bias,
            **kwargs)
        # the same arguments TransformerEncoderLayer gives its MultiheadAttention
        self.attn = IRPEMultiheadAttention(
            embed_dims=embed_dims,
            num_heads=num_heads,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            dropout_layer=dict(type='DropPath', drop_prob=drop_path_rate),
            qkv_bias=qkv_bias,
            layer_scale_init_value=layer_scale_init_value,
            rpe_cfg=rpe_cfg)

    def forward(self,
                x: torch.Tensor,
                hw: Optional[Sequence[int]] = None,
                rows: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(B, N, C) tokens -> (B, N, C); with ``rows`` (long (B, M) token indices) only
        those rows leave the layer, (B, M, C): the attention sees every token, the FFN runs
        on the M rows (for a last layer whose other outputs nobody reads)."""
        x = x + self.attn(self.ln1(x), hw)
        if rows is not None:
            x = torch.gather(x, 1, rows[..., None].expand(-1, -1, x.shape[-1]))
        x = self.ffn(self.ln2(x), identity=x)
        return x


@MODELS.register_module()
class VisionTransformerIRPE(VisionTransformer):
    """mmpretrain's ``VisionTransformer`` with iRPE relative positions (Wu et al., ICCV 2021).

    Every layer is an :class:`IRPETransformerEncoderLayer`: the iRPE term of the actual patch
    grid (any size; the bucket index is built and cached per grid at forward time) is added
    to the attention logits through ``scaled_dot_product_attention``'s ``attn_mask``. The
    defaults of ``rpe_cfg`` are SAR-JEPA's: contextual mode, product method, on keys, one table
    shared by the heads, class token in its own bucket, ratio 1.9 (50 buckets). SAR-JEPA's
    encoder with iRPE adds no absolute position embedding: ``with_abs_pos_embed=False``.

    With ``rpe_cfg=None`` and ``with_abs_pos_embed=True`` it computes exactly what
    ``VisionTransformer`` computes. State-dict keys are ``VisionTransformer``'s (minus
    ``pos_embed`` without absolute embeddings) plus ``layers.{i}.attn.rpe_k.lookup_table_weight``
    (1, head_dim, 50) etc.; a checkpoint holding a ``pos_embed`` the model lacks is reported as
    an unexpected key by strict loading.

    Args:
        arch (str | dict): ``VisionTransformer`` architecture. Defaults to ``'base'``.
        rpe_cfg (dict, optional): iRPE settings, see
            :func:`~sar_mm.models.backbones.irpe.build_irpe` and :class:`IRPEMultiheadAttention`;
            ``num_extra_tokens`` defaults to the backbone's (1 with a class token). ``{}``
            gives SAR-JEPA's settings. Defaults to None (no iRPE).
        with_abs_pos_embed (bool): Keep the learned absolute ``pos_embed``. Defaults to True.
        drop_rate (float): See ``VisionTransformer``. Defaults to 0.
        drop_path_rate (float): See ``VisionTransformer``. Defaults to 0.
        qkv_bias (bool): See ``VisionTransformer``. Defaults to True.
        norm_cfg (dict): See ``VisionTransformer``. Defaults to ``dict(type='LN', eps=1e-6)``.
        layer_scale_init_value (float): See ``VisionTransformer``. Defaults to 0.
        layer_cfgs (Sequence | dict): Per-layer overrides (may hold ``rpe_cfg``).
            Defaults to ``dict()``.
        **kwargs: Other ``VisionTransformer`` arguments.

    Example:
        >>> import torch
        >>> from sar_mm.models.backbones import VisionTransformerIRPE
        >>> net = VisionTransformerIRPE(arch='deit-tiny', img_size=64, patch_size=8,
        ...                             in_channels=1, rpe_cfg=dict(), with_abs_pos_embed=False)
        >>> tuple(net.layers[0].attn.rpe_k.lookup_table_weight.shape)
        (1, 64, 50)
        >>> tuple(net(torch.rand(2, 1, 64, 64))[0].shape)
        (2, 192)
    """

    def __init__(self,
                 arch='base',
                 *,
                 rpe_cfg: Optional[dict] = None,
                 with_abs_pos_embed: bool = True,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = True,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 layer_scale_init_value: float = 0.,
                 layer_cfgs=dict(),
                 **kwargs):
        super().__init__(
            arch=arch,
            drop_rate=drop_rate,
            drop_path_rate=drop_path_rate,
            qkv_bias=qkv_bias,
            norm_cfg=norm_cfg,
            layer_scale_init_value=layer_scale_init_value,
            layer_cfgs=layer_cfgs,
            **kwargs)
        if rpe_cfg is not None:
            rpe_cfg = dict(rpe_cfg)
            extra = rpe_cfg.setdefault('num_extra_tokens', self.num_extra_tokens)
            if extra != self.num_extra_tokens:
                raise ValueError(f'vit_irpe.py: rpe_cfg num_extra_tokens={extra} differs from '
                                 f'the backbone\'s {self.num_extra_tokens} (class token)')
        self.rpe_cfg = rpe_cfg
        self.with_abs_pos_embed = bool(with_abs_pos_embed)
        if not self.with_abs_pos_embed:
            self.pos_embed = None

        # the layers VisionTransformer built, rebuilt with the iRPE attention
        dpr = np.linspace(0, drop_path_rate, self.num_layers)
        if isinstance(layer_cfgs, dict):
            layer_cfgs = [layer_cfgs] * self.num_layers
        self.layers = ModuleList()
        for i in range(self.num_layers):
            _layer_cfg = dict(
                embed_dims=self.embed_dims,
                num_heads=self.arch_settings['num_heads'],
                feedforward_channels=self.arch_settings['feedforward_channels'],
                layer_scale_init_value=layer_scale_init_value,
                drop_rate=drop_rate,
                drop_path_rate=dpr[i],
                qkv_bias=qkv_bias,
                norm_cfg=norm_cfg,
                rpe_cfg=rpe_cfg)
            _layer_cfg.update(layer_cfgs[i])
            self.layers.append(IRPETransformerEncoderLayer(**_layer_cfg))
        if self.frozen_stages > 0:
            self._freeze_stages()

    def _prepare_pos_embed(self, state_dict, prefix, *args, **kwargs):
        if self.pos_embed is None:
            return  # nothing to resize; a checkpoint pos_embed stays an unexpected key
        super()._prepare_pos_embed(state_dict, prefix, *args, **kwargs)

    def forward(self, x):
        B = x.shape[0]
        x, patch_resolution = self.patch_embed(x)

        if self.cls_token is not None:
            cls_token = self.cls_token.expand(B, -1, -1)
            x = torch.cat((cls_token, x), dim=1)

        if self.pos_embed is not None:
            x = x + resize_pos_embed(
                self.pos_embed,
                self.patch_resolution,
                patch_resolution,
                mode=self.interpolate_mode,
                num_extra_tokens=self.num_extra_tokens)
        x = self.drop_after_pos(x)

        x = self.pre_norm(x)

        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x, patch_resolution)

            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)

            if i in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))

        return tuple(outs)
