# FCOS ship detection with the SAR-JEPA ViT (6 blocks, width 192, 8-px patches) of
# configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py, through ViTDet's simple
# feature pyramid (configs/_base_/models/fcos_vit-tiny-p8_1ch_sfp_gn-head.py) into the CPU-sized
# neck width and head of fcos_r18_1ch_fpn.py. The position embeddings are interpolated from the
# 8x8 pretraining grid to 32x32 on loading. Point `checkpoint` at your SAR-JEPA run:
# --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = [
    '../_base_/default_runtime/mmdet.py',
    '../_base_/models/fcos_vit-tiny-p8_1ch_sfp_gn-head.py',
    '../_base_/datasets/synthetic_sar_ships_det.py',
    '../_base_/schedules/fcos_adamw_1x.py',
]
model = dict(
    backbone=dict(img_size=256),
    neck=dict(out_channels=128),
    bbox_head=dict(in_channels=128, stacked_convs=2, feat_channels=128))

# The same input domain and normalisation as the SAR-JEPA pretraining: amplitude, not dB.
data_preprocessor = dict(mean=[0.16], std=[0.17])
train_pipeline = [dict(_base_.train_pipeline[0], to='amplitude')] + _base_.train_pipeline[1:]
test_pipeline = [dict(_base_.test_pipeline[0], to='amplitude')] + _base_.test_pipeline[1:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=4)
