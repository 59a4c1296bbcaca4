"""Training step of sar_mm's conv nets with channels-last weights against the default layout.

    python benchmarks/channels_last.py [--cases simclr finetune] [--steps 5] [--warmup 1]
        [--batch N] [--threads 2] [--quick]

Prints, for each case, the images/s of one full training step (loss forward, backward, AdamW
step) with the model as built (NCHW) and with ``--channels-last``
(:func:`sar_mm.engine.hooks.to_channels_last`, what ``ChannelsLastHook`` does), the two
settings timed in turn step after step (interleaving makes their ratio fair when other
processes share the CPU), median over ``--steps`` steps after ``--warmup`` steps each, and
the speed-up (median and fastest step); also the loss difference of the two settings at the
first step (same weights, same batch: the layouts compute the same function up to summation
order) and the largest one after the updates (the trajectories drift apart as float rounding
differences accumulate).

Cases (models built from the repository's configs, random weights, random 64-px batches):
  simclr    configs/simclr/simclr_sar-resnet18-1ch_1xb128-adamw-35e_mstar-64px.py: SimCLR on
            SARResNet-18 (3x3 stride-2 stem, no max-pool), 2 views of batch 128;
  finetune  configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py: the
            classifier of the few-shot fine-tune, batch 32.
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CASES = dict(
    simclr='configs/simclr/simclr_sar-resnet18-1ch_1xb128-adamw-35e_mstar-64px.py',
    finetune='configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', nargs='+', choices=list(CASES), default=list(CASES))
    parser.add_argument('--steps', type=int, default=5, help='timed steps per setting')
    parser.add_argument('--warmup', type=int, default=1, help='untimed steps per setting')
    parser.add_argument('--batch', type=int, help="batch size (default: the config's)")
    parser.add_argument('--threads', type=int, default=2, help='torch threads')
    parser.add_argument('--quick', action='store_true', help='batch 8, 1 step: a smoke run')
    return parser.parse_args(argv)


def build_case(name, batch):
    """The model of a case's config and a function making one of its batches."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    import sar_mm  # noqa: F401  (registers the SAR modules)
    cfg = Config.fromfile(osp.join(ROOT, CASES[name]))
    batch = batch or cfg.train_dataloader.batch_size
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()

    def make_batch(seed):
        gen = torch.Generator().manual_seed(seed)
        images = [torch.randn(batch, 1, 64, 64, generator=gen) for _ in range(2)]
        if name == 'simclr':
            return images, [DataSample() for _ in range(batch)]
        labels = torch.randint(0, 10, (batch, ), generator=gen)
        return images[0], [DataSample().set_gt_label(int(label)) for label in labels]

    return model, make_batch, batch * (2 if name == 'simclr' else 1)


def train_step(model, optimizer, inputs, data_samples):
    losses = model.loss(inputs, data_samples)
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss)


def run_case(name, args):
    from sar_mm.engine.hooks import to_channels_last
    model, make_batch, images = build_case(name, 8 if args.quick else args.batch)
    models = dict(nchw=model, channels_last=copy.deepcopy(model))
    num = to_channels_last(models['channels_last'])
    opts = {k: torch.optim.AdamW(m.parameters(), lr=1e-4) for k, m in models.items()}
    times = {k: [] for k in models}
    losses = {k: [] for k in models}
    steps = 1 if args.quick else args.steps
    warmup = 0 if args.quick else args.warmup
    for step in range(warmup + steps):
        batch = make_batch(step)
        order = list(models) if step % 2 == 0 else list(models)[::-1]
        for key in order:
            torch.manual_seed(step)  # same random projections / dropout in both settings
            start = time.perf_counter()
            loss = train_step(models[key], opts[key], *batch)
            elapsed = time.perf_counter() - start
            losses[key].append(loss)
            if step >= warmup:
                times[key].append(elapsed)
        print(
            f'[{name}] step {step + 1}/{warmup + steps}: ' +
            ('warm-up' if step < warmup else ', '.join(f'{k} {v[-1]:.2f} s'
                                                       for k, v in times.items())),
            flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    diffs = [abs(a - b) for a, b in zip(losses['nchw'], losses['channels_last'])]
    print(f'[{name}] {CASES[name]}, {images} images per step, {num} conv weights converted')
    for key in models:
        print(f'[{name}]   {key:>13}: {images / med[key]:7.1f} img/s '
              f'(median step {med[key]:.2f} s, fastest {best[key]:.2f} s)')
    print(f"[{name}]   channels-last speed-up: {med['nchw'] / med['channels_last']:.2f}x "
          f"(fastest steps: {best['nchw'] / best['channels_last']:.2f}x); "
          f'|loss difference| {diffs[0]:.1e} at the first step (same weights), at most '
          f'{max(diffs):.1e} after {len(diffs) - 1} updates')
    return med['nchw'] / med['channels_last']


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel('WARNING')  # no weight-init report
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, CPU capability '
          f'{torch.backends.cpu.get_cpu_capability()}')
    for name in args.cases:
        run_case(name, args)


if __name__ == '__main__':
    sys.exit(main())
