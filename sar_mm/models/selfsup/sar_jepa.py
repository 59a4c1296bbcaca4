"""SAR-JEPA: masked prediction of SAR gradient features inside local windows.

Li, Yang, Hou, Zhang, Guan, Yang, Huang, "Predicting gradient is better: Exploring
self-supervised learning for SAR ATR with a joint-embedding predictive architecture", ISPRS J.
Photogramm. Remote Sens. 218 (2024); reference code github.com/waterdisappear/SAR-JEPA
(``Pretraining/models_lomar.py``), itself built on LoMaR (Chen et al., arXiv:2206.00790).
"""
import warnings
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import ModuleList
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.models.utils import (build_2d_sincos_position_embedding, build_norm_layer,
                                     resize_pos_embed)
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from .masking import local_window_masking, num_masked_per_window


@MODELS.register_module()
class SARJEPA(BaseSelfSupervisor):
    """SAR-JEPA (Li et al., ISPRS J. 2024): predict SAR features of masked patches in local windows.

    For each image, ``num_windows`` windows of ``window_size x window_size`` patches are drawn
    (:func:`~sar_mm.models.selfsup.masking.local_window_masking`); in each window a fixed share
    ``mask_ratio`` of the patch embeddings is replaced by a learnable mask token. Each window is
    encoded as its own short sequence ``[cls, S*S patches]`` by the ViT backbone (its patch
    embedding, class token, blocks and final norm), so a batch of B images becomes
    ``B * num_windows`` sequences. A transformer predictor (``predictor_depth`` mmpretrain
    ``TransformerEncoderLayer`` blocks of width ``predictor_dim``, then a norm and a linear head)
    maps every token to the target size D, and the loss is the mean squared error against the
    target generator's per-patch features (the multi-scale SAR gradient in the paper) over the
    masked patches only:

    ``loss = mean over masked (window, patch) pairs and the D target values of (pred - target)^2``.

    Positions are the fixed 2-D sin-cos embeddings of each patch's place in the full image,
    held in the backbone's ``pos_embed`` (frozen here as in mmpretrain's MAE, so a fine-tuned
    :class:`~mmpretrain.models.VisionTransformer` loads them unchanged).

    Targets are computed from the amplitude the pipeline produced, not from the network input:
    the data preprocessor's normalisation ``(x - mean) / std`` is inverted with its own
    ``mean``/``std`` buffers, negative values (float rounding, resampling overshoot) are clipped
    to 0, and the target generator runs in float32 outside autocast without gradients. The
    encoder sees the normalised input. One preprocessor thus serves pretraining and fine-tuning.

    Departures from the reference code:

    * window positions are drawn per sample (independent uniform corners, windows may overlap);
      the reference draws one set of corners per batch with ``randperm`` over rows and over
      columns (so no two windows share a row or a column);
    * the number of masked patches per window is ``mask_ratio * S*S`` rounded half up; the
      reference truncates (identical for the defaults: 39 of 49);
    * positions are absolute sin-cos embeddings of the full-image patch grid added to the encoder
      input; the reference adds none and uses iRPE contextual relative position biases (keys,
      product method) in every encoder and predictor attention, i.e. window-local relative
      positions;
    * the target size D is read from the target generator (the reference hard-codes 4 gradient
      scales x 16 x 16 = 1024) and the target generator is any registered module;
    * the loss is computed in float32 on the masked patches only (the reference forms the error
      on every window patch, then weights it by the mask).

    All trainable parameters take part in the loss, so DistributedDataParallel runs with
    ``find_unused_parameters=False``, except when the backbone is built with
    ``out_type='avg_featmap'`` (its ``ln2`` only serves :meth:`extract_feat`); then set
    ``model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)``.

    Args:
        backbone (dict): Config of an mmpretrain ``VisionTransformer`` (type and
            ``in_channels=1`` are filled in when missing). Needs a class token, a patch embedding
            with non-overlapping patches, a ``pos_embed`` and ``layers``.
        target_generator (dict): Config of a target generator: ``forward(x: (B, C, H, W)) ->
            (B, L, D)`` per-patch targets of the ``L = (H/p)*(W/p)`` patches in row-major order;
            its ``patch_size`` attribute, when present, must equal the backbone's.
        predictor_dim (int): Width of the predictor. Defaults to 512.
        predictor_depth (int): Number of predictor transformer blocks. Defaults to 8.
        predictor_num_heads (int): Attention heads of the predictor. Defaults to 16.
        predictor_mlp_ratio (float): Predictor FFN width as a multiple of ``predictor_dim``.
            Defaults to 4.
        num_windows (int): Windows per image. Defaults to 4.
        window_size (int): Window side in patches. Defaults to 7.
        mask_ratio (float): Share of each window's patches to mask. Defaults to 0.8.
        target_dim (int, optional): Target size D. Defaults to None: the target generator's
            ``out_dim(in_channels)`` when it has one, else the size of its output for a
            ``(1, in_channels, *backbone.img_size)`` image of ones.
        norm_cfg (dict): Norm layer of the predictor. Defaults to LN with eps 1e-6.
        data_preprocessor (dict, optional): Defaults to ``SelfSupDataPreprocessor``.
        pretrained (str, optional): Checkpoint to initialise the whole model from.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 target_generator: dict,
                 predictor_dim: int = 512,
                 predictor_depth: int = 8,
                 predictor_num_heads: int = 16,
                 predictor_mlp_ratio: float = 4.,
                 num_windows: int = 4,
                 window_size: int = 7,
                 mask_ratio: float = 0.8,
                 target_dim: Optional[int] = None,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        if isinstance(backbone, dict):
            backbone = dict(backbone)
            backbone.setdefault('type', 'VisionTransformer')
            backbone.setdefault('in_channels', 1)
        super().__init__(
            backbone=backbone,
            target_generator=target_generator,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._check_backbone()
        self.num_windows = int(num_windows)
        self.window_size = int(window_size)
        self.mask_ratio = float(mask_ratio)
        self.num_masked = num_masked_per_window(self.window_size, self.mask_ratio)
        grid_h, grid_w = self.backbone.patch_resolution
        if self.window_size > min(grid_h, grid_w):
            raise ValueError(f'window_size={window_size} does not fit the {grid_h}x{grid_w} '
                             f'patch grid of img_size={self.backbone.img_size}')

        # fixed 2-D sin-cos positions of the full-image patch grid (not learned)
        self.backbone.pos_embed.requires_grad_(False)
        self._set_sincos_pos_embed()

        # targets are fixed functions of the image: nothing in the generator is trained
        for param in self.target_generator.parameters():
            param.requires_grad_(False)
        tg_patch = getattr(self.target_generator, 'patch_size', None)
        if tg_patch is not None and int(tg_patch) != self.patch_size:
            raise ValueError(f'target generator patch_size={tg_patch} differs from the '
                             f'backbone patch size {self.patch_size}')
        self.target_dim = int(target_dim) if target_dim is not None else self._probe_target_dim()

        embed_dims = self.backbone.embed_dims
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.predictor_embed = nn.Linear(embed_dims, predictor_dim)
        self.predictor_layers = ModuleList([
            TransformerEncoderLayer(
                embed_dims=predictor_dim,
                num_heads=predictor_num_heads,
                feedforward_channels=int(predictor_dim * predictor_mlp_ratio),
                qkv_bias=True,
                norm_cfg=norm_cfg) for _ in range(predictor_depth)
        ])
        self.predictor_norm = build_norm_layer(norm_cfg, predictor_dim)
        self.predictor_head = nn.Linear(predictor_dim, self.target_dim)

        if getattr(self.backbone, 'out_type', None) == 'avg_featmap':
            warnings.warn('SARJEPA: the backbone out_type "avg_featmap" adds a norm (ln2) the '
                          'pretraining loss does not use; distributed training then needs '
                          'find_unused_parameters=True')

    # ----------------------------------------------------------------------------- set-up
    def _check_backbone(self):
        bb = self.backbone
        for name in ('patch_embed', 'pos_embed', 'layers', 'cls_token', 'patch_resolution'):
            if getattr(bb, name, None) is None:
                raise TypeError(f'SARJEPA needs a VisionTransformer-like backbone with a class '
                                f'token; {type(bb).__name__} has no {name}')
        proj = bb.patch_embed.projection
        kernel, stride = tuple(proj.kernel_size), tuple(proj.stride)
        if kernel != stride or kernel[0] != kernel[1]:
            raise ValueError(f'SARJEPA needs square non-overlapping patches, got kernel {kernel} '
                             f'and stride {stride}')
        self.patch_size = int(kernel[0])

    def _set_sincos_pos_embed(self):
        pos = build_2d_sincos_position_embedding(
            self.backbone.patch_resolution, self.backbone.embed_dims, cls_token=True)
        self.backbone.pos_embed.data.copy_(pos.to(self.backbone.pos_embed))

    @torch.no_grad()
    def _probe_target_dim(self) -> int:
        in_channels = self.backbone.patch_embed.projection.in_channels
        if hasattr(self.target_generator, 'out_dim'):  # sar_mm's target generators
            return int(self.target_generator.out_dim(in_channels))
        img_h, img_w = self.backbone.img_size
        probe = torch.ones(1, in_channels, img_h, img_w)
        out = self.target_generator(probe)
        num_patches = (img_h // self.patch_size) * (img_w // self.patch_size)
        if out.dim() != 3 or out.shape[:2] != (1, num_patches):
            raise ValueError(f'the target generator must return (B, L={num_patches}, D) for a '
                             f'{img_h}x{img_w} image, got {tuple(out.shape)}')
        return int(out.shape[-1])

    def init_weights(self):
        """Backbone and predictor weights, then the fixed sin-cos positions and the tokens."""
        super().init_weights()
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            return
        self._set_sincos_pos_embed()
        w = self.backbone.patch_embed.projection.weight.data
        nn.init.xavier_uniform_(w.view([w.shape[0], -1]))  # like a linear layer, as in MAE
        nn.init.normal_(self.backbone.cls_token, std=.02)
        nn.init.normal_(self.mask_token, std=.02)

    # --------------------------------------------------------------------------- pieces
    def _check_input(self, inputs: torch.Tensor) -> Tuple[int, int]:
        if inputs.dim() != 4:
            raise ValueError(f'SARJEPA expects images (B, C, H, W), got {tuple(inputs.shape)}')
        h, w = inputs.shape[-2:]
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f'image size {h}x{w} is not a multiple of the patch size '
                             f'{self.patch_size}')
        grid = (h // self.patch_size, w // self.patch_size)
        if self.window_size > min(grid):
            raise ValueError(f'window_size={self.window_size} does not fit the {grid[0]}x'
                             f'{grid[1]} patch grid of a {h}x{w} image')
        return grid

    def sample_windows(self, inputs: torch.Tensor,
                       generator: Optional[torch.Generator] = None):
        """Windows and masks for a batch: ``indices`` int64 and ``mask`` bool, (B, N, S*S)."""
        grid = self._check_input(inputs)
        return local_window_masking(inputs.shape[0], grid, self.num_windows, self.window_size,
                                    self.mask_ratio, generator=generator, device=inputs.device)

    def amplitude(self, inputs: torch.Tensor) -> torch.Tensor:
        """Undo the data preprocessor's normalisation and clip at 0: (B, C, H, W) float32."""
        pre = self.data_preprocessor
        x = inputs.float()
        if getattr(pre, '_enable_normalize', False):
            x = x * pre.std.float() + pre.mean.float()
        return x.clamp(min=0)

    @torch.no_grad()
    def compute_targets(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-patch targets (B, L, D) in float32 from the un-normalised input."""
        amplitude = self.amplitude(inputs)
        with torch.autocast(device_type=amplitude.device.type, enabled=False):
            target = self.target_generator(amplitude)
        grid = self._check_input(inputs)
        if target.shape[:2] != (inputs.shape[0], grid[0] * grid[1]) or \
                target.shape[-1] != self.target_dim:
            raise ValueError(f'target generator returned {tuple(target.shape)}, expected '
                             f'({inputs.shape[0]}, {grid[0] * grid[1]}, {self.target_dim})')
        return target.float()

    def encode_windows(self, inputs: torch.Tensor, indices: torch.Tensor,
                       mask: torch.Tensor) -> torch.Tensor:
        """Encode every window as its own sequence ``[cls, S*S patch tokens]``.

        Args:
            inputs (Tensor): Normalised images (B, C, H, W).
            indices (Tensor): Window patch indices (B, N, P), P = S*S.
            mask (Tensor): Masked patches (B, N, P), replaced by the mask token.

        Returns:
            Tensor: Backbone features (B*N, 1 + P, C) after its final norm.
        """
        bb = self.backbone
        batch, num_windows, num_patches = indices.shape
        tokens, grid = bb.patch_embed(inputs)  # (B, L, C)
        channels = tokens.shape[-1]
        pos = resize_pos_embed(bb.pos_embed, bb.patch_resolution, grid,
                               mode=bb.interpolate_mode,
                               num_extra_tokens=bb.num_extra_tokens)  # (1, 1 + L, C)
        flat = indices.reshape(batch, num_windows * num_patches)  # (B, N*P)
        x = torch.gather(tokens, 1, flat[..., None].expand(-1, -1, channels))
        x = x.reshape(batch * num_windows, num_patches, channels)  # (B*N, P, C)
        x = torch.where(mask.reshape(batch * num_windows, num_patches, 1),
                        self.mask_token.to(x.dtype), x)
        x = x + pos[0, 1:][flat].reshape(batch * num_windows, num_patches, channels)
        cls_token = (bb.cls_token + pos[:, :1]).expand(batch * num_windows, -1, -1)
        x = torch.cat((cls_token.to(x.dtype), x), dim=1)  # (B*N, 1 + P, C)
        x = bb.drop_after_pos(x)
        x = bb.pre_norm(x)
        for layer in bb.layers:
            x = layer(x)
        if bb.final_norm:
            x = bb.ln1(x)
        return x

    def predict(self, feats: torch.Tensor) -> torch.Tensor:
        """Predictor: window features (B*N, 1 + P, C) -> per-patch predictions (B*N, P, D)."""
        x = self.predictor_embed(feats)
        for layer in self.predictor_layers:
            x = layer(x)
        x = self.predictor_norm(x)
        return self.predictor_head(x)[:, 1:]

    @staticmethod
    def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean of ``(pred - target)^2`` over the masked patches and the D target values.

        Visible patches are dropped before the error is formed, so their predictions and
        targets enter neither the loss nor its gradient.

        Args:
            pred (Tensor): Predictions (B, N, P, D).
            target (Tensor): Targets (B, N, P, D).
            mask (Tensor): bool (B, N, P), True for the masked patches.

        Returns:
            Tensor: Scalar float32 loss.
        """
        return F.mse_loss(pred[mask].float(), target[mask].float())

    # ---------------------------------------------------------------------- public API
    def extract_feat(self, inputs: torch.Tensor):
        """Backbone features of the full (unmasked) image, in the backbone's ``out_type``."""
        return self.backbone(inputs)

    def loss(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: Optional[List[DataSample]] = None, **kwargs) -> dict:
        """Masked window prediction loss.

        Args:
            inputs (Tensor | list[Tensor]): Normalised images (B, C, H, W) from the data
                preprocessor (a one-element list is unwrapped).
            data_samples (list[DataSample], optional): Unused.

        Returns:
            dict[str, Tensor]: ``loss``.
        """
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 1:
                raise ValueError(f'SARJEPA takes one view per image, got {len(inputs)}')
            inputs = inputs[0]
        indices, mask = self.sample_windows(inputs)  # (B, N, P) each
        batch, num_windows, num_patches = indices.shape
        feats = self.encode_windows(inputs, indices, mask)  # (B*N, 1 + P, C)
        pred = self.predict(feats).reshape(batch, num_windows, num_patches, -1)
        target = self.compute_targets(inputs)  # (B, L, D)
        flat = indices.reshape(batch, num_windows * num_patches)
        target = torch.gather(target, 1, flat[..., None].expand(-1, -1, target.shape[-1]))
        target = target.reshape(batch, num_windows, num_patches, -1)  # (B, N, P, D)
        return dict(loss=self.masked_mse(pred, target, mask))
