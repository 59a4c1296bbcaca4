"""Classify SAR images with a trained sar_mm / mmpretrain classifier.

    python demo/image_demo.py IMAGE_OR_FOLDER CONFIG CHECKPOINT [--device cpu]
        [--show-dir DIR] [--out results.json] [--topk K] [--batch-size N] [--cfg-options k=v ...]

Reads every format ``LoadSARImage`` reads (MSTAR Phoenix raw, 8/16-bit PNG/TIFF, float TIFF,
real or complex .npy) through the config's own test pipeline; a folder is searched recursively.
Prints one line per image and writes the results as JSON to ``--out`` (printed when no ``--out``
is given): per image ``img_path``, ``pred_label``, ``pred_class``, ``pred_score`` and
``pred_scores`` (every class's probability), and ``topk`` with ``--topk``. ``--show-dir`` writes
``<name>.png``: the image in dB (percentile stretch) with the prediction drawn on it.
"""
import argparse

from demo_cli import add_common_args, write_results  # demo/demo_cli.py


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser, 'classifier', 'write a picture of each prediction here',
                    'override settings of the config, e.g. model.head.num_classes=8')
    parser.add_argument('--topk', type=int, help='also list the K most probable classes')
    args = parser.parse_args(argv)
    if args.topk is not None and args.topk < 1:
        parser.error(f'--topk must be >= 1, got {args.topk}')
    return args


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.apis import SARImageClassificationInferencer

    inferencer = SARImageClassificationInferencer(
        args.config, args.checkpoint, device=args.device, cfg_options=args.cfg_options)
    results = inferencer(
        args.img, batch_size=args.batch_size, show_dir=args.show_dir, topk=args.topk)

    def describe(result):
        line = f'{result["pred_class"]} ({result["pred_score"]:.4f})'
        if 'topk' in result:
            line += '  top-k: ' + ', '.join(f'{c} {s:.4f}' for c, s in result['topk'])
        return line

    write_results(results, describe, args.out, pictures=args.show_dir)


if __name__ == '__main__':
    main()
