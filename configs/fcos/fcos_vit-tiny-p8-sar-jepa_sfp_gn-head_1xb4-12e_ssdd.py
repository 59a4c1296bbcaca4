# FCOS on SSDD with the SAR-JEPA ViT through ViTDet's simple feature pyramid
# (configs/_base_/models/fcos_vit-tiny-p8_1ch_sfp_gn-head.py). Images go to 512 x 512 (keeping
# the ratio): the ViT attends globally over its 64 x 64 patches (mmpretrain's ViT has no window
# attention), so SAR-HUB's 1333 x 800 does not fit in memory. Use the input domain and
# normalisation of your SAR-JEPA pretraining, and point `checkpoint` at it:
# --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = [
    '../_base_/default_runtime/mmdet.py',
    '../_base_/models/fcos_vit-tiny-p8_1ch_sfp_gn-head.py',
    '../_base_/datasets/ssdd.py',
    '../_base_/schedules/fcos_adamw_1x.py',
]
img_scale = (512, 512)
model = dict(backbone=dict(img_size=512))
# ssdd.py's pipelines with the Resize step at this img_scale
train_pipeline = _base_.train_pipeline[:2] + [dict(_base_.train_pipeline[2], scale=img_scale)] \
    + _base_.train_pipeline[3:]
test_pipeline = _base_.test_pipeline[:1] + [dict(_base_.test_pipeline[1], scale=img_scale)] \
    + _base_.test_pipeline[2:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP', rule='greater'))
