"""Class activation maps of several checkpoints of one classifier config on the same SAR images.

    python tools/visualization/vis_sar_cam.py CONFIG CHECKPOINT [CHECKPOINT ...]
        --img PATH [PATH ...] [--target-category C [C ...]] [--method GradCAM]
        [--target-layers NAME [NAME ...]] [--labels L [L ...]] [--out-file cam_grid.png]
        [--device cpu] [--eigen-smooth] [--aug-smooth] [--cfg-options k=v ...]

One row per checkpoint (``--labels``, else the checkpoint's file name), one column per (image,
target class); each cell is the image as the model sees it (the config's test pipeline, shown in
dB with a percentile stretch) with the CAM overlaid and the model's probability of that class.
Categories are class indices or names; without them each cell explains the model's predicted
class. Methods (``grad-cam`` package): GradCAM, GradCAM++, XGradCAM, HiResCAM,
GradCAMElementWise, LayerCAM, EigenGradCAM, ScoreCAM, AblationCAM, and the class-agnostic
EigenCAM and KPCA-CAM, which get one column per image labelled "(class-agnostic)". Default target
layers: the last residual stage of a ResNet, the first norm of a ViT's last block (see
``sar_mm.apis.cam.default_target_layers``). Also writes ``<out-file stem>.json``: the layout,
the target layers and every cell's class and probabilities.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='classifier config shared by the checkpoints')
    parser.add_argument('checkpoints', nargs='+', help='one or more checkpoints of the config')
    parser.add_argument('--img', nargs='+', required=True, help='SAR image files')
    parser.add_argument(
        '--target-category',
        nargs='+',
        default=None,
        help='class indices or names to explain (default: predicted class)')
    parser.add_argument('--method', default='GradCAM', help='CAM method (see above)')
    parser.add_argument(
        '--target-layers',
        nargs='+',
        default=None,
        help='module names, e.g. backbone.layer4 or backbone.layers.5.ln1')
    parser.add_argument('--labels', nargs='+', help='row labels, one per checkpoint')
    parser.add_argument('--out-file', default='cam_grid.png', help='output PNG')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument(
        '--eigen-smooth',
        action='store_true',
        help='smooth maps by their first principal component')
    parser.add_argument(
        '--aug-smooth',
        action='store_true',
        help='average maps over flips and scalings of the input')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings of the config')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.checkpoints):
        parser.error(f'--labels has {len(args.labels)} entries for {len(args.checkpoints)} '
                     'checkpoints')
    return args


def checkpoint_labels(paths):
    """Row labels: file names without extension, with the folder where names repeat."""
    stems = [osp.splitext(osp.basename(p))[0] for p in paths]
    return [
        f'{osp.basename(osp.dirname(osp.abspath(p)))}/{s}' if stems.count(s) > 1 else s
        for p, s in zip(paths, stems)
    ]


def run(args):
    from sar_mm.apis import SARImageClassificationInferencer, init_sar_classifier
    from sar_mm.apis.cam import (check_categories, compute_cams, get_target_layers,
                                 method_column_title, prepare_cam_input, resolve_cam_method)
    from sar_mm.visualization import draw_cam_grid, grid_size_px

    method = resolve_cam_method(args.method)
    for path in args.img:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: image not found')
    labels = args.labels or checkpoint_labels(args.checkpoints)
    names = [osp.basename(p) for p in args.img]

    rows, pictures, columns, layers = [], None, None, None
    for ckpt, label in zip(args.checkpoints, labels):
        model = init_sar_classifier(
            args.config, ckpt, device=args.device, cfg_options=args.cfg_options)
        classes = model._dataset_meta['classes']
        categories = None if args.target_category is None else \
            check_categories(args.target_category, classes)
        inferencer = SARImageClassificationInferencer(model)
        targets = get_target_layers(model, args.target_layers) if args.target_layers else None
        row, row_pictures, row_columns = [], [], []
        for path, name in zip(args.img, names):
            inputs, picture = prepare_cam_input(model, inferencer.pipeline, inferencer.loader, path)
            out = compute_cams(
                model,
                inputs.to(args.device),
                categories,
                method,
                targets,
                eigen_smooth=args.eigen_smooth,
                aug_smooth=args.aug_smooth)
            layers = out['layers']
            probs = out['probs']
            pred = int(probs.argmax())
            for k, cam in enumerate(out['cams']):
                cat = out['categories'][k]
                if not method.class_discriminative:
                    title = f'{name}\n{method_column_title(method)}'
                    note = f'pred {classes[pred]} {probs[pred]:.2f}'
                elif categories is None:
                    title = f'{name}\n{method_column_title(method)}'
                    note = f'{classes[cat]} p={probs[cat]:.2f}'
                else:
                    title = f'{name}\n{method_column_title(method, classes[cat])}'
                    note = f'p={probs[cat]:.2f} (pred {classes[pred]})'
                row.append(
                    dict(
                        cam=cam,
                        note=note,
                        image=path,
                        category=cat,
                        category_name=str(classes[cat]),
                        prob=float(probs[cat]),
                        pred_class=str(classes[pred]),
                        pred_score=float(probs[pred])))
                row_pictures.append(picture)
                row_columns.append(title)
        rows.append(row)
        pictures = pictures or row_pictures
        columns = columns or row_columns
        print(f'{label}: {ckpt} -> ' + ', '.join(f'{c["category_name"]} {c["prob"]:.3f}'
                                                 for c in row))

    out_dir = osp.dirname(osp.abspath(args.out_file))
    os.makedirs(out_dir, exist_ok=True)
    draw_cam_grid(pictures, [[c['cam'] for c in row] for row in rows], labels, columns,
                  [[c['note'] for c in row] for row in rows], args.out_file)
    width, height = grid_size_px(len(rows), len(columns))
    summary = dict(
        config=args.config,
        method=method.label,
        class_discriminative=method.class_discriminative,
        target_layers=layers,
        rows=labels,
        checkpoints=list(args.checkpoints),
        columns=columns,
        size_px=[width, height],
        cells=[[{
            k: v
            for k, v in c.items() if k not in ('cam', 'note')
        } for c in row] for row in rows])
    json_file = osp.splitext(args.out_file)[0] + '.json'
    with open(json_file, 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'{method.label} on {", ".join(layers)}: {len(rows)} rows x {len(columns)} columns '
          f'({width}x{height} px) written to {args.out_file} and {json_file}')
    return summary


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.engine import CheckpointMismatchError, UnsafeCheckpointError
    try:
        run(args)
    except (CheckpointMismatchError, UnsafeCheckpointError, FileNotFoundError, ValueError) as err:
        sys.exit(f'vis_sar_cam.py: error: {err}')


if __name__ == '__main__':
    main()
