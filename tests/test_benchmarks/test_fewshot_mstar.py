"""benchmarks/fewshot_mstar.py: arguments, the configs it derives from the repo's, its report.

The end-to-end run (two pretrainings and four few-shot probes, each a tool subprocess) takes
minutes even in --quick mode, so the pieces are tested here on generated data.
"""
import os.path as osp

import pytest

from benchmarks import fewshot_mstar as bench


def test_defaults_and_quick():
    args = bench.parse_args([])
    assert (args.img_size, args.epochs, args.shots, args.seeds) == (64, 3, 10, [0, 1])
    quick = bench.parse_args(['--quick'])
    for key, value in bench.QUICK.items():
        assert getattr(quick, key) == value


@pytest.mark.parametrize('argv', [['--img-size', '60'], ['--epochs', '0'],
                                  ['--seeds', '1', '1'], ['--pool-limit', '0']])
def test_bad_arguments_are_rejected(argv, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert 'error' in capsys.readouterr().err


def test_probe_norm_is_on_by_default():
    assert bench.parse_args([]).probe_norm is True
    assert bench.parse_args(['--no-probe-norm']).probe_norm is False


def test_mstar_layout_is_used_when_present(tmp_path):
    (tmp_path / 'train.txt').write_text('train/2S1/a.jpeg 0\n')
    data = bench.resolve_data(bench.parse_args(['--data-root', str(tmp_path)]))
    assert data['kind'] == 'mstar' and data['transductive']
    assert data['labelled'] == dict(type='MSTAR', data_root=str(tmp_path), ann_file='train.txt')
    assert data['pool'] == dict(data_root=str(tmp_path), roots=['train'])
    forced = bench.resolve_data(bench.parse_args(
        ['--data-root', str(tmp_path), '--synthetic', '--quick', '--work-dir',
         str(tmp_path / 'wd')]))
    assert forced['kind'] == 'synthetic' and not forced['transductive']
    assert osp.isfile(osp.join(forced['labelled']['data_root'], 'meta', 'all.txt'))


def test_set_image_size_reaches_multiview_and_copies():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(bench.ROOT, bench.CONFIGS['simclr']))
    pipeline = cfg.train_dataloader.dataset.pipeline
    out = bench.set_image_size(pipeline, 32)
    assert out[1]['crop_size'] == 32
    view = out[2]['transforms'][0]
    assert [s['scale'] for s in view if s['type'] == 'RandomResizedCrop'] == [32]
    assert pipeline[1]['crop_size'] == 128  # the input is left unchanged


def _synthetic_data(root):
    return dict(labelled=dict(type='SARClassificationDataset',
                              data_root=osp.join(root, 'vehicles'), ann_file='meta/all.txt'),
                pool=dict(data_root=osp.join(root, 'unlabeled'), roots=['']), num_classes=5)


