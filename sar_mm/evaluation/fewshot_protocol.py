"""The few-shot recognition protocol of SAR-JEPA, run through mmengine's Runner.

W. Li et al., "Predicting gradient is better: Exploring self-supervised learning for SAR ATR
with a joint-embedding predictive architecture" (SAR-JEPA), ISPRS J. 2024: pretrained
backbones are compared by training a classifier on N labelled samples per class (N = 10, 20,
40), either fine-tuning the whole network or training a linear head on the frozen backbone
(linear probe), and reporting test accuracy as the mean and standard deviation over several
random draws of the N samples.

Here each run (mode, N, seed) is the config with

* ``train_dataloader.dataset``: ``num_shots=N``, ``seed=seed``, ``fewshot_split='train'`` (the
  stratified draw of :func:`sar_mm.datasets.fewshot.select_few_shot`);
* the test set: the config's ``test_dataloader``, whose dataset, when it reads the same
  samples as the training set, must be the complement of the draw (``fewshot_split='rest'``)
  and gets the same ``num_shots``/``seed``; ``test_split='rest'`` builds that complement from
  the training dataset even when the config tests elsewhere;
* no validation during training and no checkpoint selection: the model after the last
  training iteration is tested (the held-out samples are the test set, so choosing a
  checkpoint on them would leak);
* the training seed ``randomness.seed = seed``;
* ``linear-runner`` mode: :class:`~sar_mm.engine.hooks.FreezeModulesHook` on the backbone (and
  neck), frozen and in eval mode, and the head's learning rate (default ten times the config's
  fine-tuning one: a single linear layer on fixed features takes larger steps than a whole
  network; override it with ``linear_lr``).

Every run is a fresh :class:`mmengine.runner.Runner` in this process with its own experiment
name, hence its own logger, message hub, visualizer and default scope.
"""
import copy
import csv
import gc
import inspect
import logging
import os
import os.path as osp
from collections import OrderedDict

import numpy as np

#: Modes that train through the Runner (the network, or a linear head on it, by SGD).
RUNNER_MODES = ('finetune', 'linear-runner')
#: Modes on features extracted once (:mod:`sar_mm.evaluation.feature_probe`).
FEATURE_MODES = ('linear', 'knn')
MODES = ('finetune', 'linear', 'knn', 'linear-runner')

#: The test metrics of every run; the confusion matrix gives the per-class numbers.
TEST_EVALUATOR = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='PerClassAccuracy'),
    dict(type='ConfusionMatrix'),
]


class FewShotConfigError(ValueError):
    """A config (or an option) the few-shot protocol cannot run; the message says why."""


def _inner_dataset(dataloader_cfg, where):
    """The dataset config inside a dataloader config, through ``dataset=`` wrappers."""
    if dataloader_cfg is None or 'dataset' not in dataloader_cfg:
        raise FewShotConfigError(f'{where}: no dataset configured')
    dataset, path = dataloader_cfg['dataset'], f'{where}.dataset'
    while isinstance(dataset, dict) and 'dataset' in dataset and 'ann_file' not in dataset:
        dataset, path = dataset['dataset'], path + '.dataset'  # RepeatDataset & co.
    if not isinstance(dataset, dict):
        raise FewShotConfigError(f'{path}: expected a dataset config (dict), got '
                                 f'{type(dataset).__name__}')
    if 'datasets' in dataset:
        raise FewShotConfigError(f'{path}: a {dataset.get("type")} of several datasets cannot '
                                 'draw a per-class few-shot subset; use one dataset')
    return dataset, path


def _dataset_class(dataset_cfg, scope):
    from mmengine.registry import DATASETS, DefaultScope
    ds_type = dataset_cfg.get('type')
    if inspect.isclass(ds_type):
        return ds_type
    with DefaultScope.overwrite_default_scope(scope):
        with DATASETS.switch_scope_and_registry(scope) as registry:
            cls = registry.get(ds_type)
    if cls is None:
        raise FewShotConfigError(f'dataset type {ds_type!r} is not registered in {scope}')
    return cls


