"""The MVTec defect-detection example of docs/defect_detection.md: the page's layout snippet on a
generated MVTec AD category, the datasets of both configs on its 8-bit RGB PNGs, then
tools/train.py for 2 iterations of SimCLR and 2 of fine-tuning from its checkpoint."""
import glob
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from sar_mm.engine import load_checkpoint_file
from ..conftest import ROOT, build_in_scope, load_tool, write_config

DOC = osp.join(ROOT, 'docs', 'defect_detection.md')
SIMCLR = 'configs/simclr/simclr_resnet18_1xb64-100e_mvtec-unlabelled-224px.py'
FINETUNE = ('configs/recognition/'
            'resnet18_1xb32-50e_mvtec-labelled-224px_simclr-pretrained.py')
SIZE = 32  # the real configs use 224

SHORT_RUN = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False, save_best=None),
                     logger=dict(interval=1))
log_processor = dict(by_epoch=False)
"""
SIMCLR_BODY = SHORT_RUN + """
view_pipeline = [dict(_base_.view_pipeline[0], scale={size})] + _base_.view_pipeline[1:]
train_pipeline = [_base_.train_pipeline[0],
                  dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
                  _base_.train_pipeline[2]]
train_dataloader = dict(batch_size=3, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}', pipeline=train_pipeline))
"""
FINETUNE_BODY = SHORT_RUN + """
model = dict(backbone=dict(init_cfg=dict(checkpoint='{ckpt}')))
train_pipeline = [dict(p, scale=({size}, {size})) if p['type'] == 'Resize' else p
                  for p in _base_.train_pipeline]
test_pipeline = [dict(p, scale=({size}, {size})) if p['type'] == 'Resize' else p
                 for p in _base_.test_pipeline]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    data_root='{root}', num_shots=2, pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(
    data_root='{root}', num_shots=2, pipeline=test_pipeline))
