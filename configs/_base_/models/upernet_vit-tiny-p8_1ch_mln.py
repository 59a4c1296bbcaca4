# UPerNet (mmseg) on the shared single-channel SAR-JEPA ViT (./vit_tiny_p8_1ch.py: 6 blocks of
# width 192, 8-px patches) through mmseg's MultiLevelNeck, with an FCN auxiliary head.
#
# Neck: a ViT gives one map of stride 8 (its patch size) after every block. MultiLevelNeck takes
# the maps of several blocks (out_indices, spread over the depth as mmseg's 2, 5, 8, 11 of 12)
# and resizes each to its own stride (scales 2, 1, 0.5, 0.25 -> strides 4, 8, 16, 32), so the
# fine levels come from early blocks, which keep more spatial detail. That is mmseg's own ViT +
# UPerNet recipe. sar_mm's SimpleFeaturePyramid builds every level from the last block only
# (ViTDet), which suits detection (configs/fcos) but gives the pixel decoder nothing but the
# most abstract map.
#
# The backbone is mmpretrain's VisionTransformer (not mmseg's) so that a SAR-JEPA checkpoint
# loads with its own key names through init_cfg Pretrained; position embeddings are interpolated
# from the checkpoint's patch grid to img_size // 8 on loading (logged).
_base_ = ['./vit_tiny_p8_1ch.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    backbone=dict(
        _base_.vit_tiny_p8_1ch,
        img_size=512,
        out_type='featmap',
        out_indices=(1, 2, 4, 5),
        drop_path_rate=0.1),
    neck=dict(
        type='MultiLevelNeck',
        in_channels=[192, 192, 192, 192],
        out_channels=192,
        scales=[2, 1, 0.5, 0.25]),
    decode_head=dict(
        type='UPerHead',
        in_channels=[192, 192, 192, 192],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=256,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=192,
        in_index=3,
        channels=64,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
