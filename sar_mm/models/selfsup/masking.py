"""Local window masking of a patch grid, as in LoMaR and SAR-JEPA.

LoMaR (Chen et al., "Efficient Self-supervised Vision Pretraining with Local Masked
Reconstruction", arXiv:2206.00790) and SAR-JEPA (Li et al., ISPRS J. Photogramm. Remote Sens.,
2024) do not mask the whole image: they cut a few small windows of ``window_size x window_size``
patches out of the patch grid, mask a fixed number of patches inside each window, and let the
encoder see one window at a time.

Patches are numbered in row-major order over the grid of ``(grid_h, grid_w)`` patches, the order
of a ViT patch embedding (``index = row * grid_w + col``). Inside a window the patches are listed
in row-major order too, so window element ``k`` is at window row ``k // window_size`` and column
``k % window_size``.

Two ways of placing the windows:

* ``'per_sample'`` (:func:`sample_window_positions`): every sample draws its own ``num_windows``
  corners, uniformly and independently (windows may overlap);
* ``'per_batch'`` (:func:`sample_batch_window_positions`), SAR-JEPA's reference code
  (``Pretraining/models_lomar.py``, ``forward_encoder``): one set of corners for the whole batch,
  ``tops = randperm(grid_h - S + 1)[:num_windows]`` and ``lefts = randperm(grid_w - S + 1)
  [:num_windows]``, window ``n`` at ``(tops[n], lefts[n])``; no two windows share a top row or
  a left column, and only ``min(num_windows, grid_h - S + 1, grid_w - S + 1)`` windows fit
  (2, not 4, for 7 x 7 windows on the 8 x 8 grid of 128 px with 16-px patches).

The number of masked patches of a window is ``mask_ratio * S*S`` rounded half up
(``rounding='half_up'``) or truncated as the reference does (``'floor'``,
``int(S * S * mask_ratio)``); both give 39 of 49 for the defaults, 13 and 12 of 16 for 4 x 4
windows at 0.8.

All functions are pure: randomness comes only from the optional ``torch.Generator``, so a seeded
generator gives the same windows and masks on every machine. Draws are made on the generator's
device (the CPU for a default generator) and the results moved to ``device``. Without a
generator, ``'per_batch'`` makes the reference's draws in the reference's order
(``randperm``, ``randperm``, then ``rand(B, N, S*S)`` for the masks) on torch's global
generator.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch

GridSize = Union[int, Sequence[int]]
WINDOW_SAMPLINGS = ('per_sample', 'per_batch')
MASK_COUNT_ROUNDINGS = ('half_up', 'floor')


def _grid_hw(grid_size: GridSize) -> Tuple[int, int]:
    if isinstance(grid_size, int):
        return grid_size, grid_size
    grid_h, grid_w = (int(s) for s in grid_size)
    return grid_h, grid_w


def _check_windows(grid_size: GridSize, num_windows: int, window_size: int) -> Tuple[int, int]:
    """The grid (height, width), after checking that ``num_windows`` windows of
    ``window_size`` patches can be drawn on it."""
    grid_h, grid_w = _grid_hw(grid_size)
    if window_size < 1 or window_size > min(grid_h, grid_w):
        raise ValueError(f'window_size={window_size} does not fit the {grid_h}x{grid_w} patch '
                         'grid')
    if num_windows < 1:
        raise ValueError(f'num_windows must be >= 1, got {num_windows}')
    return grid_h, grid_w


def _draw_device(generator: Optional[torch.Generator], device) -> torch.device:
    if generator is not None:
        return generator.device
    return torch.device(device) if device is not None else torch.device('cpu')


def _check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f'masking.py: {name} must be one of {list(choices)}, got {value!r}')
    return value


def num_masked_per_window(window_size: int, mask_ratio: float, rounding: str = 'half_up') -> int:
    """Number of masked patches in a window: ``mask_ratio * window_size**2``, rounded.

    Args:
        window_size (int): Window side in patches.
        mask_ratio (float): Fraction of the window's patches to mask.
        rounding (str): ``'half_up'`` (default) or ``'floor'``: the reference's
            ``int(window_size * window_size * mask_ratio)``, the same float expression.

    Returns:
        int: Between 1 and ``window_size**2 - 1``.

    Raises:
        ValueError: When the rounded count leaves no masked or no visible patch.
    """
    _check_choice('rounding', rounding, MASK_COUNT_ROUNDINGS)
    num_patches = window_size * window_size
    if rounding == 'floor':
        num_masked = int(window_size * window_size * mask_ratio)
    else:
        # half up (not Python's half-to-even round); the 1e-9 absorbs float error (0.7*49)
        num_masked = int(math.floor(mask_ratio * num_patches + 0.5 + 1e-9))
    if not 1 <= num_masked <= num_patches - 1:
        raise ValueError(
            f'mask_ratio={mask_ratio} masks {num_masked} of the {num_patches} patches of a '
            f'{window_size}x{window_size} window; at least one patch must be masked and one '
            'visible')
    return num_masked


def sample_window_positions(batch_size: int,
                            grid_size: GridSize,
                            num_windows: int = 4,
                            window_size: int = 7,
                            generator: Optional[torch.Generator] = None,
                            device=None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Top-left corners of ``num_windows`` windows per sample, uniformly inside the grid.

    Each corner is drawn independently for each sample and window, so windows of a sample may
    overlap.

    Args:
        batch_size (int): Number of samples B.
        grid_size (int | tuple[int, int]): Patch grid ``(grid_h, grid_w)`` (or a square side).
        num_windows (int): Windows per sample. Defaults to 4.
        window_size (int): Window side in patches. Defaults to 7.
        generator (torch.Generator, optional): Source of randomness.
        device (torch.device | str, optional): Device of the result.

    Returns:
        tuple[Tensor, Tensor]: ``tops`` and ``lefts``, int64 of shape (B, num_windows), with
        ``0 <= tops <= grid_h - window_size`` and ``0 <= lefts <= grid_w - window_size``.
    """
    grid_h, grid_w = _check_windows(grid_size, num_windows, window_size)
    draw_device = _draw_device(generator, device)
    shape = (batch_size, num_windows)
    tops = torch.randint(
        0, grid_h - window_size + 1, shape, generator=generator, device=draw_device)
    lefts = torch.randint(
        0, grid_w - window_size + 1, shape, generator=generator, device=draw_device)
    return tops.to(device or draw_device), lefts.to(device or draw_device)


