"""Segment SAR images with a trained sar_mm / mmseg model.

    python demo/seg_demo.py IMAGE_OR_FOLDER CONFIG CHECKPOINT [--device cpu]
        [--show-dir DIR] [--out results.json] [--mask-dir DIR] [--opacity 0.5]
        [--batch-size N] [--cfg-options k=v ...]

Images of any format ``LoadSARImage`` reads go through the config's test pipeline (its
``LoadSARImage`` step replaces mmseg's image loading; annotations are not loaded); a folder is
searched recursively. Writes each label mask as ``<mask-dir>/<name>.png`` (one label index per
pixel; default mask dir: ``<out stem>_masks`` beside ``--out``) and the results as JSON to
``--out`` (printed when no ``--out`` is given): per image ``img_path``, ``img_shape``,
``class_pixels`` (pixels of every class) and ``mask_path``. ``--show-dir`` writes
``<name>.png``: the mask overlaid on the image in dB (percentile stretch).
"""
import argparse
import os.path as osp

from demo_cli import add_common_args, load_config, write_results  # demo/demo_cli.py


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser, 'segmentor', 'write the mask overlaid on each image here')
    parser.add_argument(
        '--mask-dir',
        help='write the label masks (PNG) here '
        '(default: <out stem>_masks beside --out; none without --out)')
    parser.add_argument('--opacity', type=float, default=0.5, help='mask opacity in pictures')
    args = parser.parse_args(argv)
    if not 0 <= args.opacity <= 1:
        parser.error(f'--opacity must be in [0, 1], got {args.opacity}')
    if args.mask_dir is None and args.out:
        args.mask_dir = osp.splitext(args.out)[0] + '_masks'
    return args


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.apis import SARSegInferencer

    inferencer = SARSegInferencer(load_config(args), args.checkpoint, device=args.device)
    results = inferencer(
        args.img,
        batch_size=args.batch_size,
        show_dir=args.show_dir or '',
        mask_dir=args.mask_dir or '',
        opacity=args.opacity)['predictions']

    def describe(result):
        return ', '.join(f'{c} {n}' for c, n in result['class_pixels'].items())

    write_results(results, describe, args.out, pictures=args.show_dir, masks=args.mask_dir)


if __name__ == '__main__':
    main()
