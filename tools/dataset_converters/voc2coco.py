"""Convert a VOC-layout SAR ship set (SSDD, LS-SSDD-v1.0) to one COCO json per split.

    python tools/dataset_converters/voc2coco.py VOC_ROOT --out-dir DIR \
        [--splits train test] [--classes ship] [--ann-dir Annotations] [--img-dir JPEGImages] \
        [--skip-empty] [--box-convention voc|corners]

Reads ``VOC_ROOT/<ann-dir>/<id>.xml`` for the ids of ``VOC_ROOT/ImageSets/Main/<split>.txt`` and
writes ``DIR/<split>.json``, with ``file_name`` relative to ``VOC_ROOT/<img-dir>``. Boxes: VOC
pixels are 1-based and inclusive, so ``[xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]``
(see ``sar_mm.datasets.converters.voc``).
"""
import argparse
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('voc_root', help='folder with Annotations/, JPEGImages/, ImageSets/Main/')
    parser.add_argument('--out-dir', required=True, help='where <split>.json files are written')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'test'],
        help='split lists of ImageSets/Main to convert (default: train test)')
    parser.add_argument(
        '--classes',
        nargs='+',
        default=['ship'],
        help='category names, ids 1, 2, ... in this order (default: ship)')
    parser.add_argument('--ann-dir', default='Annotations', help='xml folder under VOC_ROOT')
    parser.add_argument('--img-dir', default='JPEGImages', help='image folder under VOC_ROOT')
    parser.add_argument(
        '--split-dir',
        default=osp.join('ImageSets', 'Main'),
        help='split list folder under VOC_ROOT')
    parser.add_argument(
        '--skip-empty',
        action='store_true',
        help='leave out images without objects (warns with their count)')
    parser.add_argument(
        '--box-convention',
        choices=('voc', 'corners'),
        default='voc',
        help="'voc': 1-based inclusive pixel indices (default); 'corners': "
        'continuous corner coordinates, written unchanged')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.datasets.converters import convert_voc_to_coco
    try:
        written = convert_voc_to_coco(
            args.voc_root,
            args.out_dir,
            splits=args.splits,
            classes=args.classes,
            ann_dir=args.ann_dir,
            img_dir=args.img_dir,
            split_dir=args.split_dir,
            skip_empty=args.skip_empty,
            box_convention=args.box_convention,
            progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'voc2coco: error: {err}')
    for split, (path, num_images, num_boxes) in written.items():
        print(f'{split}: {num_images} images, {num_boxes} boxes -> {path}')


if __name__ == '__main__':
    main()
