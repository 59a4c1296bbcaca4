# FCOS on SSDD with the SAR-JEPA ViT (configs/_base_/models/vit_tiny_p8_1ch.py) through ViTDet's
# simple feature pyramid (strides 8, 16, 32 from the stride-8 ViT map, 64 and 128 by pooling).
# Images go to 512 x 512 (keeping the ratio): the ViT attends globally over its 64 x 64 patches
# (mmpretrain's ViT has no window attention), so SAR-HUB's 1333 x 800 does not fit in memory.
# The position embeddings are interpolated from the pretraining grid on loading (logged).
# Use the input domain and normalisation of your SAR-JEPA pretraining, and point `checkpoint` at
# it: --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = [
    './fcos_r50-1ch_fpn_gn-head_1xb4-12e_ssdd.py',
    '../_base_/models/vit_tiny_p8_1ch.py',
]
img_scale = (512, 512)
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
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', file_kind='amplitude', to='amplitude', bands=[0]),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# AdamW for the ViT, as ViTDet
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=35, norm_type=2))
