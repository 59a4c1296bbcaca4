"""SAR-KP with a U-Net that predicts ``sigma`` from the image, trained over a dataset (SAR-HUB)."""
import copy
import math

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import nn

from .base import BaseKPExplainer
from .knowledge_points import REFERENCE_ALPHA, cell_entropy


def _double_conv(in_channels, out_channels):
    """Two 3x3 convolutions with ReLU, no normalisation (as SAR-HUB's U-Net blocks)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True))


@MODELS.register_module()
class SigmaUNet(BaseModule):
    """Truncated U-Net that maps an image to ``log sigma`` on a grid of cells (SAR-HUB's σ model).

    Architecture (re-derived from the SAR-HUB explainer, Huang et al., Remote Sens. 2023; with
    the defaults and ``cell_size=8`` it is that network): an encoder of double-conv blocks
    (3x3 conv + ReLU, twice) with ``log2(cell_size) + 1`` 2x2 max-pools, channels
    ``base_channels * 2^i`` capped at ``max_channels``, reaching stride ``2 * cell_size``; one
    decoder stage (2x2 transposed conv to stride ``cell_size``, concatenation with the encoder
    feature of that stride, double conv); a 3x3 conv to ``logvar_channels`` log-variances ``z``,
    optionally standardised by ``BatchNorm2d(affine=False)`` (``normalize_logvar``, as the
    reference: it fixes the scale of ``sigma`` to batch statistics), and
    ``sigma = sigma_scale * mean_c exp(z_c / 2)`` (mean of the channels' standard deviations),
    returned as ``log sigma`` computed stably with ``logsumexp``.

    Args:
        in_channels (int): Image channels. Defaults to 1.
        cell_size (int): Cell side in pixels, a power of 2 (output stride). Defaults to 8.
        base_channels (int): Channels of the first block. Defaults to 64.
        max_channels (int): Channel cap of the encoder. Defaults to 1024.
        logvar_channels (int): Log-variance channels averaged into ``sigma``. Defaults to 512.
        normalize_logvar (bool): Batch-normalise ``z`` (no affine). Defaults to True.
        sigma_scale (float): Multiplies ``sigma`` (adds ``log sigma_scale`` to every ``H``; the
            KPs do not change). Defaults to 1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels=1,
                 cell_size=8,
                 base_channels=64,
                 max_channels=1024,
                 logvar_channels=512,
                 normalize_logvar=True,
                 sigma_scale=1.0,
                 init_cfg=None):
        super().__init__(init_cfg)
        depth = int(round(math.log2(cell_size))) if cell_size >= 1 else -1
        if depth < 0 or 2**depth != cell_size:
            raise ValueError(f'SigmaUNet cell_size must be a power of 2, got {cell_size}')
        if sigma_scale <= 0:
            raise ValueError(f'sigma_scale must be > 0, got {sigma_scale}')
        self.cell_size = cell_size
        self.log_sigma_scale = math.log(sigma_scale)
        chans = [min(base_channels * 2**i, max_channels) for i in range(depth + 2)]
        self.encoder = nn.ModuleList(
            [_double_conv(in_channels, chans[0])] +
            [_double_conv(chans[i - 1], chans[i]) for i in range(1, depth + 2)])
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ConvTranspose2d(chans[-1], chans[-2], 2, stride=2)
        self.decoder = _double_conv(2 * chans[-2], chans[-2])
        self.logvar = nn.Conv2d(chans[-2], logvar_channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(logvar_channels, affine=False) if normalize_logvar \
            else nn.Identity()

    def forward(self, x):
        """``(B, C, H, W)`` -> ``log sigma`` ``(B, 1, H / cell_size, W / cell_size)``."""
        feats = []
        for i, block in enumerate(self.encoder):
            x = block(x if i == 0 else self.pool(x))
            feats.append(x)  # stride 2^i
        skip = feats[-2]  # stride cell_size
        x = self.up(feats[-1], output_size=skip.shape[-2:])
        x = self.decoder(torch.cat([x, skip], dim=1))
        z = self.norm(self.logvar(x))  # (B, K, gh, gw) log-variances
        # log(mean_k exp(z_k / 2)): log of the mean standard deviation
        return (torch.logsumexp(z / 2, dim=1, keepdim=True) - math.log(z.shape[1]) +
                self.log_sigma_scale)


@MODELS.register_module()
class AmortisedKPExplainer(BaseKPExplainer):
    """SAR-KP explainer whose noise scales come from a U-Net trained over a dataset (SAR-HUB).

    SAR-HUB (Huang et al., Remote Sens. 15(23):5534, 2023) replaces the per-image optimisation
    of Cheng et al. (CVPR 2020) by a network ``g`` (:class:`SigmaUNet`) that predicts
    ``log sigma = g(x)`` for any image; ``g`` is trained with the Runner
    (``tools/train.py configs/explain/...``) on the objective, averaged over the batch::

        loss = mean_b ||F(x~_b) - F(x_b)||^2 / v  -  alpha * mean_b mean_cells(H_b)

    (:mod:`~sar_mm.models.explainers.knowledge_points`). :meth:`loss` returns the two terms as
    ``loss_feature`` and ``loss_entropy`` (their sum is optimised) and logs ``mean_entropy``.
    The explained model is built from its config inside, loaded from its checkpoint by
    :meth:`init_weights`, frozen and kept in eval mode (its weights and batch-norm statistics
    stay bit-identical; the reference lets them drift). It is part of the state dict, so a
    saved explainer checkpoint holds the model it explains; ``tools/test.py`` with the
    explainer config and checkpoint gives the KP metrics through the Runner.

    Defaults follow the SAR-HUB code: ``S = 15`` noise draws averaged in the input
    (``'mean_input'``), ``v`` the variance over the batch, ``alpha = 2048`` (its weight 0.25 on
    the summed entropy of 32 images of 256 cells, per image).

    Args:
        explained, explained_checkpoint, feature_layer, cell_size, alpha, num_samples,
            sample_mode, feature_variance, explained_cfg_options, data_preprocessor, init_cfg:
            see :class:`~sar_mm.models.explainers.base.BaseKPExplainer`.
        sigma_net (dict | nn.Module): The ``log sigma`` predictor; ``cell_size`` is filled in.
            Defaults to ``dict(type='SigmaUNet')``.
    """

    def __init__(self,
                 explained,
                 explained_checkpoint=None,
                 sigma_net=None,
                 feature_layer=None,
                 cell_size=8,
                 alpha=REFERENCE_ALPHA,
                 num_samples=15,
                 sample_mode='mean_input',
                 feature_variance='batch',
                 explained_cfg_options=None,
                 data_preprocessor=None,
                 init_cfg=None):
        super().__init__(explained, explained_checkpoint, feature_layer, cell_size, alpha,
                         num_samples, sample_mode, feature_variance, explained_cfg_options,
                         data_preprocessor, init_cfg)
        if sigma_net is None:
            sigma_net = dict(type='SigmaUNet')
        if isinstance(sigma_net, dict):
            sigma_net = copy.deepcopy(sigma_net)
            if sigma_net.setdefault('cell_size', self.cell_size) != self.cell_size:
                raise ValueError(f'sigma_net.cell_size {sigma_net["cell_size"]} differs from the '
                                 f'explainer cell_size {self.cell_size}')
            sigma_net = MODELS.build(sigma_net)
        self.sigma_net = sigma_net

    def init_weights(self):
        """Initialise the sigma net; load the explained model's checkpoint."""
        if hasattr(self.sigma_net, 'init_weights'):
            self.sigma_net.init_weights()
        self.load_explained()

    def log_sigma(self, inputs):
        """``log sigma`` (B, 1, gh, gw) predicted for preprocessed inputs (B, C, H, W)."""
        gh, gw = self.grid(inputs)
        out = self.sigma_net(inputs)
        if tuple(out.shape) != (inputs.shape[0], 1, gh, gw):
            raise RuntimeError(f'sigma_net gave {tuple(out.shape)} for inputs '
                               f'{tuple(inputs.shape)}; expected {(inputs.shape[0], 1, gh, gw)}')
        return out

    def entropy_map(self, inputs):
        """Cell entropies ``H`` (B, gh, gw); deterministic (no noise is drawn)."""
        return cell_entropy(self.log_sigma(inputs))[:, 0]

    def loss(self, inputs, data_samples=None):
        """The objective, averaged over the batch (the Runner sums the ``loss_*`` entries)."""
        terms = self.objective(inputs, self.log_sigma(inputs))
        return dict(
            loss_feature=terms['feature'].mean(),
            loss_entropy=-self.alpha * terms['entropy'].mean(),
            mean_entropy=terms['entropy'].mean().detach())
