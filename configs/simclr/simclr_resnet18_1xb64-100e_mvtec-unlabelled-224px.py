# SimCLR (Chen et al., ICML 2020) on the unlabelled images of an MVTec-style defect-inspection
# folder: an RGB ResNet-18 (ImageNet-style 3-channel stem) learns from two views of every image of
#   <data_root>/unlabelled/*.png          (8-bit RGB, 224 x 224; docs/defect_detection.md)
# Fine-tune its backbone on <data_root>/labelled/{good,anomaly}/ with
# configs/recognition/resnet18_1xb32-50e_mvtec-labelled-224px_simclr-pretrained.py.
# Point at a category with --cfg-options train_dataloader.dataset.data_root=DIR
#
# Images are read by mmcv's LoadImageFromFile (uint8, BGR, always 3 channels: MVTec's grey
# categories grid, screw and zipper come out as 3 equal channels); the normaliser turns them to
# RGB with ImageNet statistics. LoadSARImage is for SAR values (float, no colour order).
#
# Views: SimCLR's ImageNet views (mmpretrain's imagenet_bs32_simclr.py) adjusted for industrial
# inspection, where colour and fine texture are what a defect changes: no random grey-scale and
# a weak hue / saturation jitter (MVTec has "color" defects in carpet, metal_nut, pill and wood),
# crops of 20-100 % of the area instead of 8-100 % (objects are centred and fill the frame), a
# Gaussian blur of sigma at most 1 px at 224 px (scratches and cracks are a few pixels wide).
# The flip is view step 1 (metal_nut's "flip" defect is a mirrored nut: set its prob to 0 there with
# --cfg-options train_dataloader.dataset.pipeline.1.transforms.0.1.prob=0).
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/simclr_resnet18_1ch.py',
    '../_base_/schedules/lars_cosine_200e.py',
]
img_size = 224
model = dict(backbone=dict(in_channels=3))

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
view_pipeline = [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        prob=0.8,
        transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.02)
        ]),
    dict(type='GaussianBlur', magnitude_range=(0.1, 1.0), magnitude_std='inf', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    # MVTec AD has 60 (toothbrush) to 391 (hazelnut) training images per category: keep the
    # last, smaller batch rather than drop an epoch's only one
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='SARUnlabeledDataset',
        data_root='data/mvtec/bottle/',
        roots=['unlabelled'],
        extensions=('.png', '.jpg', '.jpeg', '.bmp'),
        pipeline=train_pipeline),
)

# SimCLR's LARS recipe (the base) at batch 64: lr 0.3 x 64 / 256, 10 warm-up epochs, 100 epochs
max_epochs = 100
warmup_epochs = 10
optim_wrapper = dict(optimizer=dict(lr=0.3 * 64 / 256))
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2), logger=dict(interval=5))
