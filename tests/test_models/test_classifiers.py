"""SupConClassifier, MultiModalClassifier and the multi-view data preprocessor."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import sar_mm  # noqa: F401
from sar_mm.datasets import PairedModalityDataset, SARClassificationDataset
from sar_mm.datasets.synthetic import make_dual_polarisation_set
from sar_mm.models.losses import SupConLoss

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUPCON_CFG = osp.join(
    ROOT, 'configs/supcon/supcon-resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py')
MULTIMODAL_CFG = osp.join(
    ROOT, 'configs/multimodal/multimodal-supcon_resnet18-1ch-x2_1xb16-30e_synthetic-sar-'
    'vehicles-dualpol-10shot.py')
CHIP = 32  # size of the 'tiny' synthetic chips


def _small(model_cfg):
    """The config's model with a narrow ResNet-18 (8 base channels: 64-d features), for speed."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['backbone'].update(stem_channels=8, base_channels=8)
    branches = len(model_cfg.get('modality_channels', (1, )))
    model_cfg['head']['in_channels'] = 64 * branches
    model_cfg['projector'].update(in_channels=64, hid_channels=64, out_channels=32)
    return model_cfg


def _set_crop(pipeline, size):
    """Set the RandomResizedCrop scale of the MultiView transforms of a pipeline to ``size``."""
    for step in pipeline:
        if step['type'] == 'MultiView':
            for sub in step['transforms']:
                for t in sub:
                    if t['type'] == 'RandomResizedCrop':
                        t['scale'] = size
    return pipeline


@pytest.fixture(scope='module')
def dualpol_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('dualpol'))
    make_dual_polarisation_set(root, per_class=4, size=CHIP, seed=0)
    return root


def _build(cfg):
    """Model (with its data preprocessor) and the train/test pipelines of a config file."""
    model_cfg = _small(cfg.model)
    model_cfg['data_preprocessor'] = cfg.data_preprocessor
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    train = _set_crop(copy.deepcopy(cfg.train_dataloader.dataset.pipeline), CHIP)
    return model, train, cfg.val_dataloader.dataset.pipeline


