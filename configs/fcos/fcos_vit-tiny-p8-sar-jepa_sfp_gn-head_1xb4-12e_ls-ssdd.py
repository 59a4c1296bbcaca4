# FCOS on LS-SSDD-v1.0's 800 x 800 sub-images with the SAR-JEPA ViT through ViTDet's simple
# feature pyramid: the HRSID ViT config's setting (512 x 512 training crops, whole sub-images in
# testing) on configs/_base_/datasets/ls_ssdd.py. Point `checkpoint` at your SAR-JEPA run.
_base_ = [
    '../_base_/default_runtime/mmdet.py',
    '../_base_/models/fcos_vit-tiny-p8_1ch_sfp_gn-head.py',
    '../_base_/datasets/ls_ssdd.py',
    '../_base_/schedules/fcos_adamw_1x.py',
]
crop_size = (512, 512)
model = dict(backbone=dict(img_size=512))
# ls_ssdd.py's training pipeline with a random crop in place of the Resize step
train_pipeline = _base_.train_pipeline[:2] + [
    dict(type='RandomCrop', crop_size=crop_size, allow_negative_crop=False)
] + _base_.train_pipeline[3:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP', rule='greater'))
