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

from demo_cli import add_common_args, load_config, write_results  # demo/demo_cli.py


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser, 'detector', 'write a picture of each image\'s boxes here',
                    'override settings of the config, e.g. model.test_cfg.score_thr=0.1')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='lowest score of a box drawn in the pictures')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.apis import SARDetInferencer

    inferencer = SARDetInferencer(load_config(args), args.checkpoint, device=args.device)
    results = inferencer(
        args.img,
        batch_size=args.batch_size,
        out_dir=args.show_dir or '',
        pred_score_thr=args.score_thr)['predictions']

    def describe(result):
        shown = sum(s >= args.score_thr for s in result['scores'])
        return f'{len(result["scores"])} boxes, {shown} with score >= {args.score_thr}'

    write_results(results, describe, args.out, pictures=args.show_dir)


if __name__ == '__main__':
    main()