def check_fewshot_dataset(dataset_cfg, where, scope='mmpretrain'):
    """Fail clearly unless ``dataset_cfg`` builds a single-label dataset with ``num_shots``."""
    from mmpretrain.datasets import MultiLabelDataset
    cls = _dataset_class(dataset_cfg, scope)
    name = cls.__name__
    if issubclass(cls, MultiLabelDataset):
        raise FewShotConfigError(f'{where} ({name}) is multi-label; the few-shot protocol draws '
                                 'N samples per class of a single-label dataset')
    accepts = any('num_shots' in inspect.signature(c.__init__).parameters for c in cls.__mro__
                  if '__init__' in vars(c))
    if not accepts:
        raise FewShotConfigError(
            f'{where} ({name}) has no num_shots/seed few-shot sampling; use a sar_mm '
            'classification dataset (SARClassificationDataset, MSTAR, FUSARShip, ...) whose '
            'num_shots, seed and fewshot_split the protocol sets')
    return cls


def _source(dataset_cfg):
    return tuple(str(dataset_cfg.get(k)) for k in ('type', 'data_root', 'ann_file', 'data_prefix'))


def count_samples_per_class(dataset_cfg, scope='mmpretrain'):
    """Samples per class of the full (not few-shot) dataset, and its class names.

    Returns:
        tuple[np.ndarray, tuple[str]]: Counts ``(C,)`` and class names (indices as strings
        when the dataset has none).
    """
    from mmengine.registry import DATASETS, DefaultScope
    cfg = copy.deepcopy(dict(dataset_cfg))
    cfg.update(num_shots=None, pipeline=[])
    cfg.pop('fewshot_split', None)
    with DefaultScope.overwrite_default_scope(scope):
        dataset = DATASETS.build(cfg)
    labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    classes = dataset.metainfo.get('classes')
    num_classes = max(len(classes) if classes else 0, int(labels.max()) + 1)
    counts = np.bincount(labels, minlength=num_classes)
    names = tuple(str(c) for c in classes) if classes else tuple(str(i) for i in range(num_classes))
    return counts, names


def prepare_protocol(cfg, shots, test_split='config'):
    """Check the config and options; describe the training set.

    Args:
        cfg (mmengine.Config): The task config (already merged with command-line options).
        shots (Sequence[int]): Samples per class of each setting.
        test_split (str): ``'config'`` (the config's test set, synchronised with the draw when
            it is the complement) or ``'rest'`` (always the complement of the draw).

    Returns:
        dict: ``class_names``, ``counts`` (full training set per class) and ``test_split``.
    """
    where = osp.basename(cfg.filename or 'config')
    scope = cfg.get('default_scope', 'mmpretrain')
    if test_split not in ('config', 'rest'):
        raise FewShotConfigError(f"test split must be 'config' or 'rest', got {test_split!r}")
    train_ds, train_path = _inner_dataset(cfg.get('train_dataloader'), f'{where}: train_dataloader')
    check_fewshot_dataset(train_ds, train_path, scope)
    if cfg.get('test_dataloader') is None or cfg.get('test_cfg') is None:
        raise FewShotConfigError(f'{where}: the protocol tests every run and needs '
                                 'test_dataloader and test_cfg')
    test_ds, test_path = _inner_dataset(cfg.test_dataloader, f'{where}: test_dataloader')
    if test_split == 'config' and _source(test_ds) == _source(train_ds):
        if test_ds.get('num_shots') is None or test_ds.get('fewshot_split') != 'rest':
            raise FewShotConfigError(
                f"{test_path} reads the training samples without fewshot_split='rest' and "
                'num_shots: the test set would contain the training shots; set '
                "num_shots and fewshot_split='rest' there or pass --test-split rest")
    bad = [s for s in shots if int(s) != s or s < 1]
    if not shots or bad:
        raise FewShotConfigError(f'shots must be positive integers, got {list(shots)}')
    counts, names = count_samples_per_class(train_ds, scope)
    present = counts[counts > 0]
    smallest = int(present.min())
    too_many = [s for s in shots if s > smallest]
    if too_many:
        small = names[int(np.flatnonzero(counts == smallest)[0])]
        raise FewShotConfigError(
            f'--shots {" ".join(map(str, too_many))}: class {small!r} has only {smallest} '
            f'samples in {train_path} ({train_ds.get("ann_file") or train_ds.get("data_prefix")}'
            f'); at most {smallest} shots per class are possible')
    return dict(class_names=names, counts=counts, test_split=test_split)


