"""Multi-scale ratio-gradient targets of SAR-JEPA, and the patch helpers all generators share.

Li et al., "Predicting gradient is better: Exploring self-supervised learning for SAR ATR with a
joint-embedding predictive architecture", ISPRS J. Photogramm. Remote Sens. 218, 2024
(arXiv:2311.15153). SAR-JEPA's encoder predicts, for masked patches, multi-scale gradient
features of the image instead of its pixels. Speckle is multiplicative, so a difference of
intensities is dominated by noise in bright areas; the gradient by ratio of local means used by
SAR edge detectors (ratio of averages, Touzi et al. 1988; ROEWA, Fjortoft et al. 1998; SAR-SIFT,
Dellinger et al. 2015) is a constant-false-alarm-rate edge strength instead: it does not change
when the image is multiplied by a constant.

Every target generator of this package has the same interface (the SAR-JEPA algorithm relies on
it): ``feature_maps(x)`` gives dense (B, K, H, W) maps, ``forward(x)`` the (B, L, D) per-patch
targets of the L = (H/p)*(W/p) non-overlapping p x p patches in row-major order, ``out_dim(C)``
is D, and ``norm_per_patch`` standardises each patch's target vector. They compute in float32
without gradients, also when called under autocast (:func:`float32_no_autocast`).
"""
import contextlib
import functools
import math
import numbers

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

_WINDOWS = ('box', 'gaussian')
# eps of the per-patch standardisation (MAE's value)
_NORM_EPS = 1e-6
# images per chunk are chosen so the working set stays about this size (bytes): cache-sized
# chunks on CPU, large ones (few kernel launches) on accelerators
_CHUNK_BYTES = 8 * 2**20
_CHUNK_BYTES_ACCELERATOR = 1 * 2**30


def float32_no_autocast(method):
    """Decorate a target-generator method ``method(self, x, ...)`` so that it runs without
    gradients and with autocast disabled on ``x``'s device.

    Under mixed precision (``torch.autocast``) matrix products and convolutions would otherwise
    run in bfloat16/float16: the targets (log-ratios of window sums, histograms) keep their
    float32 accuracy this way, whatever precision the network trains in.
    """

    @functools.wraps(method)
    def wrapper(self, x, *args, **kwargs):
        device_type = x.device.type if isinstance(x, torch.Tensor) else 'cpu'
        no_autocast = (
            torch.autocast(device_type=device_type, enabled=False)
            if torch.amp.is_autocast_available(device_type) else contextlib.nullcontext())
        with torch.no_grad(), no_autocast:
            return method(self, x, *args, **kwargs)

    return wrapper


def check_patch_size(patch_size):
    """``patch_size`` as an int >= 1, or a ValueError."""
    if (isinstance(patch_size, bool) or not isinstance(patch_size, numbers.Integral)
            or patch_size < 1):
        raise ValueError(f'patch_size must be an int >= 1, got {patch_size!r}')
    return int(patch_size)


