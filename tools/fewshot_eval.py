"""Few-shot recognition protocol of SAR-JEPA: N samples per class, several seeds, a table.

    python tools/fewshot_eval.py CONFIG [--shots 10 20 40] [--seeds 0 1 2]
                                 [--mode finetune linear knn linear-runner] [--work-dir DIR]
                                 [--feature auto|gap|concat_stages|cls_token|mean_patch|
                                  cls_mean_patch] [--num-blocks N] [--knn-k K] [--knn-t T]
                                 [--data-root DIR] [--test-split config|rest]
                                 [--linear-lr LR] [--freeze MODULE ...] [--probe-norm]
                                 [--keep-checkpoints]
                                 [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

For every mode, number of shots and seed, the config is trained on ``shots`` samples per class
drawn with ``seed`` (``num_shots``/``seed`` of sar_mm's classification datasets) and tested on
the held-out samples (``fewshot_split='rest'``) or the config's own test set.

* ``finetune`` trains the whole network through the Runner;
* ``linear`` and ``knn`` work on frozen features extracted **once** per split with the test
  pipeline (:class:`sar_mm.evaluation.fewshot_protocol.FeatureBank`): L-BFGS logistic
  regression on standardised features with its L2 strength cross-validated on the shots only,
  and DINO's weighted cosine kNN; each draw then takes well under a second;
* ``linear-runner`` trains only the head on the frozen backbone (and neck) by SGD through the
  Runner, the older and slower linear protocol. The protocol is described
in :mod:`sar_mm.evaluation.fewshot_protocol`. Writes to the work dir:

* ``fewshot_results.md`` / ``fewshot_results.csv``: mean ± std over seeds of top-1 and mean
  per-class accuracy per (mode, shots);
* ``fewshot_runs.csv``: every run, with its per-class accuracies;
* ``fewshot_confusion_best.png``: the confusion matrix of the best run;
* ``<mode>_<N>shot_seed<S>/``: each run's logs (and last checkpoint with --keep-checkpoints).
"""
import argparse
import itertools
import os
import os.path as osp
import time

from mmengine.dist import get_dist_info, is_main_process
from mmengine.logging import MMLogger, print_log

# importing sar_mm registers its modules and the safe checkpoint loader
from sar_mm.engine import (add_runner_args, enable_channels_last, finish_distributed, load_config,
                           parse_runner_args, prepare_cpu_distributed)
from sar_mm.evaluation.feature_probe import FEATURES
from sar_mm.evaluation.fewshot_protocol import (FEATURE_MODES, MODES, FeatureBank, best_run,
                                                format_summary_row, make_run_config,
                                                plot_confusion_matrix, prepare_protocol, run_one,
                                                summarize, write_results)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Few-shot evaluation (SAR-JEPA protocol): fine-tune or linear-probe on N '
        'samples per class for several seeds, and tabulate the test accuracy')
    parser.add_argument(
        'config',
        help='classification config whose train dataset supports '
        'num_shots/seed (a sar_mm classification dataset)')
    parser.add_argument(
        '--shots',
        type=int,
        nargs='+',
        default=[10, 20, 40],
        help='samples per class of each setting (default: 10 20 40)')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[0, 1, 2],
        help='seeds of the few-shot draws (and of training) (default: 0 1 2)')
    parser.add_argument(
        '--mode',
        nargs='+',
        choices=MODES,
        default=['finetune'],
        help='finetune: train the whole network; linear: L-BFGS logistic '
        'regression on frozen features (C cross-validated on the shots); knn: '
        'weighted cosine kNN on frozen features; linear-runner: SGD-trained '
        'head on the frozen backbone through the Runner; several may be given')
    parser.add_argument(
        '--feature',
        choices=FEATURES,
        default='auto',
        help='linear/knn features: gap (CNN, pooled last stage), concat_stages, '
        'cls_token, mean_patch, cls_mean_patch (ViT); auto: gap or mean_patch')
    parser.add_argument(
        '--num-blocks',
        type=int,
        default=1,
        help='last CNN stages / ViT blocks whose features are concatenated')
    parser.add_argument('--knn-k', type=int, default=20, help='kNN neighbours (default: 20)')
    parser.add_argument(
        '--knn-t', type=float, default=0.07, help='kNN vote temperature (default: 0.07)')
    parser.add_argument('--data-root', help='replace data_root of the datasets of the config')
    parser.add_argument(
        '--test-split',
        choices=('config', 'rest'),
        default='config',
        help="config: the config's test set (kept in sync with the draw when "
        "it is the held-out 'rest' of the training list); rest: always the "
        'samples of the training set not drawn')
    parser.add_argument(
        '--linear-lr',
        type=float,
        help='learning rate of the linear probe (default: 10x the config lr)')
    parser.add_argument(
        '--freeze',
        nargs='+',
        help='modules frozen in linear-runner mode (default: backbone, and neck if '
        'the model has one)')
    parser.add_argument(
        '--probe-norm',
        action='store_true',
        help="linear-runner mode: MAE's parameter-free BatchNorm on the frozen "
        'features before the head (ClsBatchNormNeck, after the model\'s own neck)')
    parser.add_argument(
        '--keep-checkpoints',
        action='store_true',
        help="save each run's last checkpoint in its work dir")
    args = parse_runner_args(add_runner_args(parser), argv)
    for name in ('shots', 'seeds'):
        values = getattr(args, name)
        if len(set(values)) != len(values):
            parser.error(f'--{name} lists a value twice: {values}')
    return args


