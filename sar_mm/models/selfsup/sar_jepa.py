"""SAR-JEPA: masked prediction of SAR gradient features inside local windows.

Li, Yang, Hou, Zhang, Guan, Yang, Huang, "Predicting gradient is better: Exploring
self-supervised learning for SAR ATR with a joint-embedding predictive architecture", ISPRS J.
Photogramm. Remote Sens. 218 (2024); reference code github.com/waterdisappear/SAR-JEPA
(``Pretraining/models_lomar.py``), itself built on LoMaR (Chen et al., arXiv:2206.00790).
"""
import re
import warnings
from typing import List, Optional, Tuple, Union

import torch
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..heads.sar_jepa_head import SARJEPAHead
from ..necks.sar_jepa_predictor import SARJEPAPredictor
from .masking import (MASK_COUNT_ROUNDINGS, WINDOW_SAMPLINGS, local_window_masking,
                      num_batch_windows, num_masked_per_window)

# Backbone types of the pre-decomposition configs, read as the window encoder.
_PLAIN_VIT_TYPES = ('VisionTransformer', 'mmpretrain.VisionTransformer')
# Keys of the pre-decomposition model (one module holding the predictor) -> this model's.
_OLD_KEYS = ((r'mask_token$', 'backbone.mask_token'), (r'predictor_embed\.', 'neck.embed.'),
             (r'predictor_layers\.', 'neck.layers.'), (r'predictor_norm\.', 'neck.norm.'),
             (r'predictor_head\.', 'neck.pred.'))


