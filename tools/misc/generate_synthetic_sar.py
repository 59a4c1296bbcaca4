"""Write the synthetic SAR sets (vehicle chips, unlabelled chips, ship scenes) from a seed.

    python tools/misc/generate_synthetic_sar.py [--out data/synthetic_sar] [--preset demo|tiny]
                                                [--seed 0]
"""
import argparse
import json
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/synthetic_sar', help='output root')
    parser.add_argument('--preset', default='demo', help='size preset: demo or tiny')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.datasets.synthetic import PRESETS, make_synthetic_sar
    if args.preset not in PRESETS:
        raise SystemExit(f'unknown preset {args.preset!r}; choose from {sorted(PRESETS)}')
    summary = make_synthetic_sar(args.out, args.preset, args.seed)
    summary.update(preset=args.preset, seed=args.seed)
    with open(osp.join(args.out, 'generated.json'), 'w') as f:
        json.dump(summary, f, indent=2, default=list)
    print(f'synthetic SAR data written to {args.out}: {json.dumps(summary, default=list)}')


if __name__ == '__main__':
    main()
