"""Weighted k-nearest-neighbour accuracy of backbone features during self-supervised training.

The kNN classifier and the feature pooling are :mod:`sar_mm.evaluation.knn`'s; here are the hook
and the gathering of what each rank extracted.
"""
import copy
import time

import torch
import torch.nn.functional as F
from mmengine.dataset import DefaultSampler
from mmengine.dist import all_gather, get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from sar_mm.evaluation.knn import features_to_vectors, weighted_knn_predict
from sar_mm.registry import HOOKS


def merge_shards(shards, dataset_len):
    """Order and de-duplicate what each rank extracted with a non-shuffling ``DefaultSampler``.

    ``DefaultSampler(shuffle=False)`` gives rank ``r`` of ``W`` the dataset positions
    ``r, r + W, r + 2W, ...`` (wrapping around to pad every rank to the same count), so the
    ``i``-th sample seen by rank ``r`` is position ``r + i W``; positions ``>= dataset_len`` are
    padding repeats and are dropped.

    Args:
        shards (Sequence[tuple[torch.Tensor, torch.Tensor]]): ``(feats (n_r, D), labels (n_r,))``
            of each rank, in rank order.
        dataset_len (int): Number of samples in the dataset.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: Features ``(dataset_len, D)`` and labels in dataset
        order.
    """
    world_size = len(shards)
    positions, feats, labels = [], [], []
    for rank, (f, lab) in enumerate(shards):
        positions.append(rank + world_size * torch.arange(f.shape[0], device=f.device))
        feats.append(f)
        labels.append(lab)
    positions, feats, labels = torch.cat(positions), torch.cat(feats), torch.cat(labels)
    keep = positions < dataset_len
    positions, feats, labels = positions[keep], feats[keep], labels[keep]
    order = positions.argsort()
    positions = positions[order]
    if positions.numel() != dataset_len or not torch.equal(
            positions, torch.arange(dataset_len, device=positions.device)):
        raise RuntimeError(f'the ranks extracted {positions.numel()} of the {dataset_len} samples; '
                           'the kNN dataloaders need DefaultSampler(shuffle=False)')
    return feats[order], labels[order]


def _gather_shards(feats, labels):
    """All ranks' ``(feats, labels)``, padded to a common length for ``all_gather`` and cut back."""
    world_size = get_dist_info()[1]
    if world_size == 1:
        return [(feats, labels)]
    shape = torch.tensor(list(feats.shape), device=feats.device)
    shapes = [s.tolist() for s in all_gather(shape)]
    counts = [int(s[0]) for s in shapes]
    dim, pad = max(int(s[1]) for s in shapes), max(counts) - feats.shape[0]
    feats_p = F.pad(feats, (0, dim - feats.shape[1], 0, pad))  # (max_n, D)
    labels_p = F.pad(labels, (0, pad), value=-1)  # (max_n,)
    all_feats, all_labels = all_gather(feats_p), all_gather(labels_p)
    return [(f[:n].to(feats.device), lab[:n].to(feats.device))
            for f, lab, n in zip(all_feats, all_labels, counts)]