def sample_batch_window_positions(grid_size: GridSize,
                                  num_windows: int = 4,
                                  window_size: int = 7,
                                  generator: Optional[torch.Generator] = None,
                                  device=None) -> Tuple[torch.Tensor, torch.Tensor]:
    """One set of window corners for a whole batch, drawn as SAR-JEPA's reference code does.

    ``tops = randperm(grid_h - window_size + 1)[:num_windows]``, then ``lefts =
    randperm(grid_w - window_size + 1)[:num_windows]`` (Li et al., ISPRS J. 2024, code
    ``Pretraining/models_lomar.py``); window ``n`` has its top-left patch at ``(tops[n],
    lefts[n])``. Tops are distinct, and so are lefts. When fewer than ``num_windows`` rows (or
    columns) are admissible, only ``min(num_windows, grid_h - window_size + 1, grid_w -
    window_size + 1)`` windows are returned, as in the reference (which needs a square grid;
    here both lists are cut to the shorter one).

    Args:
        grid_size (int | tuple[int, int]): Patch grid ``(grid_h, grid_w)`` (or a square side).
        num_windows (int): Windows wanted. Defaults to 4.
        window_size (int): Window side in patches. Defaults to 7.
        generator (torch.Generator, optional): Source of randomness.
        device (torch.device | str, optional): Device of the result.

    Returns:
        tuple[Tensor, Tensor]: ``tops`` and ``lefts``, int64 of shape (N',), N' as above.
    """
    grid_h, grid_w = _check_windows(grid_size, num_windows, window_size)
    draw_device = _draw_device(generator, device)
    tops = torch.randperm(
        grid_h - window_size + 1, generator=generator, device=draw_device)[:num_windows]
    lefts = torch.randperm(
        grid_w - window_size + 1, generator=generator, device=draw_device)[:num_windows]
    count = min(len(tops), len(lefts))
    return tops[:count].to(device or draw_device), lefts[:count].to(device or draw_device)


def num_batch_windows(grid_size: GridSize, num_windows: int, window_size: int) -> int:
    """Windows :func:`sample_batch_window_positions` places: ``min(num_windows, grid_h - S + 1,
    grid_w - S + 1)``."""
    grid_h, grid_w = _grid_hw(grid_size)
    return max(0, min(num_windows, grid_h - window_size + 1, grid_w - window_size + 1))


def window_patch_indices(tops: torch.Tensor, lefts: torch.Tensor, grid_size: GridSize,
                         window_size: int) -> torch.Tensor:
    """Row-major grid indices of the patches of each window.

    Args:
        tops (Tensor): Window top rows, int64 (B, N).
        lefts (Tensor): Window left columns, int64 (B, N).
        grid_size (int | tuple[int, int]): Patch grid ``(grid_h, grid_w)``.
        window_size (int): Window side S in patches.

    Returns:
        Tensor: int64 (B, N, S*S); element ``[b, n, r*S + c]`` is the grid index of the patch at
        row ``tops[b, n] + r`` and column ``lefts[b, n] + c``.
    """
    _, grid_w = _grid_hw(grid_size)
    offsets = torch.arange(window_size, device=tops.device)
    rows = tops[..., None] + offsets  # (B, N, S)
    cols = lefts[..., None] + offsets  # (B, N, S)
    indices = rows[..., :, None] * grid_w + cols[..., None, :]  # (B, N, S, S)
    return indices.flatten(-2)


