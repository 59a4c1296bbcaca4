"""SAR-JEPA on the CPU: target generator speed, training-step throughput and share of peak.

    python benchmarks/sar_jepa.py [--threads 2] [--steps 10] [--batch 16] [--warmup 2]
                                  [--skip-target]

Prints, all measured in the same run (timings are noisy when other processes share the CPU):
  (1) SARGradientTarget (summed-area tables) against dense box convolutions on a 32x1x224x224
      speckled batch (functions of benchmarks/sar_gradient_target.py): both median times,
      the speed-up (goal >= 10x) and the max abs difference (must be <= 1e-4). --skip-target
      skips this part.
  (2) images/s of one full SARJEPA training step (loss forward, backward, AdamW step) with a
      single-channel ViT-S/16 (384 dims, 12 layers, 6 heads, FFN 1536) at 128 px (8x8 patch
      grid), the model defaults (4 windows of 7x7 patches, 80 % masked, predictor width 512,
      depth 8) and the SARGradientTarget of the paper; median over --steps timed steps after
      --warmup steps, on speckled amplitudes. Also the share of the step spent in the target
      generator's forward (timed inside the step; goal < 3 %).
  (3) achieved GFLOP/s of the step (FLOPs of one step counted by FlopCounterMode / median
      step time) against this machine's fp32 matmul GFLOP/s (2048x2048 torch.matmul, median
      of several reps, same thread count): the fraction of peak.
"""
import argparse
import logging
import statistics
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

# benchmarks/sar_gradient_target.py: Python puts the script's own folder first on sys.path
from sar_gradient_target import EPS, RADII, dense_features, speckled_batch

IMG = 128
VIT_S = dict(embed_dims=384, num_layers=12, num_heads=6, feedforward_channels=1536)


def bench_target(runs=5, warmup=1):
    """Part (1): median ms of the summed-area-table and dense versions, and their max diff."""
    from sar_mm.models.target_generators import SARGradientTarget
    gen = SARGradientTarget(radii=RADII, window='box', eps=EPS)
    x = speckled_batch(32, 224)
    for _ in range(warmup):
        fast, dense = gen.feature_maps(x), dense_features(x)
    times = dict(fast=[], dense=[])
    for _ in range(runs):  # interleaved, so load changes hit both alike
        for name, fn in (('fast', gen.feature_maps), ('dense', dense_features)):
            start = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - start)
    diff = (fast - dense).abs().max().item()
    return (1e3 * statistics.median(times['fast']), 1e3 * statistics.median(times['dense']), diff)


def build_model():
    from mmengine.logging import MMLogger
    from mmpretrain.registry import MODELS

    import sar_mm  # noqa: F401  (registers SARJEPA and the target generators)
    model = MODELS.build(
        dict(
            type='SARJEPA',
            backbone=dict(
                type='VisionTransformer',
                arch=VIT_S,
                img_size=IMG,
                patch_size=16,
                in_channels=1,
                drop_path_rate=0.,
                norm_cfg=dict(type='LN', eps=1e-6),
                final_norm=True,
                out_type='featmap'),
            target_generator=dict(
                type='SARGradientTarget', radii=RADII, window='box', eps=EPS, patch_size=16),
            # identity normalisation: the network input is the amplitude itself
            data_preprocessor=dict(
                type='SelfSupDataPreprocessor', mean=[0.], std=[1.], to_rgb=False),
            init_cfg=[
                dict(type='Xavier', layer='Linear', distribution='uniform'),
                dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
            ]))
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no per-parameter init log
    model.init_weights()
    model.train()
    return model


def time_target_generator(model):
    """Wrap ``model.target_generator.forward`` to accumulate its wall time in ``acc[0]``."""
    gen, acc = model.target_generator, [0.0]
    inner = gen.forward

    def timed_forward(*args, **kwargs):
        start = time.perf_counter()
        out = inner(*args, **kwargs)
        acc[0] += time.perf_counter() - start
        return out

    gen.forward = timed_forward  # nn.Module.__call__ dispatches to the instance attribute
    return acc