def _set_data_root(cfg, data_root):
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        dataset = loader.get('dataset') if loader else None
        while isinstance(dataset, dict):
            if 'data_root' in dataset or 'dataset' not in dataset:
                dataset['data_root'] = data_root
                break
            dataset = dataset['dataset']


def _world_size(launcher):
    """Processes of the run (the process group may not exist yet before the first Runner)."""
    if get_dist_info()[1] > 1 or launcher == 'none':
        return get_dist_info()[1]
    return int(os.environ.get('WORLD_SIZE') or os.environ.get('SLURM_NTASKS') or 1)


def main(argv=None):
    args = parse_args(argv)
    config_name = osp.splitext(osp.basename(args.config))[0]
    work_dir = args.work_dir or osp.join('./work_dirs', f'{config_name}_fewshot')
    cfg = load_config(args.config, args.cfg_options, args.launcher, work_dir)
    if args.data_root:
        _set_data_root(cfg, args.data_root)
    if args.channels_last:
        enable_channels_last(cfg)
    # once for all runs (the CPU process group; every run's config inherits the wrapper set-up)
    prepare_cpu_distributed(cfg, args.launcher)
    info = prepare_protocol(cfg, args.shots, args.test_split)

    stamp = time.strftime('%Y%m%d_%H%M%S')
    os.makedirs(work_dir, exist_ok=True)
    logger = MMLogger.get_instance(
        f'fewshot_eval_{stamp}',
        logger_name='fewshot_eval',
        log_file=osp.join(work_dir, f'fewshot_eval_{stamp}.log'))
    runs = list(itertools.product(args.mode, args.shots, args.seeds))
    counts = info['counts']
    print_log(
        f'Few-shot evaluation of {args.config}: {len(runs)} runs (modes {args.mode}, '
        f'shots {args.shots}, seeds {args.seeds}); training set: {len(counts)} classes, '
        f'{int(counts.min())}..{int(counts.max())} samples per class; test split: '
        f'{args.test_split}',
        logger=logger)
    rows, bank = [], None
    for i, (mode, shots, seed) in enumerate(runs, start=1):
        name = f'{mode}_{shots}shot_seed{seed}'
        if mode in FEATURE_MODES:
            start = time.time()
            if bank is None:
                bank = FeatureBank(cfg, args.test_split, args.feature, args.num_blocks)
                print_log(
                    f'Features ({bank.feature}, {bank.train_feats.shape[1]} dims) of '
                    f'{len(bank.train_labels)} training-set samples' +
                    ('' if bank.test_is_rest else f' and {len(bank.test_labels)} test samples') +
                    f' extracted once in {time.time() - start:.1f} s',
                    logger=logger)
                start = time.time()
            result = bank.evaluate(mode, shots, seed, k=args.knn_k, temperature=args.knn_t)
        else:
            run_cfg = make_run_config(
                cfg,
                mode,
                shots,
                seed,
                osp.join(work_dir, name),
                test_split=args.test_split,
                linear_lr=args.linear_lr,
                freeze=args.freeze,
                keep_checkpoints=args.keep_checkpoints,
                experiment_name=f'fewshot_{config_name}_{name}',
                num_classes=int((counts > 0).sum()),
                world_size=_world_size(args.launcher),
                probe_norm=args.probe_norm and mode == 'linear-runner')
            start = time.time()
            result = run_one(run_cfg)
        row = dict(
            mode=mode,
            shots=shots,
            seed=seed,
            top1=result['top1'],
            mean_per_class=result['mean_per_class'],
            num_test=int(result['confusion'].sum()),
            seconds=time.time() - start,
            work_dir=osp.join(work_dir, name),
            per_class=result['per_class'],
            confusion=result['confusion'])
        rows.append(row)
        print_log(
            f'[{i}/{len(runs)}] {mode} {shots}-shot seed {seed}: top-1 {row["top1"]:.2f} '
            f'%, mean per-class {row["mean_per_class"]:.2f} % on {row["num_test"]} test '
            f'samples ({row["seconds"]:.1f} s)',
            logger=logger)

    if is_main_process():
        best = best_run(rows)
        png = osp.join(work_dir, 'fewshot_confusion_best.png')
        plot_confusion_matrix(
            best['confusion'],
            info['class_names'],
            png,
            title=f"{config_name}\n{best['mode']}, {best['shots']} shots, seed {best['seed']}: "
            f"top-1 {best['top1']:.2f} %")
        paths = write_results(work_dir, rows, info['class_names'], args.config, best_png=png)
        table = '\n'.join(format_summary_row(row) for row in summarize(rows))
        print_log(
            'Few-shot results (top-1 | mean per-class accuracy, %, mean ± std over '
            f'seeds):\n| mode | shots | seeds | top-1 | mean per-class |\n{table}\n'
            f"Written: {paths['md']}, {paths['csv']}, {paths['runs_csv']}, {png}",
            logger=logger)
    finish_distributed()


if __name__ == '__main__':
    main()
