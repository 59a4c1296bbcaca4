"""The prediction targets SAR-JEPA is compared with: pixels, low-pass image, SAR HOG and HOG.

Li et al., "Predicting gradient is better: Exploring self-supervised learning for SAR ATR with a
joint-embedding predictive architecture", ISPRS J. Photogramm. Remote Sens. 2024
(arXiv:2311.15153), compare the multi-scale ratio-gradient target
(:class:`~.sar_gradient.SARGradientTarget`) with the targets of MAE (pixels), of low-pass
filtered images, of MaskFeat (HOG) and with HOG built on SAR ratio gradients. All have the
interface described in :mod:`.sar_gradient`.
"""
import math
import numbers

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.selfsup.maskfeat import HOGGenerator
from mmpretrain.registry import MODELS

from .sar_gradient import (PatchTargetMixin, SARGradientTarget, check_input, check_patch_size,
                           float32_no_autocast, gaussian_kernel1d, normalize_per_patch, patchify,
                           reflect_pad)

# |g_x|, |g_y| below this (float32 noise of the log-ratios) count as 0 for orientations
_ZERO_GRADIENT = 1e-5


@MODELS.register_module()
class PixelTarget(PatchTargetMixin, BaseModule):
    """Raw pixels of each patch, the MAE target.

    He et al., "Masked autoencoders are scalable vision learners", CVPR 2022.

    ``feature_maps`` is the image itself (K = C, float32); ``forward`` gives D = C * p * p
    values per patch ordered channel-major (all p x p values of channel 0, then channel 1...).
    For C > 1 this differs from mmpretrain's MAE ``patchify`` (channels last); for C = 1 it is
    the same. ``norm_per_patch=True`` is MAE's normalised-pixel target (with the population
    instead of the unbiased variance).

    Args:
        patch_size (int): Patch side p. Defaults to 16.
        norm_per_patch (bool): Standardise each patch's target (zero mean, unit variance,
            eps 1e-6). Defaults to False.
        init_cfg (dict, optional): Unused (no weights); for OpenMMLab compatibility.
    """

    maps_per_channel = 1

    def __init__(self, patch_size=16, norm_per_patch=False, init_cfg=None):
        super().__init__(init_cfg)
        self._init_patch(patch_size, norm_per_patch)

    @float32_no_autocast
    def feature_maps(self, x):
        """The (B, C, H, W) images as float32 (detached)."""
        return check_input(x, 1).detach()


@MODELS.register_module()
class LowPassTarget(PatchTargetMixin, BaseModule):
    """Gaussian low-pass filtered pixels of each patch.

    The image is convolved, per channel, with the normalised 2-D Gaussian
    ``exp(-(di^2 + dj^2) / (2 sigma^2))`` truncated at radius ``ceil(truncate * sigma)`` (two
    separable 1-D passes on the reflect-padded image, float32), which keeps the coarse
    structure of the pixels and removes most of the speckle. K = C maps, D = C * p * p,
    ordered as in :class:`PixelTarget`.

    Args:
        sigma (float): Standard deviation of the Gaussian, in pixels, > 0. Defaults to 1.0.
        truncate (float): Kernel radius in units of sigma, > 0. Defaults to 3.0.
        patch_size (int): Patch side p. Defaults to 16.
        norm_per_patch (bool): Standardise each patch's target (zero mean, unit variance,
            eps 1e-6). Defaults to False.
        init_cfg (dict, optional): Unused (no weights); for OpenMMLab compatibility.
    """

    maps_per_channel = 1

    def __init__(self, sigma=1.0, truncate=3.0, patch_size=16, norm_per_patch=False, init_cfg=None):
        super().__init__(init_cfg)
        for name, value in (('sigma', sigma), ('truncate', truncate)):
            if (not isinstance(value, numbers.Real) or not value > 0 or not math.isfinite(value)):
                raise ValueError(f'{name} must be a finite number > 0, got {value!r}')
        self.sigma = float(sigma)
        self.truncate = float(truncate)
        self.radius = max(1, int(math.ceil(self.truncate * self.sigma)))
        self._init_patch(patch_size, norm_per_patch)

    @float32_no_autocast
    def feature_maps(self, x):
        """Low-pass filtered (B, C, H, W) images, float32."""
        x = check_input(x, 1)
        b, c, h, w = x.shape
        r = self.radius
        kernel = gaussian_kernel1d(self.sigma, r, x.device)
        y = reflect_pad(x.reshape(b * c, 1, h, w), r, r, r, r)
        y = F.conv2d(y, kernel.view(1, 1, 1, -1))
        y = F.conv2d(y, kernel.view(1, 1, -1, 1))
        return y.view(b, c, h, w)

    def extra_repr(self):
        return (f'sigma={self.sigma}, truncate={self.truncate}, patch_size={self.patch_size}, '
                f'norm_per_patch={self.norm_per_patch}')