def sample_window_masks(batch_size: int,
                        num_windows: int = 4,
                        window_size: int = 7,
                        mask_ratio: float = 0.8,
                        generator: Optional[torch.Generator] = None,
                        device=None,
                        rounding: str = 'half_up') -> torch.Tensor:
    """Boolean masks with exactly ``num_masked_per_window`` True entries in each window.

    Args:
        batch_size (int): Number of samples B.
        num_windows (int): Windows per sample N. Defaults to 4.
        window_size (int): Window side S in patches. Defaults to 7.
        mask_ratio (float): Fraction of each window to mask. Defaults to 0.8.
        generator (torch.Generator, optional): Source of randomness.
        device (torch.device | str, optional): Device of the result.
        rounding (str): Masked count rounding, see :func:`num_masked_per_window`.

    Returns:
        Tensor: bool (B, N, S*S), True where a patch is masked (replaced by the mask token and
        predicted); each window gets its own random subset: the ``num_masked`` smallest of
        ``rand(B, N, S*S)`` (the reference's ``argsort(noise)[..., :num_masked]``).
    """
    num_patches = window_size * window_size
    num_masked = num_masked_per_window(window_size, mask_ratio, rounding)
    draw_device = _draw_device(generator, device)
    noise = torch.rand(
        batch_size, num_windows, num_patches, generator=generator, device=draw_device)
    masked_ids = noise.argsort(dim=-1)[..., :num_masked]  # (B, N, num_masked)
    mask = torch.zeros(batch_size, num_windows, num_patches, dtype=torch.bool, device=draw_device)
    mask.scatter_(-1, masked_ids, True)
    return mask.to(device or draw_device)


def local_window_masking(batch_size: int,
                         grid_size: GridSize,
                         num_windows: int = 4,
                         window_size: int = 7,
                         mask_ratio: float = 0.8,
                         generator: Optional[torch.Generator] = None,
                         device=None,
                         sampling: str = 'per_sample',
                         rounding: str = 'half_up') -> Tuple[torch.Tensor, torch.Tensor]:
    """Random windows of a patch grid and the masked patches inside each (LoMaR masking).

    With ``sampling='per_sample'``, ``num_windows`` windows of ``window_size x window_size``
    patches are placed per sample at independent uniform positions inside the grid; with
    ``'per_batch'`` all samples share the corners of :func:`sample_batch_window_positions`
    (possibly fewer than ``num_windows``). In each window exactly
    ``num_masked_per_window(window_size, mask_ratio, rounding)`` patches (39 of 49 for the
    defaults) are masked, a subset of its own for every sample and window.

    Args:
        batch_size (int): Number of samples B.
        grid_size (int | tuple[int, int]): Patch grid ``(grid_h, grid_w)`` (or a square side).
        num_windows (int): Windows per sample N. Defaults to 4.
        window_size (int): Window side S in patches. Defaults to 7.
        mask_ratio (float): Fraction of each window to mask. Defaults to 0.8.
        generator (torch.Generator, optional): Source of randomness; seed it for repeatable
            draws. Defaults to torch's global generator.
        device (torch.device | str, optional): Device of the results.
        sampling (str): ``'per_sample'`` (default) or ``'per_batch'`` (the reference's).
        rounding (str): ``'half_up'`` (default) or ``'floor'`` (the reference's), see
            :func:`num_masked_per_window`.

    Returns:
        tuple[Tensor, Tensor]:

        - ``indices``: int64 (B, N, S*S), row-major grid indices of each window's patches
          (see :func:`window_patch_indices`);
        - ``mask``: bool (B, N, S*S), True for the masked patches.
    """
    _check_choice('sampling', sampling, WINDOW_SAMPLINGS)
    num_masked_per_window(window_size, mask_ratio, rounding)  # refuse a bad ratio before drawing
    if sampling == 'per_batch':
        tops, lefts = sample_batch_window_positions(grid_size, num_windows, window_size, generator,
                                                    device)
        indices = window_patch_indices(tops[None], lefts[None], grid_size, window_size)
        indices = indices.expand(batch_size, -1, -1)  # (B, N', S*S), shared by the samples
        num_windows = indices.shape[1]
    else:
        tops, lefts = sample_window_positions(batch_size, grid_size, num_windows, window_size,
                                              generator, device)
        indices = window_patch_indices(tops, lefts, grid_size, window_size)
    mask = sample_window_masks(batch_size, num_windows, window_size, mask_ratio, generator, device,
                               rounding)
    return indices, mask