test_dataloader = val_dataloader
"""


def _png(path, rng, grey=False, colour=None):
    """An 8-bit PNG of 48 px (bigger than SIZE, so the snippet's resize is seen)."""
    if colour is not None:  # (R, G, B) everywhere
        img = np.broadcast_to(np.array(colour[::-1], np.uint8), (48, 48, 3))
    else:
        img = rng.integers(0, 256, (48, 48) if grey else (48, 48, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), np.ascontiguousarray(img))


def _snippet():
    with open(DOC, encoding='utf-8') as f:
        blocks = re.findall(r'^```bash title="prepare_mvtec.sh"\n(.*?)^```', f.read(), re.S | re.M)
    assert len(blocks) == 1, 'docs/defect_detection.md: no single prepare_mvtec.sh block'
    return blocks[0]


@pytest.fixture(scope='module')
def category(tmp_path_factory):
    """A generated MVTec AD category (6 train/good, 4 test/good, 2 + 2 defects, masks), turned
    into labelled/ + unlabelled/ by the page's own snippet."""
    tmp = tmp_path_factory.mktemp('mvtec')
    src, rng = tmp / 'mvtec_ad' / 'widget', np.random.default_rng(0)
    for sub, count in (('train/good', 6), ('test/good', 4), ('test/crack', 2), ('test/scratch', 2),
                       ('ground_truth/crack', 2)):
        (src / sub).mkdir(parents=True)
        for i in range(count):
            name = f'{i:03d}_mask.png' if 'ground_truth' in sub else f'{i:03d}.png'
            # a grey image as in MVTec's grid / screw / zipper; a pure red one for the channel order
            _png(
                src / sub / name,
                rng,
                grey=(sub == 'train/good' and i == 0),
                colour=(255, 0, 0) if (sub == 'test/good' and i == 0) else None)
    dst = tmp / 'widget'
    script = _snippet()
    for name, value in (('SRC', src), ('DST', dst), ('SIZE', SIZE)):
        script, n = re.subn(rf'^{name}=.*$', f'{name}={value}', script, flags=re.M)
        assert n == 1, f'the snippet does not set {name}= once'
    env = {'PATH': osp.dirname(sys.executable) + ':/usr/bin:/bin'}
    proc = subprocess.run(['bash', '-e', '-c', script],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return str(dst) + '/'


def _names(root, sub):
    return sorted(osp.basename(p) for p in glob.glob(osp.join(root, sub, '*')))


def test_snippet_layout_keeps_test_images_out_of_pretraining(category):
    assert _names(category, 'unlabelled') == [f'{i:03d}.png' for i in range(6)]
    assert _names(category, 'labelled/good') == [f'{i:03d}.png' for i in range(4)]
    assert _names(category, 'labelled/anomaly') == [
        'crack_000.png', 'crack_001.png', 'scratch_000.png', 'scratch_001.png'
    ]
    for path in glob.glob(osp.join(category, '*', '**', '*.png'), recursive=True):
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert img.shape == (SIZE, SIZE, 3) and img.dtype == np.uint8, path


def _dataset(config, loader):
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(config)
    with DATASETS.switch_scope_and_registry('mmpretrain') as registry:
        return cfg, registry.build(cfg[loader].dataset)


def test_datasets_see_three_channels_and_the_labels(category, tmp_path):
    cfg, pool = _dataset(
        write_config(tmp_path / 'simclr.py', SIMCLR, SIMCLR_BODY.format(root=category, size=SIZE)),
        'train_dataloader')
    assert len(pool) == 6
    views = pool[0]['inputs']  # the grey source image: 3 equal channels after the snippet
    assert len(views) == 2 and all(v.shape == (3, SIZE, SIZE) for v in views)

    body = FINETUNE_BODY.format(root=category, size=SIZE, ckpt='unused.pth')
    config = write_config(tmp_path / 'finetune.py', FINETUNE, body)
    cfg, train = _dataset(config, 'train_dataloader')
    _, held_out = _dataset(config, 'val_dataloader')
    assert train.metainfo['classes'] == held_out.metainfo['classes'] == ('good', 'anomaly')
    labels = {}
    for ds in (train, held_out):
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            labels[info['img_path']] = info['gt_label']
    assert len(labels) == len(train) + len(held_out) == 8  # a split: no image in both
    for path, label in labels.items():
        assert label == (0 if '/labelled/good/' in path else 1), path
    assert sorted(train.get_gt_labels().tolist()) == [0, 0, 1, 1]  # 2 shots per class

    # BGR from LoadImageFromFile, RGB after the normaliser: the red image is red in channel 0
    sample = next(ds[i] for ds in (train, held_out) for i in range(len(ds))
                  if ds.get_data_info(i)['img_path'].endswith('labelled/good/000.png'))
    assert sample['inputs'].shape == (3, SIZE, SIZE) and sample['inputs'][2].min() == 255
    cfg.model.data_preprocessor = cfg.data_preprocessor
    preprocessor = build_in_scope('mmpretrain', cfg.model).data_preprocessor
    x = preprocessor(dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]))
    x = x['inputs'][0].mean(dim=(1, 2))
    assert x[0] > 2 and x[1] < -1 and x[2] < -1  # (255 - 124) / 58 and (0 - 116) / 57


def test_simclr_then_finetune_two_iterations_each(category, tmp_path):
    train = load_tool('tools/train.py')
    simclr = write_config(tmp_path / 'simclr.py', SIMCLR,
                          SIMCLR_BODY.format(root=category, size=SIZE))
    train.main([simclr, '--work-dir', str(tmp_path / 'simclr')])
    ckpt = str(tmp_path / 'simclr' / 'iter_2.pth')
    pretrained = {
        k[len('backbone.'):]: v
        for k, v in load_checkpoint_file(ckpt)['state_dict'].items() if k.startswith('backbone.')
    }
    assert pretrained['conv1.weight'].shape[1] == 3

    finetune = write_config(tmp_path / 'finetune.py', FINETUNE,
                            FINETUNE_BODY.format(root=category, size=SIZE, ckpt=ckpt))
    # the fine-tune backbone, initialised from the checkpoint: every key, every value, no
    # adaptation (a 1-channel checkpoint would have its first layer rewritten)
    cfg = Config.fromfile(finetune)
    cfg.model.data_preprocessor = cfg.data_preprocessor
    model = build_in_scope('mmpretrain', cfg.model)
    model.init_weights()
    own = model.backbone.state_dict()
    assert own.keys() == pretrained.keys()
    assert all(torch.equal(own[k], pretrained[k]) for k in own)

    train.main([finetune, '--work-dir', str(tmp_path / 'finetune')])
    assert load_checkpoint_file(str(tmp_path / 'finetune' / 'iter_2.pth'))['meta']['iter'] == 2
    log = open(glob.glob(str(tmp_path / 'finetune' / '*' / '*.log'))[0]).read()
    assert f'loaded {len(pretrained)} tensors from' in log and 'adapted' not in log
    assert re.search(r'per_class_accuracy/acc_anomaly: [\d.]+', log), log[-2000:]