def make_run_config(cfg,
                    mode,
                    shots,
                    seed,
                    work_dir,
                    test_split='config',
                    linear_lr=None,
                    freeze=None,
                    keep_checkpoints=False,
                    experiment_name=None,
                    num_classes=None,
                    world_size=1,
                    probe_norm=False):
    """The config of one run of the protocol (see the module docstring).

    With ``probe_norm`` (linear mode only), MAE's linear-probe feature normalisation is put
    between the frozen features and the head: a BatchNorm without affine parameters
    (mmpretrain's ``ClsBatchNormNeck``; He et al., CVPR 2022), after the model's own neck if it
    has one (``SequentialNeck``). Its statistics are learnt on the training shots; the frozen
    modules are then the backbone and the original neck. Features whose scale varies little
    between images (a short SAR-JEPA pretraining) become separable for the linear head.

    With ``num_classes`` given, a draw whose last training batch (per rank) would hold a single
    sample, which BatchNorm cannot normalise in training, drops that batch (``drop_last``).
    """
    if mode not in RUNNER_MODES:
        raise FewShotConfigError(f'a Runner mode is one of {RUNNER_MODES}, got {mode!r}')
    cfg = copy.deepcopy(cfg)
    where = osp.basename(cfg.filename or 'config')
    train_ds, _ = _inner_dataset(cfg.train_dataloader, f'{where}: train_dataloader')
    train_ds.update(num_shots=int(shots), seed=int(seed), fewshot_split='train')
    batch_size = cfg.train_dataloader.get('batch_size')
    if num_classes and batch_size and train_ds is cfg.train_dataloader['dataset']:
        per_rank = -(-int(shots) * int(num_classes) // int(world_size))
        if per_rank > batch_size and per_rank % batch_size == 1:
            cfg.train_dataloader['drop_last'] = True
    if test_split == 'rest':
        test_pipeline = _inner_dataset(cfg.test_dataloader, 'test_dataloader')[0].get('pipeline')
        rest = copy.deepcopy(dict(train_ds))
        rest.update(fewshot_split='rest', pipeline=test_pipeline)
        cfg.test_dataloader = dict(cfg.test_dataloader, dataset=rest)
    else:
        test_ds, _ = _inner_dataset(cfg.test_dataloader, f'{where}: test_dataloader')
        if test_ds.get('num_shots') is not None:
            test_ds.update(num_shots=int(shots), seed=int(seed))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_evaluator = copy.deepcopy(TEST_EVALUATOR)
    cfg.work_dir = work_dir
    cfg.experiment_name = experiment_name or osp.basename(work_dir)
    cfg.resume = False
    randomness = dict(cfg.get('randomness') or {})
    randomness['seed'] = int(seed)
    cfg.randomness = randomness
    hooks = cfg.get('default_hooks') or {}
    if hooks.get('checkpoint') is not None:
        hooks['checkpoint'].update(interval=-1, save_last=bool(keep_checkpoints), save_best=None)
    if probe_norm and mode != 'linear-runner':
        raise FewShotConfigError('probe_norm (--probe-norm) applies to the linear-runner mode '
                                 'only')
    if mode == 'linear-runner':
        own_neck = cfg.model.get('neck')
        if probe_norm:
            dim = (cfg.model.get('head') or {}).get('in_channels')
            if not dim:
                raise FewShotConfigError(f'{where}: model.head.in_channels is needed for the '
                                         'probe feature BatchNorm (--probe-norm)')
            norm = dict(type='ClsBatchNormNeck', input_features=int(dim))
            cfg.model['neck'] = (
                dict(type='SequentialNeck', necks=[own_neck, norm]) if own_neck else norm)
        if freeze is None:
            if own_neck:
                freeze = ('backbone', 'neck.necks.0') if probe_norm else ('backbone', 'neck')
            else:
                freeze = ('backbone', )
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='FreezeModulesHook', modules=tuple(freeze), eval_mode=True)
        ]
        cfg.find_unused_parameters = True  # the frozen parameters get no gradient under DDP
        if cfg.get('model_wrapper_cfg'):
            cfg.model_wrapper_cfg['find_unused_parameters'] = True
        optimizer = cfg.optim_wrapper.get('optimizer')
        if optimizer is None or 'lr' not in optimizer:
            raise FewShotConfigError(f'{where}: optim_wrapper.optimizer.lr is needed to set '
                                     'the linear-probe learning rate')
        optimizer['lr'] = float(linear_lr) if linear_lr is not None else 10 * optimizer['lr']
    return cfg


