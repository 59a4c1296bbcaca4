"""Detect objects in SAR images with a trained sar_mm / mmdet detector.

    python demo/det_demo.py IMAGE_OR_FOLDER CONFIG CHECKPOINT [--device cpu]
        [--show-dir DIR] [--out results.json] [--score-thr 0.3] [--batch-size N]
        [--cfg-options k=v ...]

Images of any format ``LoadSARImage`` reads go through the config's test pipeline (its
``LoadSARImage`` step replaces mmdet's image loading); a folder is searched recursively. Prints
one line per image and writes JSON to ``--out`` (printed when no ``--out`` is given): per image
``img_path``, ``bboxes`` ([x1, y1, x2, y2] in pixels of the original image), ``scores``,
``labels`` and ``label_names``: every box the model returns (its ``test_cfg.score_thr``
applies). ``--show-dir`` writes ``<name>.png``: the image in dB (percentile stretch) with the
boxes scoring at least ``--score-thr`` drawn by mmdet's visualizer.
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
    parser.add_argument('config', help='the detector config')
    parser.add_argument('checkpoint', help='the trained checkpoint')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--show-dir', help='write a picture of each image\'s boxes here')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='lowest score of a box drawn in the pictures')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, e.g. model.test_cfg.score_thr=0.1')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.apis import SARDetInferencer

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inferencer = SARDetInferencer(cfg, args.checkpoint, device=args.device)
    results = inferencer(args.img, batch_size=args.batch_size, out_dir=args.show_dir or '',
                         pred_score_thr=args.score_thr)['predictions']
    for result in results:
        shown = sum(s >= args.score_thr for s in result['scores'])
        print(f'{result.get("img_path", "<array>")}: {len(result["scores"])} boxes, '
              f'{shown} with score >= {args.score_thr}')
    if args.show_dir:
        print(f'pictures written to {args.show_dir}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'{len(results)} results written to {args.out}')
    else:
        print(json.dumps(results, indent=2))


if __name__ == '__main__':
    main()
