"""Slice large SAR scenes with COCO boxes into overlapping tiles and a tile-level COCO json.

    python tools/dataset_converters/slice_scenes.py ANN_FILE IMG_DIR OUT_DIR \
        [--tile-size 800 [800]] [--overlap 0.2 | --stride 640 [640]] [--min-visible 0.5] \
        [--partial ignore|drop] [--format auto|tif|png|npy] [--skip-empty] [--out-name NAME]

Writes ``OUT_DIR/images/<scene>_x<X>_y<Y>.<ext>`` (the scene's on-disk dtype kept) and
``OUT_DIR/annotations/<NAME>.json``: a COCO file of the tiles whose images carry ``scene_id`` and
``tile_offset`` and whose top-level ``scenes`` entry keeps the scene-level ground truth. Train on
it as any COCO set (e.g. ``LSSSDD``); for scene-level test metrics use ``SlicedCocoMetric``,
which shifts the tile detections back into the scenes and merges them with NMS.

Boxes cut by a tile border are kept (clipped) when at least ``--min-visible`` of their area is in
the tile, otherwise marked as ignore regions (``iscrowd=1``) or, with ``--partial drop``, left
out. LS-SSDD-v1.0 (24000 x 16000 scenes, its 800 x 800 sub-images): ``--tile-size 800``; with
``--overlap 0.25`` ships cut by one tile border appear whole in the neighbouring tile. A whole
scene is read into memory as float32 (24000 x 16000 x 1: 1.5 GB).
"""
import argparse
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='scene-level COCO json')
    parser.add_argument('img_dir', help='folder the json file names are relative to')
    parser.add_argument('out_dir', help='output root (images/ and annotations/ are created)')
    parser.add_argument(
        '--tile-size',
        type=int,
        nargs='+',
        default=[800],
        help='tile size: one value (square) or height width (default 800)')
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        '--overlap',
        type=float,
        default=0.0,
        help='fraction of a tile shared with its neighbour, in [0, 1) (default 0)')
    group.add_argument(
        '--stride',
        type=int,
        nargs='+',
        help='step between tiles: one value or rows columns (instead of --overlap)')
    parser.add_argument(
        '--min-visible',
        type=float,
        default=0.5,
        help='keep a cut box when at least this fraction is inside (default 0.5)')
    parser.add_argument(
        '--partial',
        choices=('ignore', 'drop'),
        default='ignore',
        help='less visible boxes: ignore regions (iscrowd=1, default) or dropped')
    parser.add_argument(
        '--format',
        dest='tile_format',
        default='auto',
        choices=('auto', 'tif', 'png', 'npy'),
        help='tile files: auto = tif with the scene dtype (npy if complex)')
    parser.add_argument('--skip-empty', action='store_true', help='write no tile without boxes')
    parser.add_argument('--out-name', help='name of the json (default: the input json name)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    args = parser.parse_args(argv)
    for name in ('tile_size', 'stride'):
        value = getattr(args, name)
        if value is not None and len(value) not in (1, 2):
            parser.error(f'--{name.replace("_", "-")} takes one or two values')
        if value is not None:
            setattr(args, name, (value[0], value[-1]))
    return args


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.datasets.slicing import slice_coco_scenes
    try:
        summary = slice_coco_scenes(
            args.ann_file,
            args.img_dir,
            args.out_dir,
            tile_size=args.tile_size,
            overlap=args.overlap,
            stride=args.stride,
            min_visible=args.min_visible,
            partial=args.partial,
            tile_format=args.tile_format,
            skip_empty=args.skip_empty,
            out_name=args.out_name,
            progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'slice_scenes: error: {err}')
    print(f'\n{summary["scenes"]} scenes -> {summary["tiles"]} tiles, {summary["boxes"]} boxes '
          f'({summary["truncated"]} cut at a tile border), {summary["ignored"]} ignore regions, '
          f'{summary["dropped"]} dropped, {summary["invalid"]} zero-size source boxes skipped '
          f'-> {summary["ann_file"]}')


if __name__ == '__main__':
    main()