class FeatureBank:
    """Frozen features of a config's model, extracted once per split, for ``linear``/``knn``.

    The model is the config's (its ``init_cfg`` loads the pretrained weights), in eval mode.
    The training set is read **in full** (no few-shot draw) with the config's *test* pipeline
    and passed through the backbone once; each (shots, seed) draw then indexes those features
    with the same stratified draw the dataset would make (:func:`select_few_shot` on the same
    labels and file keys), and its test set is the complement (``test_split='rest'``, or a
    config test set that is the held-out rest of the training list). A config test set read from
    other files (the 15 deg chips) is extracted once too. ``num_forward_batches`` counts the
    batches the backbone saw. The model is built after seeding with ``randomness.seed``
    (default 0), so a random initialisation is reproducible.

    Args:
        cfg (mmengine.Config): The task config, checked by :func:`prepare_protocol`.
        test_split (str): As in :func:`prepare_protocol`.
        feature (str), num_blocks (int): See
            :func:`sar_mm.evaluation.feature_probe.prepare_backbone_for_features`.
    """

    def __init__(self, cfg, test_split='config', feature='auto', num_blocks=1):
        from mmengine.registry import DefaultScope

        from sar_mm.evaluation.feature_probe import prepare_backbone_for_features
        self.scope = cfg.get('default_scope', 'mmpretrain')
        where = osp.basename(cfg.filename or 'config')
        train_ds, _ = _inner_dataset(cfg.train_dataloader, f'{where}: train_dataloader')
        test_ds, _ = _inner_dataset(cfg.test_dataloader, f'{where}: test_dataloader')
        full = copy.deepcopy(dict(train_ds))
        full.update(num_shots=None, pipeline=copy.deepcopy(test_ds.get('pipeline')))
        full.pop('fewshot_split', None)
        self.test_is_rest = test_split == 'rest' or _source(test_ds) == _source(train_ds)
        model_cfg, self.feature = prepare_backbone_for_features(cfg.model, feature, num_blocks)
        if cfg.get('data_preprocessor') is not None:
            model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
        self.num_forward_batches = 0
        # a random-init model is the same one on every call: seed as the Runner would
        from mmengine.runner import set_random_seed
        set_random_seed(int((cfg.get('randomness') or {}).get('seed') or 0))
        with DefaultScope.overwrite_default_scope(self.scope):
            from mmengine.registry import MODELS
            self.model = MODELS.build(model_cfg)
            self.model.init_weights()
            if any(
                    h.get('type') in ('ChannelsLastHook', 'mmengine.ChannelsLastHook')
                    for h in cfg.get('custom_hooks') or []):
                from sar_mm.engine.hooks import to_channels_last
                to_channels_last(self.model)
            self.train_feats, self.train_labels, keys = self._extract(cfg, full)
            if self.test_is_rest:
                self.test_feats = self.test_labels = None
            else:
                test = copy.deepcopy(dict(test_ds))
                self.test_feats, self.test_labels, _ = self._extract(cfg, test)
        self.keys = keys
        self.num_classes = int(
            max(self.train_labels.max(),
                -1 if self.test_labels is None else self.test_labels.max())) + 1

    def _extract(self, cfg, dataset_cfg):
        from mmengine.runner import Runner

        from sar_mm.evaluation.feature_probe import extract_features
        loader_cfg = copy.deepcopy(dict(cfg.test_dataloader))
        loader_cfg.update(dataset=dataset_cfg, sampler=dict(type='DefaultSampler', shuffle=False))
        loader = Runner.build_dataloader(loader_cfg)
        counted = _CountingLoader(loader)
        feats, labels = extract_features(self.model, counted, self.feature)
        self.num_forward_batches += counted.batches
        dataset = loader.dataset
        keys = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
        if len(feats) != len(dataset):
            raise RuntimeError(f'extracted {len(feats)} features of {len(dataset)} samples')
        return feats, labels, keys

    def split(self, shots, seed):
        """``(train_feats, train_labels, test_feats, test_labels)`` of one draw."""
        from sar_mm.datasets.fewshot import select_few_shot
        chosen = np.asarray(
            select_few_shot(self.train_labels, int(shots), int(seed), keys=self.keys))
        mask = np.zeros(len(self.train_labels), dtype=bool)
        mask[chosen] = True
        if self.test_is_rest:
            test_feats, test_labels = self.train_feats[~mask], self.train_labels[~mask]
        else:
            test_feats, test_labels = self.test_feats, self.test_labels
        return self.train_feats[mask], self.train_labels[mask], test_feats, test_labels

    def evaluate(self, mode, shots, seed, k=20, temperature=0.07, cv_folds=5):
        """Test metrics of one (mode, shots, seed), as :func:`run_one` returns them, plus the
        chosen ``C`` of the linear probe."""
        from sar_mm.evaluation.feature_probe import accuracy_metrics, fit_linear_probe, knn_predict
        x_train, y_train, x_test, y_test = self.split(shots, seed)
        extra = {}
        if mode == 'linear':
            probe, info = fit_linear_probe(x_train, y_train, cv_folds=cv_folds, seed=seed)
            preds = probe.predict(np.asarray(x_test, np.float64))
            extra['C'] = info['C']
        elif mode == 'knn':
            preds = knn_predict(
                x_train, y_train, x_test, self.num_classes, k=k, temperature=temperature)
        else:
            raise FewShotConfigError(f'a feature mode is one of {FEATURE_MODES}, got {mode!r}')
        return dict(accuracy_metrics(preds, y_test, self.num_classes), **extra)


