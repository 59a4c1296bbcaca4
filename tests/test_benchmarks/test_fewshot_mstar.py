"""benchmarks/fewshot_mstar.py: arguments, the configs it derives from the repo's, its report,
and a smoke run end to end on the tiny generated set (one pretraining, two evaluations)."""
import csv
import os.path as osp

import pytest

from benchmarks import fewshot_mstar as bench


def test_defaults_and_quick():
    args = bench.parse_args([])
    assert (args.shots, args.seeds, args.modes) == ([10, 20,
                                                     40], [0, 1, 2], ['linear', 'knn', 'finetune'])
    assert args.methods == list(bench.METHODS) and args.checkpoints == {}
    quick = bench.parse_args(['--quick'])
    for key, value in bench.QUICK.items():
        assert getattr(quick, key) == value
    assert quick.synthetic


@pytest.mark.parametrize('argv',
                         [['--pretrain-epochs', '0'], ['--seeds', '1', '1'], ['--shots', '0'],
                          ['--checkpoint', 'random_vit=x.pth'], ['--checkpoint', 'simclr'],
                          ['--checkpoint', 'simclr=/no/file'], ['--methods', 'moco']])
def test_bad_arguments_are_rejected(argv, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert 'error' in capsys.readouterr().err


def test_checkpoint_argument(tmp_path):
    ckpt = tmp_path / 'simclr.pth'
    ckpt.write_bytes(b'x')
    args = bench.parse_args(['--checkpoint', f'simclr={ckpt}'])
    assert args.checkpoints == {'simclr': str(ckpt)}


def test_mstar_layout_and_test_list(tmp_path):
    (tmp_path / 'train.txt').write_text('train/2S1/a.jpeg 0\n')
    data = bench.resolve_data(bench.parse_args(['--data-root', str(tmp_path)]))
    assert data['kind'] == 'mstar' and data['transductive']
    assert data['labelled'] == dict(type='MSTAR', data_root=str(tmp_path), ann_file='train.txt')
    assert data['pool'] == dict(data_root=str(tmp_path), roots=['train'])
    with pytest.raises(FileNotFoundError, match='test15.txt'):
        bench.resolve_data(
            bench.parse_args(['--data-root',
                              str(tmp_path), '--test-list', 'test15.txt']))
    (tmp_path / 'test15.txt').write_text('test/2S1/b.jpeg 0\n')
    data = bench.resolve_data(
        bench.parse_args(['--data-root', str(tmp_path), '--test-list', 'test15.txt']))
    assert not data['transductive']  # pretraining never saw a separate test list
    with pytest.raises(ValueError, match='--test-list needs the MSTAR data'):
        bench.resolve_data(bench.parse_args(['--synthetic', '--test-list', 'test15.txt']))


def _synthetic_data(root):
    return dict(
        labelled=dict(
            type='SARClassificationDataset',
            data_root=osp.join(root, 'vehicles'),
            ann_file='meta/all.txt'),
        pool=dict(data_root=osp.join(root, 'unlabeled'), roots=['']),
        num_classes=5,
        transductive=False)


def test_derived_configs(synthetic_root, tmp_path):
    data = _synthetic_data(synthetic_root)
    args = bench.parse_args(
        ['--pretrain-epochs', '10', '--finetune-epochs', '7', '--shots', '3', '5'])
    simclr = bench.pretrain_config('simclr', data, args, str(tmp_path / 's'))
    assert simclr.train_dataloader.dataset.data_root == data['pool']['data_root']
    assert simclr.model.backbone.type == 'SARResNet'
    assert simclr.train_cfg.max_epochs == 10
    assert [s['end'] for s in simclr.param_scheduler] == [1, 10]  # warm-up kept to a tenth
    hook = [h for h in simclr.custom_hooks if h['type'] == 'KNNAccuracyHook'][0]
    for key, split in (('train_dataloader', 'train'), ('val_dataloader', 'rest')):
        dataset = hook[key]['dataset']
        assert dataset['type'] == 'SARClassificationDataset'
        assert dataset['data_root'] == data['labelled']['data_root']
        assert dataset['fewshot_split'] == split and dataset['num_shots'] == 3
    assert simclr.default_hooks.checkpoint['interval'] == 10
    jepa = bench.pretrain_config('pixel_mae', data, args, str(tmp_path / 'j'))
    assert jepa.model.target_generator['type'] == 'PixelTarget'
    assert jepa.model.backbone.img_size == 64

    ckpt = str(tmp_path / 'epoch_10.pth')
    vit = bench.recognition_config('sar_jepa', data, args, str(tmp_path / 'v'), ckpt)
    assert vit.model.backbone.img_size == 64 and vit.model.head.num_classes == 5
    assert vit.model.backbone.init_cfg == dict(
        type='Pretrained', prefix='backbone.', checkpoint=ckpt, missing='warn')
    assert vit.train_cfg.max_epochs == 7 and vit.param_scheduler[-1]['end'] == 7
    for loader in (vit.train_dataloader, vit.test_dataloader):
        assert loader.dataset.type == 'SARClassificationDataset'
        assert loader.dataset.ann_file == 'meta/all.txt'
    assert vit.test_dataloader.dataset.fewshot_split == 'rest'
    resnet = bench.recognition_config('random_resnet', data, args, str(tmp_path / 'r'))
    assert 'init_cfg' not in resnet.model.backbone
    assert resnet.model.backbone.type == 'SARResNet'


def test_test_list_replaces_the_held_out_rest(tmp_path):
    (tmp_path / 'train.txt').write_text('train/2S1/a.jpeg 0\n')
    (tmp_path / 'test15.txt').write_text('test/2S1/b.jpeg 0\n')
    args = bench.parse_args(['--data-root', str(tmp_path), '--test-list', 'test15.txt'])
    cfg = bench.recognition_config('random_resnet', bench.resolve_data(args), args,
                                   str(tmp_path / 'r'))
    test = cfg.test_dataloader.dataset
    assert test.ann_file == 'test15.txt' and 'fewshot_split' not in test
    assert 'num_shots' not in test
    assert cfg.train_dataloader.dataset.ann_file == 'train.txt'


def _row(backbone, init, mode, shots, top1, std):
    return dict(
        backbone=backbone,
        init=init,
        mode=mode,
        shots=shots,
        num_seeds=3,
        top1=top1,
        top1_std=std,
        per_class=top1 - 1,
        per_class_std=std,
        pretrain_seconds=None)


def test_gains_are_over_the_best_random_init_of_any_family(tmp_path):
    results = bench.add_gains([
        _row('R', 'random init', 'linear', 10, 54.0, 1.5),
        _row('R', 'SimCLR', 'linear', 10, 60.0, 2.0),
        _row('V', 'random init', 'linear', 10, 35.0, 1.0),
        _row('V', 'SAR-JEPA', 'linear', 10, 50.0, 1.0),
        _row('R', 'SimCLR', 'knn', 10, 40.0, 3.0),
        _row('R', 'random init', 'knn', 10, 38.0, 0.5),
    ])
    gains = [(r['gain'], r['beyond_spread']) for r in results]
    assert gains[0] == (None, None) and gains[2] == (None, None)
    assert gains[1] == (pytest.approx(6.0), True)  # 6 > 2.0 + 1.5
    assert gains[3] == (pytest.approx(-4.0), False)  # against the ResNet's 54, not the ViT's 35
    assert gains[4] == (pytest.approx(2.0), False)  # 2 < 3.0 + 0.5: within the seed spread
    table = bench.format_table(results)
    assert '| R | SimCLR | linear | 10 | 60.00 ± 2.00 | 59.00 ± 2.00 | +6.00 | yes |' in table
    paths = bench.write_report(str(tmp_path), 'header text', results)
    assert 'header text' in open(paths['md']).read()
    with open(paths['csv'], newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and rows[1]['gain'] == '6.0' and rows[1]['beyond_spread'] == 'True'
    assert osp.getsize(paths['png']) > 10000


def test_read_results(tmp_path):
    csv_file = tmp_path / 'fewshot_results.csv'
    csv_file.write_text('mode,shots,num_seeds,top1_mean,top1_std,mean_per_class_mean,'
                        'mean_per_class_std\nlinear,10,3,61.5,2.0,60.0,1.5\n'
                        'knn,20,1,40.0,0.0,39.0,0.0\n')
    rows = bench.read_results(str(csv_file))
    assert rows[0] == dict(
        mode='linear',
        shots=10,
        num_seeds=3,
        top1=61.5,
        top1_std=2.0,
        per_class=60.0,
        per_class_std=1.5)
    assert rows[1]['shots'] == 20
    csv_file.write_text('mode,shots,num_seeds,top1_mean,top1_std,mean_per_class_mean,'
                        'mean_per_class_std\n')
    with pytest.raises(ValueError, match='no result rows'):
        bench.read_results(str(csv_file))


def test_last_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='no last_checkpoint'):
        bench.last_checkpoint(str(tmp_path))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    with pytest.raises(FileNotFoundError, match='epoch_1.pth'):
        bench.last_checkpoint(str(tmp_path))


def test_quick_run_end_to_end(tmp_path):
    work_dir = tmp_path / 'bench'
    results = bench.main([
        '--quick', '--methods', 'random_resnet', 'simclr', '--modes', 'linear', 'knn', '--work-dir',
        str(work_dir)
    ])
    assert [(r['init'], r['mode'], r['shots']) for r in results] == [('random init', 'linear', 2),
                                                                     ('random init', 'knn', 2),
                                                                     ('SimCLR', 'linear', 2),
                                                                     ('SimCLR', 'knn', 2)]
    assert all(0 <= r['top1'] <= 100 for r in results)
    assert results[2]['gain'] == pytest.approx(results[2]['top1'] - results[0]['top1'])
    assert osp.isfile(bench.last_checkpoint(str(work_dir / 'pretrain_simclr')))
    md = (work_dir / 'fewshot_mstar.md').read_text()
    assert 'Pretraining did not see the test chips.' in md
    assert (work_dir / 'fewshot_mstar.png').stat().st_size > 10000
    # the evaluation loaded the pretrained backbone
    cfg_text = (work_dir / 'configs' / 'eval_simclr.py').read_text()
    assert 'pretrain_simclr' in cfg_text