@MODELS.register_module()
class SARJEPA(BaseSelfSupervisor):
    """SAR-JEPA (Li et al., ISPRS J. 2024): predict SAR features of masked patches in local windows.

    Built as mmpretrain's ``MAE``: a backbone that encodes (:class:`~sar_mm.models.backbones.
    SARJEPAViT`), a predictor neck (:class:`~sar_mm.models.necks.SARJEPAPredictor`) and a head
    owning the loss (:class:`~sar_mm.models.heads.SARJEPAHead`); :meth:`loss` is

    ``indices, mask = sample_windows(x)``; ``latent = backbone(x, indices, mask)``;
    ``pred = neck(latent)``; ``loss = head.loss(pred, compute_targets(x), mask, indices)``
    (with sar_mm's predictor and head, ``neck(latent, keep=masked)`` predicts the masked
    patches only, the rows the loss reads: the same loss with less work in the last block).

    For each image, ``num_windows`` windows of ``window_size x window_size`` patches are drawn
    (:func:`~sar_mm.models.selfsup.masking.local_window_masking`); in each window a share
    ``mask_ratio`` of the patch embeddings is replaced by the backbone's mask token. Each window
    is encoded as its own short sequence ``[cls, S*S patches]``, so a batch of B images becomes
    ``B * num_windows`` sequences. The predictor maps every token to the target size D, and the
    loss is the mean squared error against the target generator's per-patch features (the
    multi-scale SAR gradient in the paper) over the masked patches only.

    Targets are computed from the amplitude the pipeline produced, not from the network input:
    the data preprocessor's normalisation ``(x - mean) / std`` is inverted with its own
    ``mean``/``std`` buffers, negative values (float rounding, resampling overshoot) are clipped
    to 0, and the target generator runs in float32 outside autocast without gradients. The
    encoder sees the normalised input. One preprocessor thus serves pretraining and fine-tuning.

    The reference code is reproduced by ``window_sampling='per_batch'``,
    ``mask_count_rounding='floor'`` and a backbone and neck with ``rpe_cfg=dict()`` and
    ``with_abs_pos_embed=False`` (``configs/sar_jepa/*-irpe_*.py``). The defaults depart from it:

    * window positions are drawn per sample (independent uniform corners, windows may overlap);
      the reference draws one set of corners per batch with ``randperm`` over rows and over
      columns (no two windows share a top row or a left column) and so places only
      ``min(num_windows, grid - window_size + 1)`` windows: 2, not 4, for 7 x 7 windows on the
      8 x 8 grid of a 128-px image with 16-px patches;
    * the number of masked patches per window is ``mask_ratio * S*S`` rounded half up; the
      reference truncates (identical for the defaults: 39 of 49; 13 vs 12 of 16 at 4 x 4);
    * positions are absolute sin-cos embeddings of the full-image patch grid added to the encoder
      input; the reference adds none and uses iRPE contextual relative position biases (keys,
      product method) in every encoder and predictor attention, i.e. window-local relative
      positions;
    * the target size D is read from the target generator (the reference hard-codes 4 gradient
      scales x 16 x 16 = 1024) and the target generator is any registered module;
    * the loss is computed in float32 on the masked patches only (the reference forms the error
      on every window patch, then weights it by the mask: the same value).

    With ``'per_batch'`` every image is paired with every window. The reference repeats the
    batch window-major but reads its corners and masks sample-major, so its sequence ``k`` is
    image ``k mod B`` in window ``k mod N``: the same (image, window) pairs when ``B`` and ``N``
    are coprime (the paper's 75 x 4), otherwise image ``b`` only ever sees the windows
    ``n = b (mod gcd(B, N))`` (e.g. one of 4 windows, four times, for a batch of 64).

    All trainable parameters take part in the loss, so DistributedDataParallel runs with
    ``find_unused_parameters=False``, except when the backbone is built with
    ``out_type='avg_featmap'`` (its ``ln2`` only serves :meth:`extract_feat`); then set
    ``model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)``.

    State dict: ``backbone.*`` (with ``backbone.mask_token``), ``neck.{embed,layers,norm,pred}.*``.
    Checkpoints of the pre-decomposition model (``mask_token``, ``predictor_embed``,
    ``predictor_layers``, ``predictor_norm``, ``predictor_head``) load: their keys are renamed
    on loading.

    Args:
        backbone (dict): Config of the window encoder; ``type`` defaults to ``'SARJEPAViT'`` (a
            plain ``'VisionTransformer'`` type is read as ``'SARJEPAViT'`` with the same
            arguments, the same keys) and ``in_channels`` to 1. It needs a class token, square
            non-overlapping patches and ``forward(x, indices, mask)``.
        target_generator (dict): Config of a target generator: ``forward(x: (B, C, H, W)) ->
            (B, L, D)`` per-patch targets of the ``L = (H/p)*(W/p)`` patches in row-major order;
            its ``patch_size`` attribute, when present, must equal the backbone's.
        neck (dict, optional): Predictor config; ``type`` defaults to ``'SARJEPAPredictor'``,
            ``in_channels`` to the backbone width and ``out_channels`` to D. Defaults to None:
            built from the ``predictor_*`` arguments.
        head (dict, optional): Loss head config. Defaults to ``dict(type='SARJEPAHead')``.
        predictor_dim (int, optional): Width of the default predictor (512 when unset). Not
            together with ``neck``; the same for the next three.
        predictor_depth (int, optional): Its transformer blocks (8 when unset).
        predictor_num_heads (int, optional): Its attention heads (16 when unset).
        predictor_mlp_ratio (float, optional): Its FFN width / ``predictor_dim`` (4 when unset).
        num_windows (int): Windows per image. Defaults to 4.
        window_size (int): Window side in patches. Defaults to 7.
        mask_ratio (float): Share of each window's patches to mask. Defaults to 0.8.
        window_sampling (str): ``'per_sample'`` (default) or ``'per_batch'`` (the reference's).
        mask_count_rounding (str): ``'half_up'`` (default) or ``'floor'`` (the reference's).
        target_dim (int, optional): Target size D. Defaults to None: the target generator's
            ``out_dim(in_channels)`` when it has one, else the size of its output for a
            ``(1, in_channels, *backbone.img_size)`` image of ones.
        norm_cfg (dict): Norm layer of the default predictor. Defaults to LN with eps 1e-6.
        data_preprocessor (dict, optional): Defaults to ``SelfSupDataPreprocessor``.
        pretrained (str, optional): Checkpoint to initialise the whole model from.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 target_generator: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 predictor_dim: Optional[int] = None,
                 predictor_depth: Optional[int] = None,
                 predictor_num_heads: Optional[int] = None,
                 predictor_mlp_ratio: Optional[float] = None,
                 num_windows: int = 4,
                 window_size: int = 7,
                 mask_ratio: float = 0.8,
                 window_sampling: str = 'per_sample',
                 mask_count_rounding: str = 'half_up',
                 target_dim: Optional[int] = None,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        if isinstance(backbone, dict):
            backbone = dict(backbone)
            if backbone.get('type', 'SARJEPAViT') in _PLAIN_VIT_TYPES:
                backbone['type'] = 'SARJEPAViT'
            backbone.setdefault('type', 'SARJEPAViT')
            backbone.setdefault('in_channels', 1)
        super().__init__(
            backbone=backbone,
            target_generator=target_generator,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._check_backbone()
        for name, value, choices in (('window_sampling', window_sampling, WINDOW_SAMPLINGS),
                                     ('mask_count_rounding', mask_count_rounding,
                                      MASK_COUNT_ROUNDINGS)):
            if value not in choices:
                raise ValueError(f'SARJEPA: {name} must be one of {list(choices)}, '
                                 f'got {value!r}')
        self.window_sampling = window_sampling
        self.mask_count_rounding = mask_count_rounding
        self.num_windows = int(num_windows)
        self.window_size = int(window_size)
        self.mask_ratio = float(mask_ratio)
        self.num_masked = num_masked_per_window(self.window_size, self.mask_ratio,
                                                mask_count_rounding)
        grid_h, grid_w = self.backbone.patch_resolution
        if self.window_size > min(grid_h, grid_w):
            raise ValueError(f'window_size={window_size} does not fit the {grid_h}x{grid_w} '
                             f'patch grid of img_size={self.backbone.img_size}')
        placed = num_batch_windows((grid_h, grid_w), self.num_windows, self.window_size)
        if window_sampling == 'per_batch' and placed < self.num_windows:
            warnings.warn(f'SARJEPA: per_batch window sampling places only {placed} of '
                          f'num_windows={self.num_windows} windows of {window_size}x'
                          f'{window_size} patches on the {grid_h}x{grid_w} grid (corners from '
                          f'randperm(grid - window_size + 1), as the reference code)')

        # targets are fixed functions of the image: nothing in the generator is trained
        for param in self.target_generator.parameters():
            param.requires_grad_(False)
        tg_patch = getattr(self.target_generator, 'patch_size', None)
        if tg_patch is not None and int(tg_patch) != self.patch_size:
            raise ValueError(f'target generator patch_size={tg_patch} differs from the '
                             f'backbone patch size {self.patch_size}')
        self.target_dim = int(target_dim) if target_dim is not None else self._probe_target_dim()

        self.neck = self._build_neck(neck, norm_cfg, predictor_dim, predictor_depth,
                                     predictor_num_heads, predictor_mlp_ratio)
        head = dict() if head is None else head
        self.head = head if isinstance(head, nn.Module) else MODELS.build(
            dict(dict(type='SARJEPAHead'), **head))
        self.register_load_state_dict_pre_hook(self._rename_old_keys)

        if getattr(self.backbone, 'out_type', None) == 'avg_featmap':
            warnings.warn('SARJEPA: the backbone out_type "avg_featmap" adds a norm (ln2) the '
                          'pretraining loss does not use; distributed training then needs '
                          'find_unused_parameters=True')

    # ----------------------------------------------------------------------------- set-up
    def _check_backbone(self):
        bb = self.backbone
        for name in ('patch_embed', 'layers', 'cls_token', 'mask_token', 'patch_resolution'):
            if getattr(bb, name, None) is None:
                raise TypeError(f'SARJEPA needs a window encoder backbone (SARJEPAViT: a '
                                f'VisionTransformer with a class token, a mask token and '
                                f'forward(x, indices, mask)); {type(bb).__name__} has no {name}')
        proj = bb.patch_embed.projection
        kernel, stride = tuple(proj.kernel_size), tuple(proj.stride)
        if kernel != stride or kernel[0] != kernel[1]:
            raise ValueError(f'SARJEPA needs square non-overlapping patches, got kernel {kernel} '
                             f'and stride {stride}')
        self.patch_size = int(kernel[0])

    def _build_neck(self, neck, norm_cfg, dim, depth, heads, mlp_ratio) -> nn.Module:
        old = dict(
            predictor_dim=dim,
            predictor_depth=depth,
            predictor_num_heads=heads,
            predictor_mlp_ratio=mlp_ratio)
        if isinstance(neck, nn.Module):
            given = [k for k, v in old.items() if v is not None]
            if given:
                raise ValueError(f'SARJEPA: give the predictor either as neck= or with '
                                 f'{given}, not both')
            return neck
        if neck is None:
            neck = dict(
                embed_dims=512 if dim is None else dim,
                num_layers=8 if depth is None else depth,
                num_heads=16 if heads is None else heads,
                mlp_ratio=4. if mlp_ratio is None else mlp_ratio,
                norm_cfg=norm_cfg)
        else:
            given = [k for k, v in old.items() if v is not None]
            if given:
                raise ValueError(f'SARJEPA: give the predictor either as neck= or with '
                                 f'{given}, not both')
            neck = dict(neck)
        neck.setdefault('type', 'SARJEPAPredictor')
        neck.setdefault('in_channels', self.backbone.embed_dims)
        neck.setdefault('out_channels', self.target_dim)
        if neck['in_channels'] != self.backbone.embed_dims or \
                neck['out_channels'] != self.target_dim:
            raise ValueError(f'SARJEPA: neck in_channels={neck["in_channels"]} and '
                             f'out_channels={neck["out_channels"]} must be the backbone width '
                             f'{self.backbone.embed_dims} and the target size {self.target_dim}')
        return MODELS.build(neck)

    @staticmethod
    def _rename_old_keys(module, state_dict, prefix, *args, **kwargs):
        """Pre-hook of ``load_state_dict``: keys of the pre-decomposition model -> these."""
        for key in list(state_dict):
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            for pattern, new in _OLD_KEYS:
                if re.match(pattern, rest):
                    state_dict[prefix + re.sub(r'^' + pattern, new, rest)] = state_dict.pop(key)
                    break

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

    def sample_windows(self, inputs: torch.Tensor, generator: Optional[torch.Generator] = None):
        """Windows and masks for a batch: ``indices`` int64 and ``mask`` bool, (B, N, S*S)."""
        grid = self._check_input(inputs)
        return local_window_masking(
            inputs.shape[0],
            grid,
            self.num_windows,
            self.window_size,
            self.mask_ratio,
            generator=generator,
            device=inputs.device,
            sampling=self.window_sampling,
            rounding=self.mask_count_rounding)

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

    def predict_windows(self,
                        inputs: torch.Tensor,
                        generator: Optional[torch.Generator] = None) -> dict:
        """One masked forward pass: ``dict(indices, mask, pred)``, (B, N, P) and (B, N, P, D)."""
        indices, mask = self.sample_windows(inputs, generator=generator)
        pred = self.neck(self.backbone(inputs, indices, mask))
        return dict(indices=indices, mask=mask, pred=pred.reshape(*indices.shape, -1))

    def _masked_patches(self, mask: torch.Tensor) -> Optional[torch.Tensor]:
        """The masked patch indices of each window, long (B*N, M), when the neck and head
        are sar_mm's (predictor and loss on those rows only: the loss needs no other row) and
        every window has M masked patches; else None."""
        if not (isinstance(self.neck, SARJEPAPredictor) and isinstance(self.head, SARJEPAHead)):
            return None
        counts = mask.sum(-1)
        num_masked = int(counts.reshape(-1)[0]) if counts.numel() else 0
        if num_masked < 1 or not bool((counts == num_masked).all()):
            return None
        windows = mask.reshape(-1, mask.shape[-1])
        return windows.nonzero()[:, 1].reshape(windows.shape[0], num_masked)  # ascending

    # ---------------------------------------------------------------------- public API
    def extract_feat(self, inputs: torch.Tensor):
        """Backbone features of the full (unmasked) image, in the backbone's ``out_type``."""
        return self.backbone(inputs)

    def loss(self,
             inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: Optional[List[DataSample]] = None,
             **kwargs) -> dict:
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
        latent = self.backbone(inputs, indices, mask)  # (B*N, 1 + P, C)
        target = self.compute_targets(inputs)  # (B, L, D)
        keep = self._masked_patches(mask)  # (B*N, M), or None
        if keep is None:
            pred = self.neck(latent)  # (B*N, P, D)
            loss = self.head.loss(pred, target, mask, indices)
        else:  # the predictions of the masked patches only, (B*N, M, D)
            pred = self.neck(latent, keep=keep)
            loss = self.head.loss(pred, target, mask, indices, masked_only=True)
        return dict(loss=loss)