class _CountingLoader:
    """Iterate a dataloader, counting its batches."""

    def __init__(self, loader):
        self.loader, self.batches = loader, 0

    def __iter__(self):
        for batch in self.loader:
            self.batches += 1
            yield batch


def _close_logger_files(logger):
    for handler in list(logger.handlers):
        if isinstance(handler, logging.FileHandler):
            handler.close()
            logger.removeHandler(handler)


def run_one(run_cfg):
    """Train and test one run in this process; returns its test metrics.

    Returns:
        dict: ``top1`` and ``mean_per_class`` (percent), ``confusion`` (``(C, C)`` counts, rows
        true and columns predicted classes) and ``per_class`` (percent, NaN for classes absent
        from the test set).
    """
    from sar_mm.engine import build_runner
    runner = build_runner(run_cfg)
    try:
        runner.train()
        metrics = runner.test()
    finally:
        _close_logger_files(runner.logger)
        del runner
        gc.collect()
    from sar_mm.evaluation.feature_probe import per_class_from_confusion
    confusion = np.asarray(metrics['confusion_matrix/result'], dtype=np.int64)  # (C, C)
    per_class = per_class_from_confusion(confusion)
    return dict(
        top1=float(metrics['accuracy/top1']),
        mean_per_class=float(metrics['per_class_accuracy/mean']),
        confusion=confusion,
        per_class=per_class)


def _mean_std(values):
    values = np.asarray(values, dtype=np.float64)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), std


