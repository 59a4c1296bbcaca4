"""SARGradientTarget (summed-area tables) against dense box convolutions of the same features.

    python benchmarks/sar_gradient_target.py [--batch 32] [--size 224] [--runs 7] [--threads 2]

Both compute, on a (batch, 1, size, size) speckled amplitude batch and radii (5, 9, 13, 17), the
ratio-gradient magnitudes of SAR-JEPA (see sar_mm/models/target_generators/sar_gradient.py):
  fast:  SARGradientTarget(window='box').feature_maps - float64 summed-area table, a fixed
         number of subtractions per radius;
  dense: per radius, conv2d of the reflect-padded image with an all-ones (r+1) x (2r+1) kernel
         (its rows i and i + r are the up and down window sums of pixel i) and a (2r+1) x (r+1)
         one (left/right), then the same logs: cost grows with r^2.
Prints the median time of each over --runs interleaved runs after warm-up, the speed-up
(goal: at least 10x) and the max abs difference between the two (must be at most 1e-4; the
script exits with status 1 otherwise).
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

RADII = (5, 9, 13, 17)
EPS = 0.01


@torch.no_grad()
def dense_features(x, radii=RADII, eps=EPS):
    """The SAR-JEPA ratio-gradient magnitudes (B, C*len(radii), H, W) by dense convolutions."""
    b, c, h, w = x.shape
    y = x.reshape(b * c, 1, h, w).clamp(min=0) + eps
    out = []
    for r in radii:
        p = F.pad(y, (r, r, r, r), mode='reflect')
        vert = F.conv2d(p, y.new_ones((1, 1, r + 1, 2 * r + 1)))  # (n, 1, h + r, w)
        gy = torch.log(vert[:, :, :h] / vert[:, :, r:r + h])
        horiz = F.conv2d(p, y.new_ones((1, 1, 2 * r + 1, r + 1)))  # (n, 1, h, w + r)
        gx = torch.log(horiz[..., :w] / horiz[..., r:r + w])
        out.append(torch.hypot(gx, gy))
    return torch.cat(out, dim=1).reshape(b, c * len(radii), h, w)


def speckled_batch(batch, size, seed=0):
    """Positive amplitudes: smooth scene with bright rectangles, times Rayleigh speckle."""
    g = torch.Generator().manual_seed(seed)
    scene = 1.0 + torch.rand(batch, 1, size // 16, size // 16, generator=g) * 4
    scene = F.interpolate(scene, size=(size, size), mode='nearest')
    speckle = torch.sqrt(-2 * torch.log(torch.rand(batch, 1, size, size, generator=g)))
    return scene * speckle


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from sar_mm.models.target_generators import SARGradientTarget
    gen = SARGradientTarget(radii=RADII, window='box', eps=EPS)
    x = speckled_batch(args.batch, args.size)
    for _ in range(args.warmup):
        fast, dense = gen.feature_maps(x), dense_features(x)
    times = dict(fast=[], dense=[])
    for _ in range(args.runs):  # interleaved, so load changes hit both alike
        for name, fn in (('fast', gen.feature_maps), ('dense', dense_features)):
            start = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - start)
    fast_ms = 1e3 * statistics.median(times['fast'])
    dense_ms = 1e3 * statistics.median(times['dense'])
    diff = (fast - dense).abs().max().item()
    print(f'input {args.batch}x1x{args.size}x{args.size}, radii {RADII}, '
          f'{torch.get_num_threads()} threads, median of {args.runs} runs')
    print(f'SARGradientTarget (summed-area table): {fast_ms:8.1f} ms')
    print(f'dense conv2d box windows:              {dense_ms:8.1f} ms')
    print(f'speed-up: {dense_ms / fast_ms:.1f}x (goal >= 10x)')
    print(f'max abs difference: {diff:.2e} (must be <= 1e-4)')
    return 0 if diff <= 1e-4 else 1


if __name__ == '__main__':
    sys.exit(main())
