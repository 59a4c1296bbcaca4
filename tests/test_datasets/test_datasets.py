import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope


def test_classification_fewshot_train_and_rest(synthetic_root):
    from sar_mm.datasets import SARClassificationDataset
    root = osp.join(synthetic_root, 'vehicles')
    kwargs = dict(data_root=root, ann_file='meta/all.txt', num_shots=3, seed=1)
    train = SARClassificationDataset(**kwargs, fewshot_split='train')
    rest = SARClassificationDataset(**kwargs, fewshot_split='rest')
    full = SARClassificationDataset(data_root=root, ann_file='meta/all.txt')
    assert len(train) == 3 * 5
    assert np.bincount([d['gt_label'] for d in train]).tolist() == [3] * 5
    train_paths = {d['img_path'] for d in train}
    rest_paths = {d['img_path'] for d in rest}
    assert not train_paths & rest_paths
    assert train_paths | rest_paths == {d['img_path'] for d in full}
    with pytest.raises(ValueError, match='fewer than the 100 shots'):
        SARClassificationDataset(data_root=root, ann_file='meta/all.txt', num_shots=100)


def test_classification_folder_mode(synthetic_root):
    from sar_mm.datasets import SARClassificationDataset
    ds = SARClassificationDataset(data_prefix=osp.join(synthetic_root, 'vehicles', 'images'))
    assert ds.metainfo['classes'][0] == 'air_defence' and len(ds.metainfo['classes']) == 5


def test_unlabeled_pools_roots_and_rejects_empty(synthetic_root, tmp_path):
    from sar_mm.datasets import SARUnlabeledDataset
    ds = SARUnlabeledDataset(data_root=synthetic_root, roots=['unlabeled', 'vehicles/images'])
    assert len(ds) == 64 + 12 * 5
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no files with extensions'):
        SARUnlabeledDataset(data_root=str(tmp_path), roots=['empty'])
    with pytest.raises(FileNotFoundError, match='folder not found'):
        SARUnlabeledDataset(data_root=str(tmp_path), roots=['missing'])


def test_ship_detection_and_segmentation_pipelines(synthetic_root):
    """The detection and segmentation sets load SAR scenes through their codebases' pipelines."""
    from mmdet.registry import DATASETS as DET_DATASETS
    from mmseg.registry import DATASETS as SEG_DATASETS
    root = osp.join(synthetic_root, 'ships')
    with DefaultScope.overwrite_default_scope('mmdet'):
        det = DET_DATASETS.build(
            dict(
                type='SARShipDataset',
                data_root=root,
                ann_file='annotations/train.json',
                data_prefix=dict(img='images/train/'),
                pipeline=[
                    dict(type='LoadSARImage', to='db'),
                    dict(type='LoadAnnotations'),
                    dict(type='PackDetInputs')
                ]))
        sample = det[0]
    assert det.metainfo['classes'] == ('ship', )
    assert sample['inputs'].shape == (1, 128, 128)
    assert len(sample['data_samples'].gt_instances.bboxes) >= 1
    with DefaultScope.overwrite_default_scope('mmseg'):
        seg = SEG_DATASETS.build(
            dict(
                type='SARShipSegDataset',
                data_root=root,
                data_prefix=dict(img_path='images/train', seg_map_path='masks/train'),
                pipeline=[
                    dict(type='LoadSARImage', to='db'),
                    dict(type='LoadAnnotations'),
                    dict(type='PackSegInputs')
                ]))
        sample = seg[0]
    mask = sample['data_samples'].gt_sem_seg.data
    assert sample['inputs'].shape == (1, 128, 128) and set(mask.unique().tolist()) == {0, 1}
