# FCOS ship detection with the SAR-JEPA ViT (6 blocks, width 192, 8-px patches) of
# configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py, through ViTDet's simple
# feature pyramid (strides 8, 16, 32 from the stride-8 ViT map, plus 64 and 128 by pooling).
# The position embeddings are interpolated from the 8x8 pretraining grid to 32x32 on loading.
# Point `checkpoint` at your SAR-JEPA run: --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = [
    './fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py',
    '../_base_/models/vit_tiny_p8_1ch.py',
]

model = dict(
    backbone=dict(
        _base_.vit_tiny_p8_1ch,
        _delete_=True,
        img_size=256,
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
        out_channels=128,
        scale_factors=(1.0, 0.5, 0.25),
        num_outs=5),
    bbox_head=dict(in_channels=128))

# The same input domain and normalisation as the SAR-JEPA pretraining: amplitude, not dB.
data_preprocessor = dict(mean=[0.16], std=[0.17])
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
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