def _build(cfg):
    import sar_mm  # noqa: F401
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    model_cfg = dict(cfg.model, data_preprocessor=cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


def test_derived_configs(synthetic_root, tmp_path):
    import numpy as np
    import torch
    from mmcv.transforms import Compose
    from mmpretrain.registry import TRANSFORMS
    args = bench.parse_args(['--img-size', '32', '--batch', '16', '--epochs', '3',
                             '--probe-epochs', '4'])
    data = _synthetic_data(synthetic_root)
    files = bench.pool_files(data['pool'])
    mean, std = bench.draa_statistics(files, 32)
    assert len(files) == 64 and 0 < mean < 1 and 0 < std < 1

    jepa = bench.pretrain_config('sar_jepa', data, args, mean, std, str(tmp_path / 'j'))
    assert jepa.train_dataloader.batch_size == 16 and jepa.train_cfg.max_epochs == 3
    assert jepa.train_dataloader.dataset.data_root == data['pool']['data_root']
    assert jepa.model.backbone.img_size == 32 and jepa.model.window_size == 4
    assert jepa.data_preprocessor.mean == [mean]
    assert jepa.param_scheduler[-1]['end'] == 3
    simclr = bench.pretrain_config('simclr', data, args, mean, std, str(tmp_path / 's'))
    assert simclr.optim_wrapper.optimizer.lr == pytest.approx(0.3 * 16 / 256)  # linear scaling
    for cfg in (jepa, simclr):
        assert sum(p.numel() for p in _build(cfg).parameters()) > 0
        path = str(tmp_path / f'{cfg.model.type}.py')
        cfg.dump(path)  # the benchmark runs the dumped file
        assert osp.getsize(path) > 0

    ckpt = str(tmp_path / 'epoch_3.pth')
    vit = bench.probe_config('vit', data, args, mean, std, str(tmp_path / 'v'), ckpt)
    assert vit.model.backbone.img_size == 32 and vit.model.head.num_classes == 5
    assert vit.model.backbone.init_cfg['checkpoint'] == ckpt
    assert vit.model.backbone.init_cfg['missing'] == 'warn'  # ln2 is not pretrained
    for loader in (vit.train_dataloader, vit.test_dataloader):
        assert loader.dataset.type == 'SARClassificationDataset'
        assert loader.dataset.ann_file == 'meta/all.txt'
    assert vit.test_dataloader.dataset.fewshot_split == 'rest'
    assert vit.train_cfg.max_epochs == 4 and vit.param_scheduler[0]['T_max'] == 4
    resnet = bench.probe_config('resnet18', data, args, mean, std, str(tmp_path / 'r'))
    assert 'init_cfg' not in resnet.model.backbone
    model = _build(resnet)
    model.eval()
    steps = resnet.test_dataloader.dataset.pipeline
    pipeline = Compose([TRANSFORMS.build(t) for t in steps])
    sample = pipeline(dict(img_path=osp.join(synthetic_root, 'vehicles', 'images', 'tank',
                                             'tank_0000.png')))
    assert tuple(sample['inputs'].shape) == (1, 32, 32)
    batch = model.data_preprocessor(dict(inputs=[sample['inputs']],
                                         data_samples=[sample['data_samples']]))
    with torch.no_grad():
        scores = model(batch['inputs'], batch['data_samples'], mode='predict')[0].pred_score
    assert scores.shape == (5, ) and np.isfinite(scores.numpy()).all()


def test_report(tmp_path):
    csv_file = tmp_path / 'fewshot_results.csv'
    csv_file.write_text('mode,shots,num_seeds,top1_mean,top1_std,mean_per_class_mean,'
                        'mean_per_class_std\nlinear,10,3,61.5,2.0,60.0,1.5\n')
    assert bench.read_summary(str(csv_file)) == (61.5, 2.0, 60.0, 1.5)
    results = bench.add_gains([
        dict(backbone='R', init='random', top1=50.0, top1_std=1.0, per_class=49.0,
             per_class_std=1.0),
        dict(backbone='R', init='SimCLR', top1=61.5, top1_std=2.0, per_class=60.0,
             per_class_std=1.5, pretrain_seconds=12.0),
        dict(backbone='V', init='random', top1=40.0, top1_std=0.5, per_class=40.0,
             per_class_std=0.5),
        dict(backbone='V', init='SAR-JEPA', top1=38.0, top1_std=0.5, per_class=37.0,
             per_class_std=0.5),
    ])
    assert [r['gain'] for r in results] == [None, 11.5, None, -2.0]
    table = bench.format_table(results)
    assert '| R | SimCLR | 61.50 ± 2.00 | 60.00 ± 1.50 | +11.50 points |' in table
    assert '-2.00 points' in table
    md, csv_path = bench.write_report(str(tmp_path), 'header text', results)
    assert 'header text' in open(md).read()
    rows = open(csv_path).read().splitlines()
    assert rows[0].startswith('backbone,init,top1') and len(rows) == 5
    csv_file.write_text('mode,shots,num_seeds,top1_mean,top1_std,mean_per_class_mean,'
                        'mean_per_class_std\n')
    with pytest.raises(ValueError, match='one summary row'):
        bench.read_summary(str(csv_file))
