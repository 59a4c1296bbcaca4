"""Convert an hrsid_mini-style HRSID folder to COCO train / val splits at a chosen image size.

    python tools/dataset_converters/hrsid_to_coco.py SRC --out-dir DIR [--img-size 512] \
        [--num-train 28] [--seed 0] [--min-box 3]

Reads ``SRC/images/*.jpg`` and ``SRC/boxes_from_masks.json`` (inclusive pixel ranges of the ship
mask components) and writes ``DIR/images/{train,val}/*.png`` (8-bit grey, longer side
``--img-size``) and ``DIR/annotations/{train,val}.json`` (see
``sar_mm.datasets.converters.hrsid``).
"""
import argparse
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='folder with images/*.jpg and boxes_from_masks.json')
    parser.add_argument(
        '--out-dir',
        required=True,
        help='where images/<split>/ and annotations/<split>.json are written')
    parser.add_argument(
        '--img-size',
        type=int,
        default=512,
        help='longer side of the written images in pixels (default: 512)')
    parser.add_argument(
        '--num-train',
        type=int,
        default=28,
        help='images in the train split, the rest go to val (default: 28)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split (default: 0)')
    parser.add_argument(
        '--min-box',
        type=int,
        default=3,
        help='drop boxes narrower or lower than this, in original pixels '
        '(default: 3)')
    args = parser.parse_args(argv)
    for name in ('img_size', 'num_train'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.datasets.converters import convert_hrsid_mini
    try:
        summary = convert_hrsid_mini(
            args.src,
            args.out_dir,
            args.img_size,
            num_train=args.num_train,
            seed=args.seed,
            min_box=args.min_box)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'hrsid_to_coco: error: {err}')
    for split, counts in summary.items():
        print(f'{split}: {counts["images"]} images, {counts["ships"]} ships -> '
              f'{osp.join(args.out_dir, "annotations", split + ".json")}')


if __name__ == '__main__':
    main()
