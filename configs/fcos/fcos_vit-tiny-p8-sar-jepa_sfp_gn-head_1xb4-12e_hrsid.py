# FCOS on HRSID with the SAR-JEPA ViT (configs/_base_/models/vit_tiny_p8_1ch.py) through ViTDet's
# simple feature pyramid. Training on random 512 x 512 crops of the 800 x 800 chips: the ViT
# attends globally (mmpretrain's ViT has no window attention) and 100 x 100 patches do not fit in
# training memory; testing on the whole 800 x 800 chips (the position embeddings are resized to
# the input's patch grid on the fly). Point `checkpoint` at your SAR-JEPA run.
_base_ = [
    './fcos_r50-1ch_fpn_gn-head_1xb4-12e_hrsid.py',
    '../_base_/models/vit_tiny_p8_1ch.py',
]
crop_size = (512, 512)
model = dict(
    backbone=dict(
        _base_.vit_tiny_p8_1ch,
        _delete_=True,
        img_size=512,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px/'
            'epoch_20.pth')),
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=192,
        out_channels=256,
        scale_factors=(1.0, 0.5, 0.25),
        num_outs=5))
train_pipeline = [
    dict(type='LoadSARImage', file_kind='amplitude', to='amplitude', bands=[0]),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomCrop', crop_size=crop_size, allow_negative_crop=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# AdamW for the ViT, as ViTDet
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=35, norm_type=2))