def summarize(rows):
    """Mean and sample standard deviation (ddof=1; 0 for one seed) over seeds per setting.

    Args:
        rows (list[dict]): Per-run results with ``mode``, ``shots``, ``top1`` and
            ``mean_per_class``.

    Returns:
        list[dict]: One row per (mode, shots), in first-seen order.
    """
    groups = OrderedDict()
    for row in rows:
        groups.setdefault((row['mode'], row['shots']), []).append(row)
    out = []
    for (mode, shots), runs in groups.items():
        top1, top1_std = _mean_std([r['top1'] for r in runs])
        mpc, mpc_std = _mean_std([r['mean_per_class'] for r in runs])
        out.append(
            dict(
                mode=mode,
                shots=shots,
                num_seeds=len(runs),
                top1_mean=top1,
                top1_std=top1_std,
                mean_per_class_mean=mpc,
                mean_per_class_std=mpc_std))
    return out


def best_run(rows):
    """The run with the highest top-1 accuracy (then mean per-class accuracy; first on ties)."""
    return max(enumerate(rows), key=lambda ir: (ir[1]['top1'], ir[1]['mean_per_class'], -ir[0]))[1]


SUMMARY_FIELDS = ('mode', 'shots', 'num_seeds', 'top1_mean', 'top1_std', 'mean_per_class_mean',
                  'mean_per_class_std')
RUN_FIELDS = ('mode', 'shots', 'seed', 'top1', 'mean_per_class', 'num_test', 'seconds', 'work_dir')


def format_summary_row(row):
    """A summary row as the markdown table shows it (percent, two decimals)."""
    return (f"| {row['mode']} | {row['shots']} | {row['num_seeds']} | "
            f"{row['top1_mean']:.2f} ± {row['top1_std']:.2f} | "
            f"{row['mean_per_class_mean']:.2f} ± {row['mean_per_class_std']:.2f} |")


