"""SAR knowledge points (SAR-KP): entropy of a Gaussian input perturbation and KP selection.

Definitions re-derived from Cheng, Rao, Chen, Zhang, "Explaining knowledge distillation by
quantifying the knowledge", CVPR 2020 (arXiv:2003.03622), as used by SAR-HUB (Huang et al.,
"SAR-HUB / Progress and Perspectives of SAR pre-training ...", Remote Sens. 15(23):5534, 2023).

**Perturbation.** The image ``x`` (B, C, H, W), as the explained backbone receives it (after the
data preprocessor's normalisation, so ``sigma`` is in units of the normalised input), is split
into cells of ``cell_size x cell_size`` pixels. Each cell ``c`` has one noise scale
``sigma_c`` shared by its pixels and channels, and ``x~ = x + sigma (.) eps`` with
``eps ~ N(0, I)`` drawn per pixel and channel (reparameterised, so ``sigma`` gets gradients).

**Entropy.** A Gaussian of std ``sigma`` has differential entropy
``H = log sigma + 1/2 log(2 pi e)`` nats; :func:`cell_entropy` gives it per cell.

**Objective** (per image, minimised over ``log sigma``)::

    L = E_eps ||F(x~) - F(x)||^2 / v  -  alpha * mean_cells(H)

``F`` is a frozen intermediate feature of the explained model, ``||.||^2`` the sum of squares
over all its elements and ``v`` a feature-variance normaliser computed from the clean features
(:func:`feature_variance`): the population variance of the elements of ``F(x)``, of each image
(``'image'``) or of the whole batch (``'batch'``, as the SAR-HUB code), floored at ``1e-12``
and never differentiated. Over a batch the per-image losses are averaged, so ``alpha`` is a
weight *per image* and does not depend on the batch size.

*Relation to the SAR-HUB code.* It minimises ``(1/v)(1/B) sum_b ||dF_b||^2 - a sum_b sum_cells
H_b`` with ``a = 0.25``, batch ``B = 32`` and ``N = 16 x 16`` cells, i.e. per image
``||dF_b||^2 / v - (a * B * N) * mean_cells(H_b)``: our ``alpha = a * B * N = 2048``
(:data:`REFERENCE_ALPHA`) gives the same optimum.

*Linear check.* For ``F(x) = W x`` and independent noise,
``E ||W delta||^2 = sum_c sigma_c^2 ||W_c||_F^2`` (``W_c`` the columns of the cell's pixels and
channels), so ``L = sum_c sigma_c^2 ||W_c||^2 / v - (alpha / N) sum_c log sigma_c + const`` and
``dL/dsigma_c = 0`` gives ``sigma_c^2 = alpha v / (2 N ||W_c||^2)`` (times ``S`` with
``sample_mode='mean_input'``, whose noise has std ``sigma / sqrt(S)``).

**Samples** (``sample_mode``): ``'mean_loss'`` (Cheng) averages the feature term over
``num_samples`` independent noise draws; ``'mean_input'`` (the SAR-HUB code) averages ``S`` noise
draws in the input before one forward pass, i.e. one draw of std ``sigma / sqrt(S)``, which is how
it is drawn here. It shifts every ``H`` by ``log sqrt(S)`` and leaves the KPs unchanged.

**Knowledge points.** Each cell is labelled background (0), target (1) or shadow (2). With
``Hbar_bg`` the mean of ``H`` over the image's background cells, cell ``k`` is a knowledge point
when ``Hbar_bg - H_k > b`` (default ``b = 0.3``): the network tolerates clearly less noise there
than on the background. Adding a constant to ``H`` changes nothing, and the KP set shrinks as
``b`` grows. The foreground ratio is ``lambda = N_fg / (N_fg + N_bg)`` with
``N_fg = N_target + N_shadow``.
"""
import math

import numpy as np
import torch

