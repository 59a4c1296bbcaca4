# SAR-JEPA of the small ViT (6 blocks, width 192, 8-px patches) on real unlabelled SAR chips,
# 128 px: the MSTAR SOC-10 17 deg JPEG chips by default (data/mstar_soc10/train/<CLASS>/*.jpeg;
# any folder of chips: --cfg-options train_dataloader.dataset.data_root=DIR
# "train_dataloader.dataset.roots=[SUB]"). A 16 x 16 patch grid, 4 windows of 8 x 8 patches at
# random positions (a quarter of the grid each, as the paper's 7 x 7 windows on its 14 x 14
# grid), 80 % of each window masked.
#
# Input domain: the one of the recognition configs (configs/_base_/datasets/mstar_soc10.py):
# the central 128 px, DRAA tone mapping into [0, 1] (random brightness here), normalised by the
# statistics of its output. SARJEPA undoes the normalisation and computes the ratio-gradient
# targets on the tone-mapped image, which is non-negative and on the [0, 1] scale of the
# paper's images, so the paper's eps = 0.01 applies.
_base_ = ['./sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py']

model = dict(backbone=dict(img_size=128), num_windows=4, window_size=8)

data_root = 'data/mstar_soc10/'
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[0.112], std=[0.075], to_rgb=False)
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='CenterCrop', crop_size=128),
    dict(
        type='RandomResizedCrop',
        scale=128,
        crop_ratio_range=(0.3, 1.0),
        interpolation='bilinear',
        backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomSpeckle', looks_range=(2., 8.), domain='amplitude', prob=0.5),
    dict(type='DRAAToneMapping', brightness_range=(3.5, 4.5)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64, dataset=dict(data_root=data_root, roots=['train'], pipeline=train_pipeline))
auto_scale_lr = dict(base_batch_size=64)

max_epochs = 200
warmup_epochs = 10
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2))
