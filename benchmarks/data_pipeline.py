"""Throughput of the SAR data pipeline against the plain 8-bit pipeline, on one core.

    python benchmarks/data_pipeline.py [--chips 300] [--scenes 24] [--rounds 5]

Pipelines (same flip and crop in both):
  SAR:      LoadSARImage (16-bit PNG chips / float32 TIFF scenes, amplitude) + DRAA tone mapping
            (or percentile truncation) + RandomFlip + RandomCrop
  baseline: mmcv LoadImageFromFile (8-bit grey PNG of the same images) + RandomFlip + RandomCrop
on 128x128 chips (16-bit PNG and 16-bit TIFF) and 800x800 scenes. Prints images/s of each
(median over interleaved rounds) and the cost ratio SAR / baseline (target: at most 1.5). Data
is generated in a temporary folder.
"""
import argparse
import os
import os.path as osp
import tempfile
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')  # one core, before numpy/torch load

import cv2  # noqa: E402  (after OMP_NUM_THREADS is set)
import numpy as np  # noqa: E402


def make_data(root, chips, scenes, seed=0):
    import tifffile
    rng = np.random.default_rng(seed)
    files = dict(chip_sar=[], chip_tif16=[], chip_png8=[], scene_sar=[], scene_png8=[])
    for kind, count, size in (('chip', chips, 128), ('scene', scenes, 800)):
        for i in range(count):
            amp = np.sqrt(rng.gamma(1.0, 1.0,
                                    (size, size)) * rng.uniform(0.01, 1.0)).astype(np.float32)
            grey = np.clip(amp / amp.max() * 255, 0, 255).astype(np.uint8)
            if kind == 'chip':
                sar = osp.join(root, f'chip_{i}.png')
                chip16 = np.clip(amp * 2000, 0, 65535).astype(np.uint16)
                cv2.imwrite(sar, chip16)
                files['chip_tif16'].append(osp.join(root, f'chip_{i}.tif'))
                tifffile.imwrite(files['chip_tif16'][-1], chip16)
            else:
                sar = osp.join(root, f'scene_{i}.tif')
                tifffile.imwrite(sar, amp)
            png8 = osp.join(root, f'{kind}_{i}_8bit.png')
            cv2.imwrite(png8, grey)
            files[f'{kind}_sar'].append(sar)
            files[f'{kind}_png8'].append(png8)
    return files


def build(steps, crop):
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Compose(steps + [
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='RandomCrop', crop_size=crop)
        ])


def throughput(pipeline, files):
    start = time.perf_counter()
    for path in files:
        pipeline(dict(img_path=path))
    return len(files) / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--chips', type=int, default=300)
    parser.add_argument('--scenes', type=int, default=24)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    import sar_mm  # noqa: F401

    with tempfile.TemporaryDirectory() as root:
        files = make_data(root, args.chips, args.scenes)
        baseline_load = [dict(type='LoadImageFromFile', color_type='grayscale')]
        sar_load = [dict(type='LoadSARImage', to='amplitude')]
        cases = []
        for kind, sar_key, crop in (('chip 16-bit PNG', 'chip_sar', 112),
                                    ('chip 16-bit TIFF', 'chip_tif16', 112), ('scene float32 TIFF',
                                                                              'scene_sar', 704)):
            base = build(baseline_load, crop)
            png8 = files['scene_png8' if kind.startswith('scene') else 'chip_png8']
            for draa in ('DRAAToneMapping', 'DRAAPercentileTruncation'):
                cases.append((f'{kind} {draa}', build(sar_load + [dict(type=draa)],
                                                      crop), base, files[sar_key], png8))
        print(f'one core; {args.chips} chips 128x128 (16-bit PNG vs 8-bit PNG), '
              f'{args.scenes} scenes 800x800 (float32 TIFF vs 8-bit PNG); '
              f'median of {args.rounds} interleaved rounds after a warm-up')
        print(f'{"case":44s} {"SAR img/s":>10s} {"8-bit img/s":>12s} {"cost ratio":>11s}')
        worst = 0.0
        for name, sar, base, sar_files, base_files in cases:
            throughput(sar, sar_files[:10])
            throughput(base, base_files[:10])
            ratios, sar_ips, base_ips = [], [], []
            for _ in range(args.rounds):
                s = throughput(sar, sar_files)
                b = throughput(base, base_files)
                sar_ips.append(s)
                base_ips.append(b)
                ratios.append(b / s)
            ratio = float(np.median(ratios))
            worst = max(worst, ratio)
            print(f'{name:44s} {np.median(sar_ips):10.1f} {np.median(base_ips):12.1f} '
                  f'{ratio:10.2f}x')
        print(f'worst cost ratio SAR / 8-bit baseline: {worst:.2f}x (target <= 1.5x): '
              f'{"met" if worst <= 1.5 else "NOT met"}')


if __name__ == '__main__':
    main()