def train_step(model, optimizer, x):
    optimizer.zero_grad(set_to_none=True)
    loss = model.loss(x)['loss']
    loss.backward()
    optimizer.step()
    return loss.item()


def matmul_gflops(n=2048, reps=7):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        torch.matmul(a, b)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--skip-target', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    print(f'SAR-JEPA CPU benchmark, {torch.get_num_threads()} threads, torch {torch.__version__}'
          ' (wall-clock timings: noisy if other processes share the CPU)')
    print(
        '(1) target generator: SARGradientTarget (summed-area table) vs dense conv2d box '
        'windows, 32x1x224x224, radii', RADII)
    print('(2) one SAR-JEPA training step (forward + loss + backward + AdamW) of ViT-S/16 at '
          f'{IMG} px, 1 channel, batch {args.batch}; median of {args.steps} steps after '
          f'{args.warmup} warm-up steps; share of step time in the target generator')
    print('(3) achieved GFLOP/s of that step (FlopCounterMode FLOPs / median step time) vs '
          'measured fp32 2048x2048 matmul GFLOP/s')
    print()

    status = 0
    if not args.skip_target:
        fast_ms, dense_ms, diff = bench_target()
        print('(1) median of 5 interleaved runs')
        print(f'    SARGradientTarget (summed-area table): {fast_ms:8.1f} ms')
        print(f'    dense conv2d box windows:              {dense_ms:8.1f} ms')
        print(f'    speed-up: {dense_ms / fast_ms:.1f}x (goal >= 10x)')
        print(f'    max abs difference: {diff:.2e} (must be <= 1e-4)')
        status = 0 if diff <= 1e-4 else 1

    model = build_model()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
    acc = time_target_generator(model)
    batches = [speckled_batch(args.batch, IMG, seed=s) for s in range(3)]

    # FLOPs of one step; this also serves as the first warm-up step
    with FlopCounterMode(display=False) as counter:
        train_step(model, optimizer, batches[0])
    step_flops = counter.get_total_flops()
    for i in range(args.warmup - 1):
        train_step(model, optimizer, batches[(i + 1) % len(batches)])

    step_times, target_times = [], []
    for i in range(args.steps):
        x = batches[i % len(batches)]
        acc[0] = 0.0
        start = time.perf_counter()
        loss = train_step(model, optimizer, x)
        step_times.append(time.perf_counter() - start)
        target_times.append(acc[0])
    step_s = statistics.median(step_times)
    share = statistics.median(t / s for t, s in zip(target_times, step_times))
    n_params = sum(p.numel() for p in params)
    print(f'(2) ViT-S/16 SAR-JEPA, {n_params / 1e6:.1f} M trainable parameters, '
          f'{model.num_windows} windows of {model.window_size}x{model.window_size} patches, '
          f'{model.num_masked} masked, target D={model.target_dim}, final loss {loss:.4f}')
    print(f'    median step time: {step_s * 1e3:.0f} ms (min {min(step_times) * 1e3:.0f}, '
          f'max {max(step_times) * 1e3:.0f})')
    print(f'    throughput: {args.batch / step_s:.2f} images/s')
    print(f'    target generation: {statistics.median(target_times) * 1e3:.1f} ms per step, '
          f'{100 * share:.2f} % of step time (goal < 3 %)')

    peak = matmul_gflops()
    achieved = step_flops / step_s / 1e9
    print(f'(3) FLOPs per step: {step_flops / 1e9:.1f} GFLOP (FlopCounterMode: forward + '
          'backward matmul/addmm/bmm/conv/attention ops, 2 per multiply-add; no elementwise, '
          'norm, softmax, optimizer or target-generator ops)')
    print(f'    achieved: {achieved:.1f} GFLOP/s; fp32 matmul 2048x2048: {peak:.1f} GFLOP/s; '
          f'fraction of peak: {achieved / peak:.2f}')
    return status


if __name__ == '__main__':
    sys.exit(main())
