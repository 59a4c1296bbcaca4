"""SAR-JEPA on the CPU: target generator speed, sar_mm's training step against the reference's.

    python benchmarks/sar_jepa.py [--reference-dir SAR-JEPA/Pretraining] [--size 224]
        [--arch s] [--batch 8] [--steps 10] [--warmup 1] [--threads 2] [--skip-target]
        [--profile a|b|c] [--quick]

Prints, all measured in the same process (wall-clock timings are noisy when other processes
share the CPU; interleaving the settings step by step makes their ratios fair):
  (1) SARGradientTarget (summed-area tables) against dense box convolutions on a 32x1x224x224
      speckled batch (functions of benchmarks/sar_gradient_target.py): both median times,
      the speed-up (goal >= 10x) and the max abs difference (must be <= 1e-4). --skip-target
      skips this part.
  (2) images/s of one full training step (loss forward, backward, AdamW step) of SAR-JEPA with a
      single-channel ViT (``--arch s``: ViT-S/16, 384 dims, 12 layers, 6 heads, FFN 1536) at
      ``--size`` px (224: a 14x14 patch grid), 4 windows of 7x7 patches, 80 % masked, predictor
      width 512, depth 8, 16 heads, multi-scale gradient targets (radii 5, 9, 13, 17), on
      speckled amplitudes, for three settings timed in turn, step after step (the order
      rotating), median over ``--steps`` steps after ``--warmup`` steps of each:
        (a) sar_mm today: configs/sar_jepa/sar_jepa_vit-base-p16_8xb75-300e_sar-pooled-224px.py
            (fixed sin-cos absolute positions, per-sample windows, masked count rounded half up);
        (b) sar_mm reference-faithful: configs/sar_jepa/
            sar_jepa_vit-base-p16-irpe_8xb75-300e_sar-pooled-224px.py (iRPE in every encoder and
            predictor block, one set of window corners per batch, truncated masked count);
        (c) the reference code's step: ``MaskedAutoencoderViT`` of ``models_lomar.py`` in
            ``--reference-dir`` (the ``Pretraining`` folder of a clone of
            github.com/waterdisappear/SAR-JEPA; nothing of it is copied here, it is imported
            from there, with the stand-ins of tools/analysis_tools/check_sar_jepa_equivalence.py
            for timm 0.3 and easydict when they are missing); skipped with a message without
            ``--reference-dir``.
      Both sar_mm settings are built from their configs with the architecture, image size and
      an identity data preprocessor put in. Printed: images/s of each (from its median step),
      the ratios (b)/(c) (goal >= 1.25) and (a)/(c), and (b)/(a), also from each setting's
      fastest step (less sensitive to other processes); the share of each step spent in the
      target generator (the reference's four dense-convolution ``GF`` modules for (c)).
      All three use the same optimizer, torch's AdamW (lr 1e-4, betas 0.9/0.95, weight decay
      0.05), on the same speckled batches.
  (3) FLOPs of one step of each setting (FlopCounterMode: matmul/addmm/bmm/conv/attention,
      forward and backward; for (c) that includes its dense-convolution targets) and the achieved
      GFLOP/s against this machine's fp32 matmul GFLOP/s (2048x2048 torch.matmul, median of
      several reps, same thread count).
``--profile a|b|c`` then prints torch.profiler's table of the slowest operators over two more
steps of that setting. ``--quick`` runs tiny sizes (64 px, a 2-layer 64-wide ViT, 3x3 windows,
batch 2; the target part on 2x1x64x64): a smoke run, not a measurement.
"""
import argparse
import copy
import importlib.util
import logging
import os.path as osp
import statistics
import sys
import time
from functools import partial

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

try:  # run as a script: Python puts benchmarks/ first on sys.path
    from sar_gradient_target import EPS, RADII, dense_features, speckled_batch
except ImportError:  # imported as benchmarks.sar_jepa (tests)
    from benchmarks.sar_gradient_target import EPS, RADII, dense_features, speckled_batch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(
    a='configs/sar_jepa/sar_jepa_vit-base-p16_8xb75-300e_sar-pooled-224px.py',
    b='configs/sar_jepa/sar_jepa_vit-base-p16-irpe_8xb75-300e_sar-pooled-224px.py')
EQUIVALENCE_TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'check_sar_jepa_equivalence.py')
LABELS = dict(
    a='(a) sar_mm today (sin-cos positions, per-sample windows)',
    b='(b) sar_mm reference-faithful (iRPE, per-batch windows)',
    c='(c) reference MaskedAutoencoderViT (models_lomar.py)')