def _batch(dataset_cls, pipeline, num=8, **kwargs):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = dataset_cls(ann_file='meta/all.txt', pipeline=pipeline, **kwargs)
        return [ds[i] for i in range(0, len(ds), max(1, len(ds) // num))][:num]


def _train_two_steps(model, data):
    torch.manual_seed(0)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train()
    logs = [model.train_step(copy.deepcopy(data), optim) for _ in range(2)]
    for log in logs:
        assert {'loss', 'loss_cls', 'loss_supcon'} <= set(log)
        assert all(math.isfinite(v.item()) for v in log.values())
    changed = {
        k
        for k, v in model.state_dict().items()
        if v.is_floating_point() and not torch.equal(v, before[k])
    }
    return logs, changed


# ---------------------------------------------------------------------- preprocessor
def test_multiview_preprocessor_takes_both_collates_and_single_views():
    pre = MODELS.build(dict(type='MultiViewClsDataPreprocessor', mean=[2.0], std=[4.0]))
    views = [torch.full((1, 4, 4), 2.0 + 4 * v) for v in range(3)]
    from mmpretrain.structures import DataSample
    samples = [
        dict(inputs=[t.clone() for t in views], data_samples=DataSample().set_gt_label(i))
        for i in range(2)
    ]
    for collate in (pseudo_collate, default_collate):
        out = pre(collate(copy.deepcopy(samples)), training=True)
        assert isinstance(out['inputs'], list) and len(out['inputs']) == 3
        for v, x in enumerate(out['inputs']):
            assert tuple(x.shape) == (2, 1, 4, 4) and torch.allclose(x, torch.full_like(x, v))
        assert [int(s.gt_label) for s in out['data_samples']] == [0, 1]
    single = pre(pseudo_collate([dict(inputs=views[1], data_samples=DataSample())] * 2))
    assert tuple(single['inputs'].shape) == (2, 1, 4, 4)
    mixing = MODELS.build(
        dict(
            type='MultiViewClsDataPreprocessor',
            num_classes=2,
            batch_augments=dict(augments=dict(type='Mixup', alpha=1.0))))
    with pytest.raises(ValueError, match='batch augmentations'):
        mixing(pseudo_collate(copy.deepcopy(samples)), training=True)


# ---------------------------------------------------------------------- SupConClassifier
def test_supcon_classifier_trains_and_predicts(synthetic_root):
    cfg = Config.fromfile(SUPCON_CFG)
    model, train, test = _build(cfg)
    root = osp.join(synthetic_root, 'vehicles')
    data = pseudo_collate(_batch(SARClassificationDataset, train, num=6, data_root=root))
    assert len(data['inputs']) == 2  # two views (each a sequence of the batch's chips)
    logs, changed = _train_two_steps(model, data)
    assert any(k.startswith('backbone.') for k in changed)
    assert any(k.startswith('projector.') for k in changed)
    assert any(k.startswith('head.') for k in changed)

    model.eval()
    batch = model.data_preprocessor(
        pseudo_collate(_batch(SARClassificationDataset, test, num=4, data_root=root)))
    preds = model(**batch, mode='predict')
    assert len(preds) == 4 and all(p.pred_score.shape == (5, ) for p in preds)
    with pytest.raises(ValueError, match='one image per sample'):
        model.predict([batch['inputs'], batch['inputs']])


def test_supcon_classifier_losses_are_ce_on_view0_and_supcon_on_all_views(synthetic_root):
    cfg = Config.fromfile(SUPCON_CFG)
    model, train, _ = _build(cfg)
    data = pseudo_collate(
        _batch(
            SARClassificationDataset, train, num=6, data_root=osp.join(synthetic_root, 'vehicles')))
    model.eval()  # BatchNorm on running statistics: features do not depend on the batch
    batch = model.data_preprocessor(data, training=True)
    views, samples = batch['inputs'], batch['data_samples']
    with torch.no_grad():
        losses = model.loss(views, samples)
        feats = [model.extract_feat(v)[-1] for v in views]
        ce = model.head.loss((feats[0], ), samples)['loss']
        z = torch.stack([model.projector((f, ))[0] for f in feats], dim=1)  # (N, 2, d)
        labels = torch.cat([s.gt_label for s in samples])
        supcon = SupConLoss(temperature=0.1, loss_weight=0.5)(z, labels)
    assert torch.allclose(losses['loss_cls'], ce, atol=1e-5)
    assert torch.allclose(losses['loss_supcon'], supcon, atol=1e-5)
    with pytest.raises(ValueError, match='several views'):
        model.loss(views[0], samples)
    model.separate_ce_view = True
    with pytest.raises(ValueError, match='needs at least 3'):
        model.loss(views, samples)


# ---------------------------------------------------------------------- MultiModalClassifier
def test_multimodal_classifier_trains_two_iterations(dualpol_root):
    cfg = Config.fromfile(MULTIMODAL_CFG)
    model, train, test = _build(cfg)
    assert len(model.backbone) == 2 and model.backbone[0] is not model.backbone[1]
    data = pseudo_collate(_batch(PairedModalityDataset, train, num=6, data_root=dualpol_root))
    assert len(data['inputs']) == 3  # the un-augmented pair + 2 augmented views
    logs, changed = _train_two_steps(model, data)
    for part in ('backbone.0.', 'backbone.1.', 'projector.0.', 'projector.1.', 'head.'):
        assert any(k.startswith(part) for k in changed), part

    model.eval()
    batch = model.data_preprocessor(
        pseudo_collate(_batch(PairedModalityDataset, test, num=4, data_root=dualpol_root)))
    assert tuple(batch['inputs'].shape) == (4, 2, CHIP, CHIP)
    preds = model(**batch, mode='predict')
    assert len(preds) == 4 and all(p.pred_score.shape == (5, ) for p in preds)
    assert model.extract_feat(batch['inputs'])[0].shape == (4, 128)
    assert [f[-1].shape[1]
            for f in model.extract_feat(batch['inputs'], stage='backbone')] == [64, 64]


def test_multimodal_supcon_treats_modalities_as_views(dualpol_root):
    cfg = Config.fromfile(MULTIMODAL_CFG)
    model, train, _ = _build(cfg)
    data = pseudo_collate(_batch(PairedModalityDataset, train, num=6, data_root=dualpol_root))
    model.eval()
    batch = model.data_preprocessor(data, training=True)
    views, samples = batch['inputs'], batch['data_samples']
    with torch.no_grad():
        losses = model.loss(views, samples)
        ce = model.head.loss(model.extract_feat(views[0]), samples)['loss']
        embeddings = []  # order: (modality a: view 1, view 2), (modality b: view 1, view 2)
        for m in range(2):
            for v in views[1:]:
                feat = model.neck[m](model.backbone[m](v[:, m:m + 1]))[-1]
                embeddings.append(model.projector[m]((feat, ))[0])
        z = torch.stack(embeddings, dim=1)  # (N, 4, d)
        supcon = SupConLoss(
            temperature=0.1, loss_weight=0.5)(z, torch.cat([s.gt_label for s in samples]))
    assert torch.allclose(losses['loss_cls'], ce, atol=1e-5)
    assert torch.allclose(losses['loss_supcon'], supcon, atol=1e-5)


def test_multimodal_classifier_checks_channels(dualpol_root):
    cfg = Config.fromfile(MULTIMODAL_CFG)
    model, _, test = _build(cfg)
    model.eval()
    with pytest.raises(ValueError, match=r'modality_channels=\(1, 1\)'):
        model.extract_feat(torch.zeros(2, 3, CHIP, CHIP))
    batch = model.data_preprocessor(
        pseudo_collate(_batch(PairedModalityDataset, test, num=2, data_root=dualpol_root)))
    for s in batch['data_samples']:
        s.set_metainfo(dict(modality_channels=(1, 3)))
    with pytest.raises(ValueError, match=r'data has modality_channels=\(1, 3\)'):
        model.predict(batch['inputs'], batch['data_samples'])
    with pytest.raises(ValueError, match='2 backbone configs for 3 modalities'):
        MODELS.build(
            dict(_small(cfg.model), modality_channels=(1, 1, 1), backbone=[cfg.model.backbone] * 2))


# ---------------------------------------------------------------------- configs in a Runner
@pytest.mark.parametrize('config, data', [(SUPCON_CFG, 'vehicles'), (MULTIMODAL_CFG, 'dualpol')])
def test_config_trains_two_iterations_in_a_runner(config, data, synthetic_root, dualpol_root,
                                                  tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.model = _small(cfg.model)
    cfg.work_dir = str(tmp_path / 'work')
    root = osp.join(synthetic_root, 'vehicles') if data == 'vehicles' else dualpol_root
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(num_workers=0, persistent_workers=False, batch_size=4)
        loader.dataset.update(data_root=root, num_shots=2)
    cfg.val_dataloader.dataset.indices = 8  # a short validation: the predict path and metrics
    _set_crop(cfg.train_dataloader.dataset.pipeline, CHIP)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    assert math.isfinite(hub.get_scalar('train/loss_supcon').current())
    assert 0 <= hub.get_scalar('val/accuracy/top1').current() <= 100