#: 1/2 log(2 pi e): the entropy of a unit Gaussian in nats.
GAUSSIAN_ENTROPY_OFFSET = 0.5 * math.log(2 * math.pi * math.e)
#: ``alpha`` (per image, on the cell mean of H) equal to the SAR-HUB code's weight 0.25 on the
#: sum of H over a batch of 32 images of 16 x 16 cells: 0.25 * 32 * 256.
REFERENCE_ALPHA = 0.25 * 32 * 256
#: Cell labels.
BACKGROUND, TARGET, SHADOW = 0, 1, 2
#: The thresholds ``b`` reported by default (SAR-HUB's figure shows these four).
DEFAULT_THRESHOLDS = (0.25, 0.3, 0.4, 0.5)
SAMPLE_MODES = ('mean_loss', 'mean_input')
VARIANCE_MODES = ('image', 'batch')

# Colours (RGB) of the KP overlay, SAR-HUB's palette (its code writes them in OpenCV BGR).
KP_COLOURS = {
    'kp_target': (255, 99, 71),  # tomato
    'kp_shadow': (154, 205, 50),  # yellow-green
    'kp_background': (135, 206, 250),  # light sky blue
    'target': (211, 211, 211),  # grey
    'shadow': (224, 238, 238),  # BGR (238, 238, 224)
    'background': (255, 255, 255),
}


class NoBackgroundCellsError(ValueError):
    """An image has no background cell, so the KP reference ``mean(H over background)`` is
    undefined."""


def cell_entropy(log_sigma):
    """Entropy ``H = log sigma + 1/2 log(2 pi e)`` (nats) of each cell's Gaussian noise.

    Args:
        log_sigma (Tensor | np.ndarray): ``log sigma`` of each cell, any shape.

    Returns:
        Same type and shape as ``log_sigma``.
    """
    return log_sigma + GAUSSIAN_ENTROPY_OFFSET


def check_cell_grid(height, width, cell_size, what='the image'):
    """``(rows, cols)`` of the cell grid; raises when the size is not a multiple of the cell.

    Args:
        height (int): Image height.
        width (int): Image width.
        cell_size (int): Cell side in pixels.
        what (str): Name of the image for the error message (e.g. its file).
    """
    if cell_size < 1:
        raise ValueError(f'cell_size must be >= 1, got {cell_size}')
    if height % cell_size or width % cell_size:
        raise ValueError(
            f'{what}: image size {height}x{width} is not a multiple of the cell size '
            f'{cell_size} (setting cell_size / --cell); crop or resize the image to a multiple '
            f'of {cell_size}, e.g. {height - height % cell_size}x{width - width % cell_size}')
    return height // cell_size, width // cell_size


def cells_to_pixels(cell_map, cell_size):
    """Nearest-neighbour upsampling of a cell map ``(B, 1, gh, gw)`` to ``(B, 1, gh*s, gw*s)``."""
    return cell_map.repeat_interleave(cell_size, dim=2).repeat_interleave(cell_size, dim=3)


def perturb(inputs, log_sigma, cell_size, num_samples=1, sample_mode='mean_loss', generator=None):
    """Add cell-wise Gaussian noise of std ``exp(log_sigma)`` to ``inputs`` (reparameterised).

    Args:
        inputs (Tensor): ``(B, C, H, W)``.
        log_sigma (Tensor): ``(B, 1, H / cell_size, W / cell_size)``.
        cell_size (int): Cell side in pixels.
        num_samples (int): ``S``, noise draws per image.
        sample_mode (str): ``'mean_loss'``: ``S`` independent perturbed copies, returned as
            ``(S * B, C, H, W)`` (sample-major: copy ``s`` of image ``b`` at ``s * B + b``);
            ``'mean_input'``: the mean of ``S`` draws, i.e. one draw of std ``sigma/sqrt(S)``,
            ``(B, C, H, W)``.
        generator (torch.Generator, optional): Source of the noise.

    Returns:
        Tensor: the perturbed inputs.
    """
    if sample_mode not in SAMPLE_MODES:
        raise ValueError(f'sample_mode must be one of {SAMPLE_MODES}, got {sample_mode!r}')
    if num_samples < 1:
        raise ValueError(f'num_samples must be >= 1, got {num_samples}')
    b, _, h, w = inputs.shape
    gh, gw = check_cell_grid(h, w, cell_size)
    if tuple(log_sigma.shape) != (b, 1, gh, gw):
        raise ValueError(f'log_sigma must be {(b, 1, gh, gw)} for inputs {tuple(inputs.shape)} '
                         f'and cell_size {cell_size}, got {tuple(log_sigma.shape)}')
    sigma = cells_to_pixels(log_sigma.exp(), cell_size)  # (B, 1, H, W), shared over channels
    if sample_mode == 'mean_input':
        eps = torch.randn(
            inputs.shape, generator=generator, device=inputs.device, dtype=inputs.dtype)
        return inputs + sigma * eps / math.sqrt(num_samples)
    eps = torch.randn(
        (num_samples, ) + tuple(inputs.shape),
        generator=generator,
        device=inputs.device,
        dtype=inputs.dtype)
    noisy = inputs.unsqueeze(0) + sigma.unsqueeze(0) * eps  # (S, B, C, H, W)
    return noisy.flatten(0, 1)