PATCH = 16  # the reference's predictor head is hard-wired to 4 radii x 16 x 16 = 1024 targets
# encoder architectures (mlp ratio 4, as the reference's blocks)
ARCHS = dict(
    t=dict(embed_dims=192, num_layers=12, num_heads=3),
    s=dict(embed_dims=384, num_layers=12, num_heads=6),
    b=dict(embed_dims=768, num_layers=12, num_heads=12),
    quick=dict(embed_dims=64, num_layers=2, num_heads=2))
PREDICTOR = dict(embed_dims=512, num_layers=8, num_heads=16)
QUICK_PREDICTOR = dict(embed_dims=32, num_layers=1, num_heads=2)
QUICK = dict(
    size=64,
    arch='quick',
    batch=2,
    steps=2,
    warmup=1,
    window_size=3,
    num_windows=2,
    target_batch=2,
    target_size=64,
    matmul_size=256)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--reference-dir',
        help='the Pretraining folder of a github.com/waterdisappear/SAR-JEPA clone; '
        'without it the reference step (c) is skipped')
    parser.add_argument('--size', type=int, default=224, help='image side in px (default 224)')
    parser.add_argument(
        '--arch',
        choices=[k for k in ARCHS if k != 'quick'],
        default='s',
        help='encoder: t(iny), s(mall) or b(ase), 12 layers each (default s)')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--steps', type=int, default=10, help='timed steps of each setting')
    parser.add_argument('--warmup', type=int, default=1, help='untimed steps of each setting')
    parser.add_argument('--window-size', type=int, default=7)
    parser.add_argument('--num-windows', type=int, default=4)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--skip-target', action='store_true', help='skip part (1)')
    parser.add_argument(
        '--profile', choices=('a', 'b', 'c'), help='profile two more steps of this setting')
    parser.add_argument('--quick', action='store_true', help='tiny sizes: a smoke run')
    args = parser.parse_args(argv)
    args.target_batch, args.target_size, args.matmul_size = 32, 224, 2048
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.size % PATCH or args.window_size > args.size // PATCH:
        parser.error(f'--size must be a multiple of {PATCH} px whose grid holds '
                     f'{args.window_size}x{args.window_size}-patch windows')
    if min(args.batch, args.steps, args.window_size, args.num_windows) < 1 or args.warmup < 0:
        parser.error('--batch, --steps, --window-size and --num-windows must be >= 1, '
                     '--warmup >= 0')
    return args


# ------------------------------------------------------------------------------ part (1)
def bench_target(batch=32, size=224, runs=5, warmup=1):
    """Part (1): median ms of the summed-area-table and dense versions, and their max diff."""
    from sar_mm.models.target_generators import SARGradientTarget
    gen = SARGradientTarget(radii=RADII, window='box', eps=EPS)
    x = speckled_batch(batch, size)
    for _ in range(max(warmup, 1)):
        fast, dense = gen.feature_maps(x), dense_features(x)
    times = dict(fast=[], dense=[])
    for _ in range(runs):  # interleaved, so load changes hit both alike
        for name, fn in (('fast', gen.feature_maps), ('dense', dense_features)):
            start = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - start)
    diff = (fast - dense).abs().max().item()
    return (1e3 * statistics.median(times['fast']), 1e3 * statistics.median(times['dense']), diff)