def write_results(work_dir, rows, class_names, config, best_png=None):
    """``fewshot_results.md``, ``fewshot_results.csv`` (per setting) and ``fewshot_runs.csv``.

    Returns:
        dict: Paths of the files written (``md``, ``csv``, ``runs_csv``).
    """
    os.makedirs(work_dir, exist_ok=True)
    summary = summarize(rows)
    paths = dict(
        md=osp.join(work_dir, 'fewshot_results.md'),
        csv=osp.join(work_dir, 'fewshot_results.csv'),
        runs_csv=osp.join(work_dir, 'fewshot_runs.csv'))
    with open(paths['csv'], 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=SUMMARY_FIELDS)
        writer.writeheader()
        for row in summary:
            writer.writerow({
                k: (f'{v:.6f}' if isinstance(v, float) else v)
                for k, v in row.items()
            })
    class_fields = [f'acc_{name}' for name in class_names]
    with open(paths['runs_csv'], 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(list(RUN_FIELDS) + class_fields)
        for row in rows:
            values = [row[k] for k in RUN_FIELDS] + list(row['per_class'])
            writer.writerow(
                [f'{v:.6f}' if isinstance(v, (float, np.floating)) else v for v in values])
    best = best_run(rows)
    lines = [
        '# Few-shot evaluation',
        '',
        f'Config: `{config}`. Top-1 and mean per-class accuracy (%) on the test set, mean ± '
        'sample standard deviation over the seeds of the few-shot draw; `finetune` trains the '
        'whole network, `linear` only the head on the frozen backbone.',
        '',
        '| mode | shots | seeds | top-1 (%) | mean per-class acc. (%) |',
        '| --- | --- | --- | --- | --- |',
    ] + [format_summary_row(row) for row in summary] + [
        '',
        '## Runs',
        '',
        '| mode | shots | seed | top-1 (%) | mean per-class acc. (%) | test samples | time (s) |',
        '| --- | --- | --- | --- | --- | --- | --- |',
    ] + [
        f"| {r['mode']} | {r['shots']} | {r['seed']} | {r['top1']:.2f} | "
        f"{r['mean_per_class']:.2f} | {r['num_test']} | {r['seconds']:.1f} |" for r in rows
    ] + [
        '',
        f"Best run: {best['mode']}, {best['shots']} shots, seed {best['seed']} (top-1 "
        f"{best['top1']:.2f} %)" +
        (f'; confusion matrix: `{osp.basename(best_png)}`.' if best_png else '.'),
        '',
    ]
    with open(paths['md'], 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    return paths


def read_results(csv_file):
    """The per-(mode, shots) rows of ``fewshot_results.csv`` as :func:`write_results` writes them
    (floats, shots as int; an empty std, one seed, reads as 0)."""
    with open(csv_file, newline='') as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f'{csv_file}: no result rows')
    out = []
    for row in rows:
        out.append(
            dict(
                mode=row['mode'],
                shots=int(row['shots']),
                num_seeds=int(row['num_seeds']),
                top1=float(row['top1_mean']),
                top1_std=float(row['top1_std'] or 0.0),
                per_class=float(row['mean_per_class_mean']),
                per_class_std=float(row['mean_per_class_std'] or 0.0)))
    return out


def plot_confusion_matrix(confusion, class_names, out_file, title=''):
    """Save a confusion matrix (rows: true class, columns: predicted class) as a PNG.

    The figure is mmpretrain's :meth:`mmpretrain.evaluation.ConfusionMatrix.plot` of the counts
    (written in the cells up to 30 classes), with ``title`` above it.

    Args:
        confusion (array-like): ``(C, C)`` integer counts.
        class_names (Sequence[str]): Class names; classes beyond them are named by index.
        out_file (str): The PNG to write.
        title (str): Figure title.

    Returns:
        str: ``out_file``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch
    from mmpretrain.evaluation import ConfusionMatrix
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f'plot_confusion_matrix: expected a (C, C) matrix, got shape '
                         f'{confusion.shape}')
    n = confusion.shape[0]
    names = list(class_names)[:n] + [str(i) for i in range(len(class_names), n)]
    fig = ConfusionMatrix.plot(
        torch.as_tensor(confusion.astype(np.int64)),
        include_values=n <= 30,
        cmap='Blues',
        classes=names,
        colorbar=True,
        show=False)
    fig.axes[0].set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
    return out_file


def plot_accuracy_vs_shots(curves, out_file, title=''):
    """Save accuracy against shots per class with error bars, one panel per mode, as a PNG.

    Args:
        curves (dict): ``{mode: {label: [(shots, mean, std), ...]}}``, e.g. ``{'linear':
            {'SARResNet-18, random init': [(10, 54.1, 1.5), (20, 60.6, 2.2)]}}``.
        out_file (str): The PNG written.
        title (str): Figure title.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if not curves:
        raise ValueError('plot_accuracy_vs_shots: no curves to plot')
    fig, axes = plt.subplots(
        1, len(curves), figsize=(4.6 * len(curves) + 0.6, 4.2), squeeze=False, sharey=True)
    for ax, (mode, lines) in zip(axes[0], curves.items()):
        for label, points in lines.items():
            points = sorted(points)
            shots, mean, std = (np.asarray(v, dtype=np.float64) for v in zip(*points))
            ax.errorbar(shots, mean, yerr=std, marker='o', capsize=3, label=label)
        ax.set_xscale('log', base=2)
        all_shots = sorted({p[0] for pts in lines.values() for p in pts})
        ax.set_xticks(all_shots, [str(s) for s in all_shots])
        ax.set_xlabel('shots per class')
        ax.set_title(mode)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel('top-1 accuracy (%)')
    axes[0][-1].legend(fontsize=8, loc='lower right')
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
    return out_file


def gain_over(mean, std, ref_mean, ref_std):
    """Gain of a result over a reference, and whether it exceeds their seed spread.

    Args:
        mean, std (float): Mean and standard deviation over seeds of the result (percent).
        ref_mean, ref_std (float): Those of the reference (e.g. the best random init).

    Returns:
        dict: ``gain`` (``mean - ref_mean``) and ``beyond_spread``: the gain is larger than the
        two standard deviations summed, i.e. the intervals mean ± std do not overlap.
    """
    gain = float(mean) - float(ref_mean)
    return dict(gain=gain, beyond_spread=bool(gain > float(std) + float(ref_std)))
