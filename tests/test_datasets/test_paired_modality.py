"""Paired-modality dataset, LoadModalityPair and the dual-polarisation generator."""
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from sar_mm.datasets import AnnotationLineError, PairedModalityDataset
from sar_mm.datasets.synthetic import make_dual_polarisation_set
from sar_mm.datasets.transforms import LoadModalityPair


@pytest.fixture(scope='module')
def dualpol_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('dualpol'))
    make_dual_polarisation_set(root, per_class=4, size=32, seed=0)
    return root


def _write(path, lines):
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(path)


def test_generator_writes_coregistered_pairs(dualpol_root):
    with open(osp.join(dualpol_root, 'meta', 'all.txt')) as f:
        lines = f.read().split('\n')
    assert len([ln for ln in lines if ln]) == 20
    vv, vh, label = lines[0].split()
    assert vv.endswith('_vv.png') and vh.endswith('_vh.png') and label == '0'
    again = make_dual_polarisation_set(dualpol_root + '_again', per_class=4, size=32, seed=0)
    assert again['num_samples'] == 20
    a = open(osp.join(dualpol_root, vh), 'rb').read()
    assert a == open(osp.join(dualpol_root + '_again', vh), 'rb').read()  # reproducible


def test_dataset_and_loader_stack_the_pair(dualpol_root):
    pipeline = [
        dict(
            type='LoadModalityPair',
            channels=(1, 1),
            loaders=[dict(type='LoadSARImage', to='db')] * 2)
    ]
    ds = PairedModalityDataset(data_root=dualpol_root, ann_file='meta/all.txt', pipeline=pipeline)
    assert len(ds) == 20 and ds.get_gt_labels().tolist() == [i // 4 for i in range(20)]
    out = ds[5]
    assert out['img'].shape == (32, 32, 2) and out['img'].dtype == np.float32
    assert out['modality_channels'] == (1, 1)
    assert out['img_path'] == out['img_paths'][0] and out['img_paths'][1].endswith('_vh.png')
    from sar_mm.datasets.transforms import LoadSARImage
    vh = LoadSARImage(to='db')(dict(img_path=out['img_paths'][1]))['img']
    np.testing.assert_array_equal(out['img'][:, :, 1], vh[:, :, 0])
    # VH is weaker than VV: the generator's cross-pol ratio is < 1
    assert out['img'][:, :, 1].mean() < out['img'][:, :, 0].mean()

    shots = PairedModalityDataset(
        data_root=dualpol_root, ann_file='meta/all.txt', num_shots=2, seed=1)
    rest = PairedModalityDataset(
        data_root=dualpol_root, ann_file='meta/all.txt', num_shots=2, seed=1, fewshot_split='rest')
    assert len(shots) == 10 and len(rest) == 10
    assert not {d['img_path'] for d in shots.data_list} & {d['img_path'] for d in rest.data_list}


def test_views_augment_both_modalities_identically(dualpol_root, tmp_path):
    """Pairs of one file with itself stay equal channel by channel through random views."""
    ann = _write(tmp_path / 'self_pairs.txt',
                 ['images/tank/tank_0000_vv.png images/tank/tank_0000_vv.png 0'])
    view = [
        dict(type='RandomResizedCrop', scale=24, crop_ratio_range=(0.3, 1.0), backend='cv2'),
        dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
        dict(type='RandomSpeckle', domain='db', prob=1.0, looks_range=(4, 4))
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = PairedModalityDataset(
            data_root=dualpol_root,
            ann_file=ann,
            pipeline=[
                dict(type='LoadModalityPair', loaders=[dict(type='LoadSARImage', to='db')] * 2),
                dict(type='MultiView', num_views=[1, 4], transforms=[[], view]),
                dict(type='PackInputs', meta_keys=('img_path', 'modality_channels'))
            ])
        packed = ds[0]
    views = packed['inputs']
    assert len(views) == 5 and tuple(views[0].shape) == (2, 32, 32)
    np.testing.assert_array_equal(views[0][0].numpy(), views[0][1].numpy())
    for v in views[1:]:
        assert tuple(v.shape) == (2, 24, 24)
        # speckle is drawn independently per pixel and channel, as for two real channels
        assert not np.array_equal(v[0].numpy(), v[1].numpy())
    # without speckle, crops and flips are shared by the channels: they stay identical
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        no_speckle = Compose([
            dict(type='LoadModalityPair', loaders=[dict(type='LoadSARImage', to='db')] * 2),
            dict(type='MultiView', num_views=4, transforms=[view[:2]])
        ])
    out = no_speckle(dict(img_paths=ds.get_data_info(0)['img_paths']))
    for img in out['img']:
        np.testing.assert_array_equal(img[:, :, 0], img[:, :, 1])
    assert packed['data_samples'].modality_channels == (1, 1)


def test_list_file_errors_name_file_and_line(dualpol_root, tmp_path):
    good = 'images/tank/tank_0000_vv.png images/tank/tank_0000_vh.png 0'
    missing = _write(tmp_path / 'missing.txt',
                     [good, '# comment', 'images/tank/tank_0001_vv.png images/tank/nope.png 0'])
    with pytest.raises(FileNotFoundError, match=r'missing\.txt, line 3: image not found: .*nope'):
        PairedModalityDataset(data_root=dualpol_root, ann_file=missing)
    short = _write(tmp_path / 'short.txt', [good, 'images/tank/tank_0001_vv.png 0'])
    with pytest.raises(AnnotationLineError, match=r'short\.txt, line 2: .*expected 3 fields'):
        PairedModalityDataset(data_root=dualpol_root, ann_file=short)
    bad_label = _write(tmp_path / 'label.txt', [good, good.replace(' 0', ' 7')])
    with pytest.raises(AnnotationLineError, match=r'label\.txt, line 2: label index 7'):
        PairedModalityDataset(
            data_root=dualpol_root, ann_file=bad_label, metainfo=dict(classes=('a', 'b', 'c')))
    with pytest.raises(ValueError, match='ann_file'):
        PairedModalityDataset(data_root=dualpol_root)
    # tab-separated lines and class names
    tabbed = _write(tmp_path / 'tabbed.txt', [good.replace(' ', '\t').replace('\t0', '\ttank')])
    ds = PairedModalityDataset(data_root=dualpol_root, ann_file=tabbed)
    assert ds.metainfo['classes'] == ('tank', ) and ds.get_gt_labels().tolist() == [0]


def test_pair_mismatch_errors_name_the_files(tmp_path):
    np.save(tmp_path / 'a.npy', np.ones((16, 16), np.float32))
    np.save(tmp_path / 'b.npy', np.ones((16, 12), np.float32))
    np.save(tmp_path / 'c.npy', np.ones((16, 16, 3), np.float32))
    paths = [str(tmp_path / n) for n in ('a.npy', 'b.npy', 'c.npy')]
    with pytest.raises(ValueError, match=r'co-registered.*a\.npy is 16x16, .*b\.npy is 16x12'):
        LoadModalityPair()(dict(img_paths=paths[:2]))
    with pytest.raises(ValueError, match=r'c\.npy: 3 channels, but modality 1 .* 1'):
        LoadModalityPair(channels=(1, 1))(dict(img_paths=[paths[0], paths[2]]))
    out = LoadModalityPair()(dict(img_paths=[paths[0], paths[2]]))
    assert out['img'].shape == (16, 16, 4) and out['modality_channels'] == (1, 3)
    with pytest.raises(KeyError, match='img_paths'):
        LoadModalityPair()(dict(img_path=paths[0]))