# ------------------------------------------------------------------------------ models
def build_sar_mm(setting, args):
    """SARJEPA of config ``CONFIGS[setting]`` with the benchmark's architecture and size."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import sar_mm  # noqa: F401  (registers SARJEPA, its parts and the target generators)
    cfg = copy.deepcopy(Config.fromfile(osp.join(ROOT, CONFIGS[setting])).model.to_dict())
    arch = dict(ARCHS[args.arch])
    arch['feedforward_channels'] = 4 * arch['embed_dims']
    cfg['backbone'].update(arch=arch, img_size=args.size, patch_size=PATCH)
    cfg['neck'].update(QUICK_PREDICTOR if args.quick else PREDICTOR)
    cfg['target_generator'].update(radii=RADII, eps=EPS, patch_size=PATCH)
    cfg.update(window_size=args.window_size, num_windows=args.num_windows)
    # identity normalisation: the network input is the amplitude itself
    cfg['data_preprocessor'] = dict(
        type='SelfSupDataPreprocessor', mean=[0.], std=[1.], to_rgb=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no per-parameter init log
    model.init_weights()
    model.train()
    return model


def import_reference(reference_dir):
    """``models_lomar`` of the reference code, imported from ``reference_dir``."""
    spec = importlib.util.spec_from_file_location('check_sar_jepa_equivalence', EQUIVALENCE_TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool._stand_ins()  # timm 0.3 / easydict stand-ins where missing, numpy's np.float alias
    path = osp.abspath(reference_dir)
    if path not in sys.path:
        sys.path.append(path)  # last: its profile.py would shadow the standard library's
    import models_lomar
    return models_lomar


def build_reference(models_lomar, args):
    arch = ARCHS[args.arch]
    pred = QUICK_PREDICTOR if args.quick else PREDICTOR
    model = models_lomar.MaskedAutoencoderViT(
        img_size=args.size,
        patch_size=PATCH,
        in_chans=1,
        embed_dim=arch['embed_dims'],
        depth=arch['num_layers'],
        num_heads=arch['num_heads'],
        decoder_embed_dim=pred['embed_dims'],
        decoder_depth=pred['num_layers'],
        decoder_num_heads=pred['num_heads'],
        mlp_ratio=4,
        norm_layer=partial(nn.LayerNorm, eps=1e-6))
    model.train()
    return model


def time_forwards(modules):
    """Wrap the ``forward`` of ``modules`` to accumulate their wall time in ``acc[0]``."""
    acc = [0.0]
    for module in modules:
        inner = module.forward

        def timed_forward(*a, _inner=inner, **kw):
            start = time.perf_counter()
            out = _inner(*a, **kw)
            acc[0] += time.perf_counter() - start
            return out

        module.forward = timed_forward  # nn.Module.__call__ dispatches to the instance attribute
    return acc


class Setting:
    """One model with its optimizer, its step function and its timings."""

    def __init__(self, key, model, loss_fn, target_modules):
        self.key, self.model, self.loss_fn = key, model, loss_fn
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            self.params, lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
        self.target_acc = time_forwards(target_modules)
        self.step_times, self.target_times, self.flops, self.loss = [], [], None, None

    def step(self, x):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(x)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def timed_step(self, x):
        self.target_acc[0] = 0.0
        start = time.perf_counter()
        self.loss = self.step(x)
        self.step_times.append(time.perf_counter() - start)
        self.target_times.append(self.target_acc[0])

    @property
    def step_s(self):
        return statistics.median(self.step_times)


def build_settings(args, models_lomar=None):
    settings = []
    for key in ('a', 'b'):
        model = build_sar_mm(key, args)
        settings.append(
            Setting(key, model, lambda x, m=model: m.loss(x)['loss'], [model.target_generator]))
    if models_lomar is not None:
        ref = build_reference(models_lomar, args)

        def ref_loss(x, m=ref):
            return m(
                x, window_size=args.window_size, num_window=args.num_windows, mask_ratio=0.8)[0]

        gfs = [getattr(ref, f'sarfeature{i}') for i in range(1, 5)]
        settings.append(Setting('c', ref, ref_loss, gfs))
    return settings


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


def profile_setting(setting, batches):
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for x in batches[:2]:
            setting.step(x)
    print(f'--profile {setting.key}: two steps of {LABELS[setting.key]}')
    print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=25))


# ------------------------------------------------------------------------------ main
def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    arch = ARCHS[args.arch]
    pred = QUICK_PREDICTOR if args.quick else PREDICTOR
    print(f'SAR-JEPA CPU benchmark, {torch.get_num_threads()} threads, torch {torch.__version__}'
          ' (wall-clock timings: noisy if other processes share the CPU)' +
          (' -- QUICK smoke run, not a measurement' if args.quick else ''))
    result = dict()

    if not args.skip_target:
        shape = f'{args.target_batch}x1x{args.target_size}x{args.target_size}'
        fast_ms, dense_ms, diff = bench_target(args.target_batch, args.target_size)
        print(f'(1) target generator: SARGradientTarget (summed-area table) vs dense conv2d box '
              f'windows, {shape}, radii {RADII}, median of 5 interleaved runs')
        print(f'    SARGradientTarget (summed-area table): {fast_ms:8.1f} ms')
        print(f'    dense conv2d box windows:              {dense_ms:8.1f} ms')
        print(f'    speed-up: {dense_ms / fast_ms:.1f}x (goal >= 10x)')
        print(f'    max abs difference: {diff:.2e} (must be <= 1e-4)')
        result.update(target_speedup=dense_ms / fast_ms, target_diff=diff)

    models_lomar, skip = None, None
    if args.reference_dir is None:
        skip = ('no --reference-dir given: clone github.com/waterdisappear/SAR-JEPA and pass '
                'its Pretraining folder to time the reference step')
    elif not osp.isfile(osp.join(args.reference_dir, 'models_lomar.py')):
        skip = (f'{args.reference_dir} holds no models_lomar.py: pass the Pretraining folder '
                'of a github.com/waterdisappear/SAR-JEPA clone')
    else:
        models_lomar = import_reference(args.reference_dir)
    settings = build_settings(args, models_lomar)
    batches = [speckled_batch(args.batch, args.size, seed=s) for s in range(3)]

    # FLOPs of one step of each; this also serves as the first warm-up step
    for setting in settings:
        with FlopCounterMode(display=False) as counter:
            setting.step(batches[0])
        setting.flops = counter.get_total_flops()
    for i in range(args.warmup - 1):
        for setting in settings:
            setting.step(batches[(i + 1) % len(batches)])
    for i in range(args.steps):  # interleaved, the order rotating, so load changes hit all alike
        x = batches[i % len(batches)]
        shift = i % len(settings)
        for setting in settings[shift:] + settings[:shift]:
            setting.timed_step(x)

    grid = args.size // PATCH
    print(f'(2) one training step (forward + loss + backward + AdamW), {args.size} px '
          f'({grid}x{grid} patches of {PATCH} px), 1 channel, batch {args.batch}; encoder '
          f'{arch["embed_dims"]} dims, {arch["num_layers"]} layers, {arch["num_heads"]} heads; '
          f'predictor {pred["embed_dims"]} dims, {pred["num_layers"]} layers, '
          f'{pred["num_heads"]} heads; {args.num_windows} windows of {args.window_size}x'
          f'{args.window_size} patches, mask ratio 0.8; median of {args.steps} interleaved steps '
          f'after {args.warmup} warm-up step(s) of each')
    ips = dict()
    for setting in settings:
        ips[setting.key] = args.batch / setting.step_s
        share = statistics.median(t / s for t, s in zip(setting.target_times, setting.step_times))
        n_params = sum(p.numel() for p in setting.params)
        print(f'    {LABELS[setting.key]}: {ips[setting.key]:6.2f} images/s, step '
              f'{setting.step_s * 1e3:.0f} ms (min {min(setting.step_times) * 1e3:.0f}, max '
              f'{max(setting.step_times) * 1e3:.0f}), target {100 * share:.1f} % of the step, '
              f'{n_params / 1e6:.1f} M trainable parameters, loss {setting.loss:.4f}')
    model_b = settings[1].model
    print(f'    (b) places {model_b.num_windows} windows per batch with {model_b.num_masked} of '
          f'{model_b.window_size**2} patches masked ({model_b.window_sampling}, '
          f'{model_b.mask_count_rounding}); (a) {settings[0].model.num_masked} masked')
    best = {s.key: args.batch / min(s.step_times) for s in settings}
    result.update(images_per_s=ips, best_images_per_s=best)
    result['ratios'] = {'b/a': ips['b'] / ips['a']}
    result['best_ratios'] = {'b/a': best['b'] / best['a']}
    if 'c' in ips:
        for key in ('b/c', 'a/c'):
            result['ratios'][key] = ips[key[0]] / ips['c']
            result['best_ratios'][key] = best[key[0]] / best['c']
        print(f'    speed-up over the reference, same run: (b)/(c) {ips["b"] / ips["c"]:.3f}x '
              f'(goal >= 1.25x), (a)/(c) {ips["a"] / ips["c"]:.3f}x; (b)/(a) '
              f'{ips["b"] / ips["a"]:.3f}')
        print(f'    the same from each setting\'s fastest step (less sensitive to other load): '
              f'(b)/(c) {best["b"] / best["c"]:.3f}x, (a)/(c) {best["a"] / best["c"]:.3f}x, '
              f'(b)/(a) {best["b"] / best["a"]:.3f}')
    else:
        print(f'    (c) reference step skipped: {skip}')
        print(f'    (b)/(a) {ips["b"] / ips["a"]:.3f} (fastest steps: '
              f'{best["b"] / best["a"]:.3f})')
    result['skipped_reference'] = skip

    peak = matmul_gflops(args.matmul_size)
    n = args.matmul_size
    print('(3) FLOPs per step (FlopCounterMode: forward + backward matmul/addmm/bmm/conv/'
          'attention ops, 2 per multiply-add; no elementwise, norm, softmax, gather or optimizer '
          f'ops); fp32 matmul {n}x{n}: {peak:.1f} GFLOP/s')
    for setting in settings:
        achieved = setting.flops / setting.step_s / 1e9
        print(f'    {setting.key}: {setting.flops / 1e9:.1f} GFLOP, achieved {achieved:.1f} '
              f'GFLOP/s, fraction of peak {achieved / peak:.2f}')

    if args.profile is not None:
        chosen = [s for s in settings if s.key == args.profile]
        if chosen:
            profile_setting(chosen[0], batches)
        else:
            print(f'--profile {args.profile}: that setting was not run')
    return result


if __name__ == '__main__':
    # exit status 1 when the two target implementations disagree
    sys.exit(0 if main().get('target_diff', 0.) <= 1e-4 else 1)
