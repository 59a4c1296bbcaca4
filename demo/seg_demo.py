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
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='a SAR image file or a folder (searched recursively)')
    parser.add_argument('config', help='the segmentor config')
    parser.add_argument('checkpoint', help='the trained checkpoint')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--show-dir', help='write the mask overlaid on each image here')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--mask-dir', help='write the label masks (PNG) here '
                        '(default: <out stem>_masks beside --out; none without --out)')
    parser.add_argument('--opacity', type=float, default=0.5, help='mask opacity in pictures')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config')
    args = parser.parse_args(argv)
    if not 0 <= args.opacity <= 1:
        parser.error(f'--opacity must be in [0, 1], got {args.opacity}')
    if args.mask_dir is None and args.out:
        args.mask_dir = osp.splitext(args.out)[0] + '_masks'
    return args


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.apis import SARSegInferencer

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inferencer = SARSegInferencer(cfg, args.checkpoint, device=args.device)
    results = inferencer(args.img, batch_size=args.batch_size, show_dir=args.show_dir or '',
                         mask_dir=args.mask_dir or '', opacity=args.opacity)['predictions']
    for result in results:
        pixels = ', '.join(f'{c} {n}' for c, n in result['class_pixels'].items())
        print(f'{result.get("img_path", "<array>")}: {pixels}')
    if args.show_dir:
        print(f'pictures written to {args.show_dir}')
    if args.mask_dir:
        print(f'masks written to {args.mask_dir}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'{len(results)} results written to {args.out}')
    else:
        print(json.dumps(results, indent=2))


if __name__ == '__main__':
    main()