def feature_variance(features, mode='image', floor=1e-12):
    """The normaliser ``v``: population variance of the clean features' elements, detached.

    Args:
        features (Tensor): ``(B, ...)`` clean features ``F(x)``.
        mode (str): ``'image'``: one ``v`` per image, over its elements; ``'batch'``: one ``v``
            over every element of the batch (the SAR-HUB code), repeated per image.
        floor (float): Lower bound, so constant features give ``v = floor`` (and a zero
            feature term) instead of a division by zero.

    Returns:
        Tensor: ``(B,)``.
    """
    if mode not in VARIANCE_MODES:
        raise ValueError(f'feature_variance mode must be one of {VARIANCE_MODES}, got {mode!r}')
    flat = features.detach().flatten(1).float()  # (B, M)
    if mode == 'image':
        v = flat.var(dim=1, unbiased=False)
    else:
        v = flat.var(unbiased=False).expand(flat.shape[0])
    return v.clamp_min(floor)


def kp_objective(feature_fn,
                 inputs,
                 log_sigma,
                 cell_size,
                 alpha,
                 num_samples=1,
                 sample_mode='mean_loss',
                 variance='image',
                 generator=None,
                 clean_features=None):
    """Per-image terms of the SAR-KP objective (see the module docstring).

    Args:
        feature_fn (callable): ``x -> F(x)`` (B, ...), the frozen explained feature.
        inputs (Tensor): ``(B, C, H, W)`` clean inputs.
        log_sigma (Tensor): ``(B, 1, gh, gw)``.
        cell_size (int): Cell side in pixels.
        alpha (float): Weight of the mean cell entropy, per image.
        num_samples (int): Noise draws ``S``.
        sample_mode (str): ``'mean_loss'`` or ``'mean_input'`` (:func:`perturb`).
        variance (str): ``'image'`` or ``'batch'`` (:func:`feature_variance`).
        generator (torch.Generator, optional): Noise source.
        clean_features (Tensor, optional): ``F(inputs)`` if already computed.

    Returns:
        dict: ``feature`` (B,) ``E||F(x~) - F(x)||^2 / v``, ``entropy`` (B,) ``mean_cells(H)``,
        ``loss`` (B,) ``feature - alpha * entropy`` and ``v`` (B,).
    """
    clean = clean_features
    if clean is None:
        with torch.no_grad():
            clean = feature_fn(inputs)  # (B, ...)
    clean = clean.detach()
    v = feature_variance(clean, variance)
    noisy = feature_fn(perturb(inputs, log_sigma, cell_size, num_samples, sample_mode, generator))
    b = inputs.shape[0]
    if sample_mode == 'mean_loss':
        sq = (noisy.reshape(num_samples, b, -1) - clean.reshape(1, b, -1)).pow(2).sum(-1)
        feature = sq.mean(0) / v  # (B,)
    else:
        feature = (noisy.reshape(b, -1) - clean.reshape(b, -1)).pow(2).sum(-1) / v
    entropy = cell_entropy(log_sigma).flatten(1).mean(1)  # (B,)
    return dict(feature=feature, entropy=entropy, loss=feature - alpha * entropy, v=v)