def _patch_pixels(maps, patch_size):
    """(B, K, H, W) -> (B, K, L, p*p): the pixels of each row-major patch."""
    b, k, h, w = maps.shape
    p = patch_size
    out = maps.reshape(b, k, h // p, p, w // p, p).permute(0, 1, 2, 4, 3, 5)
    return out.reshape(b, k, (h // p) * (w // p), p * p)


@MODELS.register_module()
class SARHOGTarget(BaseModule):
    """Histograms of SAR ratio-gradient orientations per patch (HOG on SAR gradients).

    The HOG target of MaskFeat (Wei et al., CVPR 2022) with the image gradient replaced by the
    gradient by ratio of :class:`~.sar_gradient.SARGradientTarget` (same ``radii``, ``window``,
    ``eps``), one of SAR-JEPA's comparison targets (Li et al., ISPRS J. 2024). For each
    channel c, radius r and pixel, ``(g_x, g_y)`` are the ratio gradients, the magnitude is
    ``sqrt(g_x^2 + g_y^2)`` and the orientation ``theta = atan2(g_y, g_x)``, taken modulo pi
    (unsigned, as in HOG; ``signed=True``: modulo 2 pi), where components below 1e-5 in
    absolute value (float32 noise) count as 0 so that exactly-zero components, such as g_y on
    the reflect-padded first and last rows, get a stable bin. The cell is the patch: each pixel adds
    its magnitude to bin ``floor(theta / (period / bins))`` (hard binning, as mmpretrain's
    ``HOGGenerator``) of its patch's histogram; each histogram (per patch, channel, radius) is
    then L2-normalised over its bins when ``l2_normalize`` (a histogram of zeros stays 0).

    ``feature_maps`` returns the magnitudes (B, C * len(radii), H, W) (channel-major);
    ``forward`` gives D = C * len(radii) * bins values per patch, ordered (channel, radius,
    bin). Like the gradients, the histograms do not change when the image is multiplied by a
    constant (up to eps).

    Args:
        radii (Sequence[int]): Half-window sizes of the ratio gradients. Defaults to
            (5, 9, 13, 17).
        window (str): ``'box'`` or ``'gaussian'``, see :class:`SARGradientTarget`.
            Defaults to ``'box'``.
        eps (float): Offset > 0 added to the image. Defaults to 0.01.
        bins (int): Number of orientation bins >= 1. Defaults to 9.
        signed (bool): Orientations over 2 pi instead of pi. Defaults to False.
        l2_normalize (bool): L2-normalise each histogram. Defaults to True.
        patch_size (int): Patch (= cell) side p. Defaults to 16.
        norm_per_patch (bool): Standardise each patch's target vector (zero mean, unit
            variance, eps 1e-6) after the histograms. Defaults to False.
        init_cfg (dict, optional): Unused (no weights); for OpenMMLab compatibility.
    """

    def __init__(self,
                 radii=(5, 9, 13, 17),
                 window='box',
                 eps=0.01,
                 bins=9,
                 signed=False,
                 l2_normalize=True,
                 patch_size=16,
                 norm_per_patch=False,
                 init_cfg=None):
        super().__init__(init_cfg)
        if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
            raise ValueError(f'bins must be an int >= 1, got {bins!r}')
        self.gradient = SARGradientTarget(radii=radii, window=window, eps=eps, patch_size=1)
        self.bins = int(bins)
        self.signed = bool(signed)
        self.l2_normalize = bool(l2_normalize)
        self.patch_size = check_patch_size(patch_size)
        self.norm_per_patch = bool(norm_per_patch)

    def out_dim(self, in_channels=1):
        """D = in_channels * len(radii) * bins."""
        return int(in_channels) * len(self.gradient.radii) * self.bins

    @float32_no_autocast
    def feature_maps(self, x):
        """Ratio-gradient magnitudes (B, C*len(radii), H, W), channel-major."""
        return self.gradient.feature_maps(x)

    @float32_no_autocast
    def forward(self, x):
        """Per-patch histograms (B, L, C*len(radii)*bins) of (B, C, H, W) images."""
        x = check_input(x, self.patch_size)
        b, c, h, w = x.shape
        gx, gy = self.gradient.ratio_gradients(x)
        k = gx.shape[1] * gx.shape[2]
        magnitude = torch.hypot(gx, gy).view(b, k, h, w)
        period = 2 * math.pi if self.signed else math.pi
        # components at float32 noise level are 0 (e.g. g_y on the reflected first/last
        # rows): their sign would otherwise flip the bin between 0 and bins - 1
        gx = torch.where(gx.abs() < _ZERO_GRADIENT, torch.zeros_like(gx), gx)
        gy = torch.where(gy.abs() < _ZERO_GRADIENT, torch.zeros_like(gy), gy)
        theta = torch.atan2(gy, gx).remainder_(period).view(b, k, h, w)
        index = (theta * (self.bins / period)).long().clamp_(0, self.bins - 1)
        magnitude = _patch_pixels(magnitude, self.patch_size)
        index = _patch_pixels(index, self.patch_size)
        hist = magnitude.new_zeros(magnitude.shape[:3] + (self.bins, ))
        hist.scatter_add_(-1, index, magnitude)  # (B, K, L, bins)
        if self.l2_normalize:
            hist = F.normalize(hist, p=2, dim=-1)
        targets = hist.permute(0, 2, 1, 3).reshape(b, hist.shape[2], k * self.bins)
        return normalize_per_patch(targets) if self.norm_per_patch else targets

    def extra_repr(self):
        return (f'bins={self.bins}, signed={self.signed}, l2_normalize={self.l2_normalize}, '
                f'patch_size={self.patch_size}, norm_per_patch={self.norm_per_patch}')


class _CellHOG(HOGGenerator):
    """mmpretrain's ``HOGGenerator`` returning its per-cell histograms (B, 3, nbins, H/pool,
    W/pool) instead of reshaping them for 224 x 224 inputs (its ``_reshape`` assumes 14 x 14
    patches)."""

    def _reshape(self, hog_feat):
        return hog_feat


@MODELS.register_module()
class HOGTarget(BaseModule):
    """MaskFeat's HOG target (mmpretrain ``HOGGenerator``) with the target-generator interface.

    Wei et al., "Masked feature prediction for self-supervised visual pre-training", CVPR
    2022; one of SAR-JEPA's comparison targets. The histograms are computed by mmpretrain's
    ``HOGGenerator`` itself (Sobel gradients of the reflect-padded image, orientation
    ``atan2(g_x, g_y)`` in ``nbins`` unsigned bins, magnitudes weighted by a Gaussian of
    ``gaussian_window`` tiled over the image, summed over ``pool`` x ``pool`` cells and
    L2-normalised per cell); this adapter only makes it accept any image:

    * channels: ``HOGGenerator`` takes exactly 3 channels (grouped convolutions) and treats
      them independently, so the C channels are processed in groups of 3 (the last group
      zero-padded, the padding dropped): a 1-channel SAR image is not repeated 3 times;
    * size: ``HOGGenerator`` tiles its Gaussian as a square and reshapes for 224 x 224; a
      non-square image is reflect-extended at the bottom/right to a square (the first added
      row/column is the one ``HOGGenerator`` pads with, so the cells of the image are
      unchanged) and the extra cells are dropped.

    ``forward`` gives, per p x p patch, the (p/pool)^2 cells' histograms: D = C * nbins *
    (p/pool)^2 ordered (channel, bin, cell row, cell col), which for 3-channel 224 x 224 inputs
    and p = 2 * pool is exactly ``HOGGenerator``'s output. ``feature_maps`` returns the
    per-pixel Sobel gradient magnitudes (B, C, H, W) (before the Gaussian weighting), computed
    with ``HOGGenerator``'s kernels.

    Args:
        nbins (int): Orientation bins. Defaults to 9.
        pool (int): Cell side in pixels; must divide patch_size. Defaults to 8.
        gaussian_window (int): Side of the Gaussian weighting window (0: none); must divide
            patch_size. Defaults to 16.
        patch_size (int): Patch side p. Defaults to 16.
        norm_per_patch (bool): Standardise each patch's target vector (zero mean, unit
            variance, eps 1e-6). Defaults to False.
        init_cfg (dict, optional): Unused (no weights); for OpenMMLab compatibility.
    """

    def __init__(self,
                 nbins=9,
                 pool=8,
                 gaussian_window=16,
                 patch_size=16,
                 norm_per_patch=False,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.patch_size = check_patch_size(patch_size)
        for name, value, low in (('nbins', nbins, 1), ('pool', pool, 1), ('gaussian_window',
                                                                          gaussian_window, 0)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f'{name} must be an int >= {low}, got {value!r}')
        if self.patch_size % pool:
            raise ValueError(f'pool={pool} must divide patch_size={self.patch_size}')
        if gaussian_window and self.patch_size % gaussian_window:
            raise ValueError(f'gaussian_window={gaussian_window} must divide '
                             f'patch_size={self.patch_size} (or be 0)')
        self.hog = _CellHOG(nbins=int(nbins), pool=int(pool), gaussian_window=int(gaussian_window))
        self.norm_per_patch = bool(norm_per_patch)

    def out_dim(self, in_channels=1):
        """D = in_channels * nbins * (patch_size / pool)^2."""
        return int(in_channels) * self.hog.nbins * (self.patch_size // self.hog.pool)**2

    @float32_no_autocast
    def feature_maps(self, x):
        """Sobel gradient magnitudes (B, C, H, W) of (B, C, H, W) images, float32."""
        x = check_input(x, 1)
        b, c, h, w = x.shape
        y = reflect_pad(x.reshape(b * c, 1, h, w), 1, 1, 1, 1)
        gx = F.conv2d(y, self.hog.weight_x[:1].to(y.dtype))
        gy = F.conv2d(y, self.hog.weight_y[:1].to(y.dtype))
        return torch.hypot(gx, gy).view(b, c, h, w)

    @float32_no_autocast
    def forward(self, x):
        """Per-patch HOG (B, L, C*nbins*(p/pool)^2) of (B, C, H, W) images."""
        x = check_input(x, self.patch_size)
        b, c, h, w = x.shape
        side = max(h, w)
        if h != w:
            x = reflect_pad(x, 0, side - h, 0, side - w)
        groups = -(-c // 3)
        if groups * 3 != c:
            x = F.pad(x, (0, 0, 0, 0, 0, groups * 3 - c))
        cells = self.hog(x.reshape(b * groups, 3, side, side))
        pool = self.hog.pool
        cells = cells.reshape(b, groups * 3, self.hog.nbins, side // pool, side // pool)
        cells = cells[:, :c, :, :h // pool, :w // pool]
        maps = cells.reshape(b, c * self.hog.nbins, h // pool, w // pool)
        targets = patchify(maps, self.patch_size // pool)
        return normalize_per_patch(targets) if self.norm_per_patch else targets

    def extra_repr(self):
        return f'patch_size={self.patch_size}, norm_per_patch={self.norm_per_patch}'
