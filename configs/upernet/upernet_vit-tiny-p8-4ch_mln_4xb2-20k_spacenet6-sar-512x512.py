# UPerNet on the SAR-JEPA ViT architecture (6 blocks, width 192, 8-px patches) for SpaceNet 6
# building segmentation from the 4 polarisations, random init, 20k iterations, 512 x 512 crops.
# Optimiser as mmseg's ViT + UPerNet: AdamW, no decay on position embedding, class token and
# norms, 1.5k linear warm-up iterations then polynomial decay.
_base_ = [
    '../_base_/default_runtime/mmseg.py',
    '../_base_/models/upernet_vit-tiny-p8_1ch_mln.py',
    '../_base_/datasets/spacenet6_sar.py',
    '../_base_/schedules/seg_sgd_poly_20k.py',
]
model = dict(
    backbone=dict(in_channels=len(_base_.sar_bands), img_size=_base_.crop_size),
    # 900 x 900 tiles in 512 x 512 windows: whole-tile attention over 113 x 113 patches is costly
    test_cfg=dict(mode='slide', crop_size=_base_.crop_size, stride=(341, 341)))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys=dict(
            pos_embed=dict(decay_mult=0.0),
            cls_token=dict(decay_mult=0.0),
            norm=dict(decay_mult=0.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=20000, by_epoch=False),
]