@HOOKS.register_module()
class KNNAccuracyHook(Hook):
    """Weighted kNN top-1 accuracy of backbone features on a labelled set, during pretraining.

    Self-supervised pretraining has no accuracy to watch; this hook measures how well the
    current backbone separates classes without any training: every ``interval`` epochs (or
    iterations) it extracts features of a labelled *memory bank* (``train_dataloader``) and of a
    labelled *query* set (``val_dataloader``), and classifies each query by the weighted vote of
    its ``k`` nearest bank samples in cosine similarity (see
    :func:`~sar_mm.evaluation.knn.weighted_knn_predict`: weights ``exp(sim / T)``, Wu et al.
    2018, DINO 2021).

    Features are those of ``model.backbone`` (``model.neck`` too with ``use_neck=True``),
    with the model unwrapped from its DDP wrapper, in eval mode and without gradients (its
    train/eval state is restored afterwards); inputs go through ``model.data_preprocessor``
    (a list of views, as ``SelfSupDataPreprocessor`` returns, gives its first view). A feature
    map is global-average-pooled, a ViT class token (``out_type='cls_token'``) used as is
    (:func:`~sar_mm.evaluation.knn.features_to_vectors`).

    **Distributed**: each rank extracts its shard through a ``DefaultSampler(shuffle=False)``
    (enforced); the shards are all-gathered, put back in dataset order and the sampler's padding
    repeats dropped, so every rank scores the same full sets as a single-process run.

    The accuracy (percent) goes to ``runner.message_hub`` as ``<prefix>/top1`` (the first
    ``k``) and, when ``k`` lists several values, ``<prefix>/top1_k<k>`` each; it is written to
    the log and to the visualizer's scalars (step: the training iteration).

    The dataloaders take a single-view test pipeline ending with ``PackInputs``::

        knn_pipeline = [dict(type='LoadSARImage', to='db'), dict(type='PackInputs')]
        custom_hooks = [dict(
            type='KNNAccuracyHook', interval=1, k=(10, 20), temperature=0.07,
            train_dataloader=dict(batch_size=64, num_workers=2, dataset=dict(
                type='MSTAR', data_root='data/mstar', data_prefix='17_DEG',
                pipeline=knn_pipeline)),
            val_dataloader=dict(batch_size=64, num_workers=2, dataset=dict(
                type='MSTAR', data_root='data/mstar', data_prefix='15_DEG',
                pipeline=knn_pipeline)))]

    Args:
        train_dataloader (dict | DataLoader): The labelled memory bank, as a dataloader config
            (``sampler`` defaults to ``DefaultSampler(shuffle=False)``, ``collate_fn`` to
            ``default_collate``, ``batch_size`` to 32, ``num_workers`` to 0).
        val_dataloader (dict | DataLoader): The labelled query set, likewise.
        interval (int): Evaluate every ``interval`` epochs (``by_epoch=True``) or iterations,
            and after the last one. Defaults to 1.
        by_epoch (bool): Count ``interval`` in epochs, else in iterations. Defaults to True.
        k (int | Sequence[int]): Number(s) of neighbours. Defaults to 20.
        temperature (float): Temperature of the vote weights. Defaults to 0.07.
        use_neck (bool): Pass the backbone features through ``model.neck`` (e.g. SimCLR's
            projection) before the kNN. Defaults to False.
        out_index (int): Which backbone output to use when it returns several. Defaults to -1.
        evaluate_before_train (bool): Also evaluate once before the first iteration (the
            initialisation's baseline). Defaults to False.
        prefix (str): Prefix of the logged keys. Defaults to ``'knn'``.
    """
    priority = 'LOW'

    def __init__(self,
                 train_dataloader,
                 val_dataloader,
                 interval=1,
                 by_epoch=True,
                 k=20,
                 temperature=0.07,
                 use_neck=False,
                 out_index=-1,
                 evaluate_before_train=False,
                 prefix='knn'):
        if int(interval) != interval or interval < 1:
            raise ValueError(f'KNNAccuracyHook: interval must be a positive integer, got '
                             f'{interval}')
        self.ks = (k, ) if isinstance(k, int) else tuple(k)
        if not self.ks or any(int(kk) != kk or kk < 1 for kk in self.ks):
            raise ValueError(f'KNNAccuracyHook: k must be positive integers, got {k}')
        if temperature <= 0:
            raise ValueError(f'KNNAccuracyHook: temperature must be positive, got {temperature}')
        self.loader_cfgs = dict(train=train_dataloader, val=val_dataloader)
        self.interval = int(interval)
        self.by_epoch = by_epoch
        self.temperature = float(temperature)
        self.use_neck = use_neck
        self.out_index = out_index
        self.evaluate_before_train = evaluate_before_train
        self.prefix = prefix
        self._loaders = None

    # ----------------------------------------------------------------------------- data
    @staticmethod
    def _loader_cfg(cfg, which):
        cfg = copy.deepcopy(dict(cfg))
        sampler = dict(cfg.get('sampler') or dict(type='DefaultSampler', shuffle=False))
        if not str(sampler.get('type', '')).endswith('DefaultSampler') or \
                sampler.get('shuffle', True):
            raise ValueError(f'KNNAccuracyHook: {which}_dataloader needs '
                             f'sampler=dict(type="DefaultSampler", shuffle=False), got {sampler}')
        if cfg.get('drop_last', False):
            raise ValueError(f'KNNAccuracyHook: {which}_dataloader must not drop_last')
        cfg['sampler'] = sampler
        cfg.setdefault('collate_fn', dict(type='default_collate'))
        cfg.setdefault('batch_size', 32)
        cfg.setdefault('num_workers', 0)
        if not cfg['num_workers']:
            cfg['persistent_workers'] = False
        return cfg

    def _build_loaders(self, runner):
        loaders = {}
        for which, cfg in self.loader_cfgs.items():
            if isinstance(cfg, dict):
                loader = runner.build_dataloader(self._loader_cfg(cfg, which), seed=runner.seed)
            else:
                loader = cfg
            sampler = loader.sampler
            if not isinstance(sampler, DefaultSampler) or sampler.shuffle:
                raise ValueError(f'KNNAccuracyHook: {which}_dataloader needs a '
                                 'DefaultSampler(shuffle=False)')
            loaders[which] = loader
        return loaders

    # ----------------------------------------------------------------------------- features
    @torch.no_grad()
    def _extract(self, model, loader, which):
        feats, labels = [], []
        for data in loader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs']
            if isinstance(inputs, (list, tuple)):
                if inputs and inputs[0].ndim == 3:  # one (C, H, W) tensor per sample
                    inputs = torch.stack(list(inputs))
                else:  # a list of views, each (N, C, H, W)
                    inputs = inputs[0]
            out = model.backbone(inputs)
            if self.use_neck:
                out = model.neck(out)
            feats.append(features_to_vectors(out, self.out_index))  # (N, D)
            samples = data.get('data_samples')
            if not samples or 'gt_label' not in samples[0]:
                raise ValueError(f'KNNAccuracyHook: the samples of {which}_dataloader have no '
                                 'gt_label; the kNN sets must be labelled')
            for sample in samples:
                gt = sample.gt_label.reshape(-1)
                if gt.numel() != 1:
                    raise ValueError(f'KNNAccuracyHook: {which}_dataloader is multi-label; '
                                     'the kNN accuracy is single-label')
                labels.append(int(gt[0]))
        # a rank without samples (round_up=False, fewer samples than ranks) still joins the
        # all_gather with an empty (0, 0) block
        feats = torch.cat(feats) if feats else torch.zeros(0, 0)  # (n_rank, D)
        labels = torch.tensor(labels, dtype=torch.long, device=feats.device)
        feats, labels = merge_shards(_gather_shards(feats, labels), len(loader.dataset))
        return feats, labels

    # ----------------------------------------------------------------------------- kNN
    def evaluate(self, runner, iters_done=None, epochs_done=None):
        """Extract both sets, classify, log; returns ``{key: accuracy in percent}``.

        ``iters_done``/``epochs_done`` (training iterations/epochs completed, the visualizer
        step) default to ``runner.iter``/``runner.epoch``.
        """
        iters_done = runner.iter if iters_done is None else iters_done
        epochs_done = runner.epoch if epochs_done is None else epochs_done
        start = time.time()
        if self._loaders is None:
            self._loaders = self._build_loaders(runner)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        try:
            bank_feats, bank_labels = self._extract(model, self._loaders['train'], 'train')
            query_feats, query_labels = self._extract(model, self._loaders['val'], 'val')
        finally:
            model.train(was_training)
        classes = self._loaders['train'].dataset.metainfo.get('classes')
        num_classes = max(
            len(classes) if classes else 0,
            int(max(bank_labels.max(), query_labels.max())) + 1)
        preds = weighted_knn_predict(bank_feats, bank_labels, query_feats, num_classes, self.ks,
                                     self.temperature)
        results = {}
        for i, kk in enumerate(self.ks):
            acc = 100.0 * (preds[kk] == query_labels.to(preds[kk].device)).float().mean().item()
            if i == 0:
                results[f'{self.prefix}/top1'] = acc
            if len(self.ks) > 1:
                results[f'{self.prefix}/top1_k{kk}'] = acc
        for key, value in results.items():
            runner.message_hub.update_scalar(key, value)
        runner.visualizer.add_scalars(results, step=iters_done)
        text = '  '.join(f'{key}: {value:.2f}' for key, value in results.items())
        runner.logger.info(
            f'kNN accuracy after {iters_done} iterations, {epochs_done} epochs (k={self.ks}, '
            f'T={self.temperature}, {len(query_labels)} queries, {len(bank_labels)} bank '
            f'samples, {time.time() - start:.1f} s): {text}')
        return results

    def before_train(self, runner):
        if self.evaluate_before_train:
            self.evaluate(runner)

    # the loops count runner.iter / runner.epoch up after these hooks: +1 for the one just done
    def after_train_epoch(self, runner):
        if self.by_epoch and (self.every_n_epochs(runner, self.interval)
                              or self.is_last_train_epoch(runner)):
            self.evaluate(runner, runner.iter, runner.epoch + 1)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if not self.by_epoch and (self.every_n_train_iters(runner, self.interval)
                                  or self.is_last_train_iter(runner)):
            self.evaluate(runner, runner.iter + 1, runner.epoch)