def check_input(x, patch_size):
    """``x`` as a float32 (B, C, H, W) tensor whose H and W are multiples of ``patch_size``.

    Raises:
        ValueError: ``x`` is not 4-D, has no channel, or H or W is not a multiple of
            ``patch_size``.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError('expected a (B, C, H, W) tensor, got '
                         f'{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x)}')
    b, c, h, w = x.shape
    if c < 1:
        raise ValueError(f'expected at least one channel, got shape {tuple(x.shape)}')
    if h % patch_size or w % patch_size or h == 0 or w == 0:
        raise ValueError(f'image size {h}x{w} (H x W) is not a positive multiple of '
                         f'patch_size={patch_size}: crop or pad the images to a multiple '
                         'of the patch size')
    return x.float()


def patchify(maps, patch_size):
    """(B, K, H, W) maps -> (B, L, K*p*p): row-major patches, each the concatenation of the
    patch's p x p values (row-major) of map 0, then of map 1, ..."""
    b, k, h, w = maps.shape
    p = patch_size
    out = maps.reshape(b, k, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
    return out.reshape(b, (h // p) * (w // p), k * p * p)


def normalize_per_patch(targets, eps=_NORM_EPS):
    """Standardise each target vector (last dim): ``(t - mean) / sqrt(var + eps)`` with the
    population variance, so non-constant vectors get zero mean and (up to eps) unit variance;
    constant ones become 0."""
    mean = targets.mean(dim=-1, keepdim=True)
    var = targets.var(dim=-1, unbiased=False, keepdim=True)
    return (targets - mean) / (var + eps).sqrt()


def reflect_pad(x, top, bottom, left, right):
    """Reflect-pad (without repeating the edge, numpy/torch ``'reflect'``) the last two dims.

    Pads of any length are supported: beyond one reflection the image keeps being mirrored
    (numpy's behaviour), which ``F.pad`` refuses; a size-1 dimension is replicated.
    """
    h, w = x.shape[-2:]
    if top < h and bottom < h and left < w and right < w and min(h, w) > 1:
        shape = x.shape
        out = F.pad(x.reshape(-1, 1, h, w), (left, right, top, bottom), mode='reflect')
        return out.reshape(shape[:-2] + out.shape[-2:])

    def index(n, before, after):
        idx = torch.arange(-before, n + after, device=x.device)
        if n == 1:
            return torch.zeros_like(idx)
        period = 2 * (n - 1)
        idx = idx.remainder(period)
        return torch.where(idx >= n, period - idx, idx)

    x = x.index_select(-2, index(h, top, bottom))
    return x.index_select(-1, index(w, left, right))


def gaussian_kernel1d(sigma, radius, device=None):
    """Normalised 1-D Gaussian ``exp(-t^2 / (2 sigma^2))`` for t = -radius..radius, float32."""
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma)**2)
    return (k / k.sum()).to(device=device, dtype=torch.float32)


def _band(weights, n_out, n_in=None, shift=0):
    """(n_in, n_out) matrix M with ``M[j + shift + t, j] = weights[t]``: ``x @ M`` is the
    cross-correlation ``sum_t weights[t] * x[..., j + shift + t]``; n_in defaults to
    ``n_out + len(weights) - 1``."""
    taps = weights.numel()
    n_in = n_out + taps - 1 if n_in is None else n_in
    band = weights.new_zeros((n_in, n_out))
    cols = torch.arange(n_out, device=weights.device)
    rows = cols[None, :] + shift + torch.arange(taps, device=weights.device)[:, None]
    band[rows, cols.expand_as(rows)] = weights[:, None].expand_as(rows)
    return band


class PatchTargetMixin:
    """``forward`` and ``out_dim`` from ``feature_maps`` and ``maps_per_channel`` (K / C)."""

    def _init_patch(self, patch_size, norm_per_patch):
        self.patch_size = check_patch_size(patch_size)
        self.norm_per_patch = bool(norm_per_patch)

    def out_dim(self, in_channels=1):
        """D, the length of each patch's target, for ``in_channels`` input channels."""
        return self.maps_per_channel * int(in_channels) * self.patch_size**2

    @float32_no_autocast
    def forward(self, x):
        """Per-patch targets (B, L, D) of (B, C, H, W) images; H, W multiples of patch_size."""
        x = check_input(x, self.patch_size)
        targets = patchify(self.feature_maps(x), self.patch_size)
        return normalize_per_patch(targets) if self.norm_per_patch else targets


@MODELS.register_module()
class SARGradientTarget(PatchTargetMixin, BaseModule):
    """Multi-scale gradient-by-ratio magnitudes of SAR images, SAR-JEPA's prediction target.

    Li et al., ISPRS J. Photogramm. Remote Sens. 2024 (arXiv:2311.15153): the target of each
    masked patch is the multi-scale gradient magnitude of the image computed with ratios of
    local means (SAR-SIFT's gradient by ratio, Dellinger et al., IEEE TGRS 2015), which is
    robust to multiplicative speckle. For each radius r and pixel (i, j) of ``y = max(x, 0) +
    eps`` (reflect-padded by r, without repeating the edge; radii beyond the image size keep
    mirroring, as numpy's ``'reflect'``):

    * ``m_up`` / ``m_down``: means of the (r+1) x (2r+1) windows rows i-r..i / i..i+r,
      cols j-r..j+r (both include the pixel's row);
    * ``m_left`` / ``m_right``: means of the (2r+1) x (r+1) windows cols j-r..j / j..j+r,
      rows i-r..i+r;
    * ``g_y = log(m_up / m_down)``, ``g_x = log(m_left / m_right)`` (this vector points to the
      brighter side, i.e. it is minus the usual gradient in (col, row) coordinates; a sign
      flip of both components does not change the magnitude or an unsigned orientation);
    * feature ``G_r = sqrt(g_x^2 + g_y^2)``.

    Multiplying x by a constant a > 0 multiplies both means by a (up to eps), so G_r is
    invariant to the calibration gain; a constant image gives 0.

    Windows (``window``):

    * ``'box'``: uniform weights. The window sums come from one summed-area table (2-D
      cumulative sum, accumulated in float64 so that window sums of dark pixels next to
      bright ones stay accurate) padded once by max(radii); each radius then costs a fixed
      number of subtractions, independent of r. The up window of pixel i is the down window
      of pixel i - r, so one array of (r+1)-row sums serves both.
    * ``'gaussian'``: Gaussian-weighted half windows (a ROEWA-like smooth variant): the weight
      of offset (di, dj) in the up window is ``exp(-(di^2 + dj^2) / (2 sigma^2))`` for
      di = -r..0, dj = -r..r, sigma = r / 2, i.e. a 1-D Gaussian along the window's long axis
      times a one-sided (half) Gaussian of the same sigma along the other, truncated at r;
      down/left/right are its mirror images. Both half windows have the same total weight, so
      the ratio of weighted sums is the ratio of weighted means. Computed separably in
      float32 (positive weights and values: no cancellation) as products with banded
      matrices, which BLAS runs far faster than 1-channel convolutions on CPU.

    Inputs are expected to be non-negative amplitudes or intensities (linear, not dB);
    negatives are clamped to 0 before adding eps (NaN propagates). Any float dtype is
    computed in float32, also under autocast; no gradients are recorded. On CPU the batch is
    processed in cache-sized chunks of images.
    ``feature_maps`` returns K = C * len(radii) maps ordered channel-major (map index
    ``c * len(radii) + k`` for channel c, radius ``radii[k]``); ``forward`` returns
    D = C * len(radii) * p * p values per patch.

    Args:
        radii (Sequence[int]): Half-window sizes r >= 1 (windows (r+1) x (2r+1)).
            Defaults to (5, 9, 13, 17).
        window (str): ``'box'`` or ``'gaussian'``. Defaults to ``'box'``.
        eps (float): Offset > 0 added to the image so the ratios stay finite. Defaults to 0.01.
        patch_size (int): Patch side p. Defaults to 16.
        norm_per_patch (bool): Standardise each patch's target (zero mean, unit variance,
            eps 1e-6). Defaults to False.
        init_cfg (dict, optional): Unused (no weights); for OpenMMLab compatibility.
    """

    def __init__(self,
                 radii=(5, 9, 13, 17),
                 window='box',
                 eps=0.01,
                 patch_size=16,
                 norm_per_patch=False,
                 init_cfg=None):
        super().__init__(init_cfg)
        if isinstance(radii, numbers.Integral):
            radii = (radii, )
        radii = tuple(radii)
        if not radii or any(
                isinstance(r, bool) or not isinstance(r, numbers.Integral) or r < 1 for r in radii):
            raise ValueError(f'radii must be a non-empty sequence of ints >= 1, got {radii!r}')
        if window not in _WINDOWS:
            raise ValueError(f'window must be one of {_WINDOWS}, got {window!r}')
        if not isinstance(eps, numbers.Real) or not eps > 0 or not math.isfinite(eps):
            raise ValueError(f'eps must be a finite number > 0, got {eps!r}')
        self.radii = tuple(int(r) for r in radii)
        self.window = window
        self.eps = float(eps)
        self._init_patch(patch_size, norm_per_patch)

    @property
    def maps_per_channel(self):
        return len(self.radii)

    def _padded(self, images):
        """(n, H, W) float32 -> (n, H + 2R, W + 2R) reflect-padded ``max(x, 0) + eps``,
        R = max(radii) (a new tensor)."""
        big = max(self.radii)
        padded = reflect_pad(images, big, big, big, big)
        return padded.clamp_(min=0).add_(self.eps)

    def _box_gradients(self, images, step):
        """Yield ``(rows, k, g_x, g_y)`` for chunks ``images[rows]`` of at most ``step`` images
        and radius index k, with box windows; g_x, g_y are reused (m, H, W) buffers.

        ``table[:, a, b]`` is the sum of ``padded[:, :a, :b]`` in float64. For radius r (the
        image padded by r starts at offset o = R - r), ``strip[:, a, j]`` is the table's
        difference over padded-by-r columns j..j+2r and ``vert[:, a] = log(strip[:, a+r+1] -
        strip[:, a])`` the log-sum of the (r+1) x (2r+1) window starting at padded-by-r row a:
        the up window of pixel i starts at a = i, its down window at a = i + r, so
        ``g_y = vert[:, i] - vert[:, i + r]``. Same for g_x with rows and columns swapped.
        The window sums are formed in float64 and stored as float32 (positive, relative
        error ~6e-8) before the log. Buffers are allocated once and reused across chunks
        (chunks keep the working set in cache on CPU).
        """
        n, h, w = images.shape
        big = max(self.radii)
        hp, wp = h + 2 * big, w + 2 * big
        step = min(step, n)
        f64 = dict(dtype=torch.float64)
        table_buf = images.new_empty((step, hp + 1, wp + 1), **f64)
        table_buf[:, 0] = 0
        table_buf[:, 1:, 0] = 0
        strip_v_buf = images.new_empty((step, hp + 1, w), **f64)
        strip_h_buf = images.new_empty((step, h, wp + 1), **f64)
        size_sums = max((h + big) * w, h * (w + big))
        sums64_buf = images.new_empty((step, size_sums), **f64)
        sums_buf = images.new_empty((step, size_sums))
        gx_buf, gy_buf = images.new_empty((step, h, w)), images.new_empty((step, h, w))
        for n0 in range(0, n, step):
            m = min(step, n - n0)
            table, gx, gy = table_buf[:m], gx_buf[:m], gy_buf[:m]
            table[:, 1:, 1:] = self._padded(images[n0:n0 + m])
            table.cumsum_(1).cumsum_(2)
            rows_of_chunk = slice(n0, n0 + m)
            for k, r in enumerate(self.radii):
                o, size = big - r, 2 * r + 1
                rows = table[:, o:o + h + size]
                sv = torch.sub(
                    rows[:, :, o + size:o + size + w],
                    rows[:, :, o:o + w],
                    out=strip_v_buf[:m, :h + size])
                # window sums in float64 (cancellation), then float32 (positive) for the log
                v64 = sums64_buf[:m, :(h + r) * w].view(m, h + r, w)
                torch.sub(sv[:, r + 1:], sv[:, :h + r], out=v64)
                v = sums_buf[:m, :(h + r) * w].view(m, h + r, w)
                v.copy_(v64).log_()
                torch.sub(v[:, :h], v[:, r:r + h], out=gy)
                cols = table[:, :, o:o + w + size]
                sh = torch.sub(
                    cols[:, o + size:o + size + h],
                    cols[:, o:o + h],
                    out=strip_h_buf[:m, :, :w + size])
                u64 = sums64_buf[:m, :h * (w + r)].view(m, h, w + r)
                torch.sub(sh[:, :, r + 1:], sh[:, :, :w + r], out=u64)
                u = sums_buf[:m, :h * (w + r)].view(m, h, w + r)
                u.copy_(u64).log_()
                torch.sub(u[:, :, :w], u[:, :, r:r + w], out=gx)
                yield rows_of_chunk, k, gx, gy

    def _gaussian_gradients(self, images, step):
        """Yield ``(rows, k, g_x, g_y)`` as :meth:`_box_gradients`, with the Gaussian half
        windows.

        Each 1-D weighted sum is a product with a banded matrix (exact float32 sums of
        positive terms; much faster than 1-channel convolutions on CPU). For the vertical
        gradient: ``along = P_r @ G`` smooths the rows of the image padded by r with the full
        Gaussian (W + 2r -> W columns), then ``M @ along`` gives, for each pixel i, the half
        Gaussian sums of rows i-r..i (up, weights rising to the pixel) and i..i+r (down).
        The horizontal gradient is the transpose.
        """
        n, h, w = images.shape
        big = max(self.radii)
        mats = []
        for r in self.radii:
            full = gaussian_kernel1d(r / 2, r, images.device)
            half = full[:r + 1]  # offsets -r..0 (rising to the pixel)
            # (h + 2r, 2h): column i weights rows i..i+r (up), column h+i rows i+r..i+2r (down)
            halves_h = torch.cat(
                [_band(half, h, h + 2 * r),
                 _band(half.flip(0), h, h + 2 * r, shift=r)], dim=1)
            halves_w = torch.cat(
                [_band(half, w, w + 2 * r),
                 _band(half.flip(0), w, w + 2 * r, shift=r)], dim=1)
            mats.append((_band(full, w), _band(full, h).t(), halves_h.t(), halves_w))
        for n0 in range(0, n, step):
            m = min(step, n - n0)
            padded = self._padded(images[n0:n0 + m])
            for k, r in enumerate(self.radii):
                gauss_w, gauss_h, halves_h, halves_w = mats[k]
                o = big - r
                p = padded[:, o:o + h + 2 * r, o:o + w + 2 * r]
                ud = torch.matmul(halves_h, torch.matmul(p, gauss_w))  # (m, 2h, w)
                gy = ud[:, :h].div_(ud[:, h:]).log_()
                lr = torch.matmul(torch.matmul(gauss_h, p), halves_w)  # (m, h, 2w)
                gx = lr[:, :, :w].div_(lr[:, :, w:]).log_()
                yield slice(n0, n0 + m), k, gx, gy

    def _gradients(self, x):
        """Yield ``(rows, k, g_x, g_y)``: the gradients, (m, H, W) float32, of radius index k
        for the images ``rows`` of the (B*C, H, W) stack of ``x`` (float32 (B, C, H, W)).
        The tensors may be reused buffers, to be consumed before the next one."""
        b, c, h, w = x.shape
        big = max(self.radii)
        per_image = 40 * (h + 2 * big + 1) * (w + 2 * big + 1)  # bytes of working set
        budget = _CHUNK_BYTES if x.device.type == 'cpu' else _CHUNK_BYTES_ACCELERATOR
        step = max(1, budget // per_image)
        images = x.reshape(b * c, h, w)
        if self.window == 'gaussian':
            return self._gaussian_gradients(images, step)
        return self._box_gradients(images, step)

    @float32_no_autocast
    def ratio_gradients(self, x):
        """``(g_x, g_y)``, each float32 (B, C, len(radii), H, W), of (B, C, H, W) images."""
        x = check_input(x, 1)
        b, c, h, w = x.shape
        gx = x.new_empty((b * c, len(self.radii), h, w))
        gy = torch.empty_like(gx)
        for rows, k, grad_x, grad_y in self._gradients(x):
            gx[rows, k], gy[rows, k] = grad_x, grad_y
        return gx.view(b, c, -1, h, w), gy.view(b, c, -1, h, w)

    @float32_no_autocast
    def feature_maps(self, x):
        """Gradient magnitudes (B, C*len(radii), H, W), channel-major, of (B, C, H, W) images."""
        x = check_input(x, 1)
        b, c, h, w = x.shape
        out = x.new_empty((b * c, len(self.radii), h, w))
        for rows, k, gx, gy in self._gradients(x):
            torch.hypot(gx, gy, out=out[rows, k])
        return out.view(b, c * len(self.radii), h, w)

    def extra_repr(self):
        return (f'radii={self.radii}, window={self.window!r}, eps={self.eps}, '
                f'patch_size={self.patch_size}, norm_per_patch={self.norm_per_patch}')