# --------------------------------------------------------------------------- KP selection
def _as_numpy(a):
    if torch.is_tensor(a):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def select_knowledge_points(entropy, labels, b=0.3, name='the image'):
    """Boolean map of the knowledge points: cells with ``mean(H over background) - H > b``.

    Args:
        entropy (np.ndarray | Tensor): ``(gh, gw)`` cell entropies ``H``.
        labels (np.ndarray | Tensor): ``(gh, gw)`` cell labels (0 background, 1 target,
            2 shadow), e.g. from :func:`sar_mm.datasets.transforms.foreground.cell_labels`.
        b (float): Threshold in nats. Defaults to 0.3.
        name (str): The image's name for error messages.

    Returns:
        np.ndarray: ``(gh, gw)`` bool.

    Raises:
        NoBackgroundCellsError: no cell is labelled background.
    """
    h, lab = _as_numpy(entropy).astype(np.float64), _as_numpy(labels)
    if h.shape != lab.shape:
        raise ValueError(f'{name}: entropy map {h.shape} and cell labels {lab.shape} differ')
    background = lab == BACKGROUND
    if not background.any():
        raise NoBackgroundCellsError(
            f'{name}: no background cell (all {lab.size} cells are target or shadow), so the '
            'knowledge-point reference mean(H over background) is undefined; use smaller '
            'target/shadow masks or boxes, a larger image, or a smaller cell size')
    return (h[background].mean() - h) > b


def count_knowledge_points(entropy, labels, thresholds=DEFAULT_THRESHOLDS, name='the image'):
    """KP counts and ratios of one image for each threshold ``b``.

    Args:
        entropy (np.ndarray | Tensor): ``(gh, gw)`` cell entropies.
        labels (np.ndarray | Tensor): ``(gh, gw)`` cell labels.
        thresholds (Sequence[float]): Values of ``b``.
        name (str): The image's name for error messages.

    Returns:
        dict[float, dict]: per ``b``: ``num_target``, ``num_shadow``, ``num_background``,
        ``num_foreground`` (int), ``fg_ratio`` ``N_fg / (N_fg + N_bg)`` and ``target_ratio``
        ``N_target / (N_fg + N_bg)`` (NaN when the image has no KP), ``target_margin`` and
        ``shadow_margin`` (mean of ``mean(H_bg) - H`` over target / shadow cells, NaN if none).
    """
    lab = _as_numpy(labels)
    h = _as_numpy(entropy).astype(np.float64)
    out = {}
    for b in thresholds:
        kp = select_knowledge_points(h, lab, b, name)
        n_t = int((kp & (lab == TARGET)).sum())
        n_s = int((kp & (lab == SHADOW)).sum())
        n_b = int((kp & (lab == BACKGROUND)).sum())
        total = n_t + n_s + n_b
        margin = h[lab == BACKGROUND].mean() - h
        out[float(b)] = dict(
            num_target=n_t,
            num_shadow=n_s,
            num_background=n_b,
            num_foreground=n_t + n_s,
            fg_ratio=(n_t + n_s) / total if total else float('nan'),
            target_ratio=n_t / total if total else float('nan'),
            target_margin=float(margin[lab == TARGET].mean()) if
            (lab == TARGET).any() else float('nan'),
            shadow_margin=float(margin[lab == SHADOW].mean()) if
            (lab == SHADOW).any() else float('nan'))
    return out


def kp_colour_map(labels, kp):
    """RGB uint8 ``(gh, gw, 3)`` map of a KP set in SAR-HUB's palette (:data:`KP_COLOURS`).

    Args:
        labels (np.ndarray): ``(gh, gw)`` cell labels.
        kp (np.ndarray): ``(gh, gw)`` bool knowledge points.
    """
    lab, kp = _as_numpy(labels), _as_numpy(kp).astype(bool)
    out = np.empty(lab.shape + (3, ), np.uint8)
    for value, region in ((BACKGROUND, 'background'), (TARGET, 'target'), (SHADOW, 'shadow')):
        out[(lab == value) & ~kp] = KP_COLOURS[region]
        out[(lab == value) & kp] = KP_COLOURS[f'kp_{region}']
    return out
