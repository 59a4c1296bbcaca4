# FCOS (mmdet) as in SAR-HUB's ship detection: a single-channel ResNet-50, FPN (256 channels,
# P3-P7) and a GroupNorm head of 4 shared convolutions, one class (ship). The 1-channel input is
# handled by the first convolution (in_channels=1) and the data preprocessor (one mean / std,
# set by the dataset base). Other depths: change `depth` and the FPN's `in_channels`
# (ResNet-18/34: [128, 256, 512]; ResNet-50/101/152: [512, 1024, 2048]).
model = dict(
    type='FCOS',
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=1,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    neck=dict(
        type='FPN',
        in_channels=[512, 1024, 2048],
        out_channels=256,
        start_level=0,
        add_extra_convs='on_output',
        num_outs=5,
        relu_before_extra_convs=True),
    bbox_head=dict(
        type='FCOSHead',
        num_classes=1,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        strides=[8, 16, 32, 64, 128],
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='IoULoss', loss_weight=1.0),
        loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100),
)
