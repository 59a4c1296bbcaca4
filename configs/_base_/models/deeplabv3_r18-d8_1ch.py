# DeepLabv3 (mmseg): dilated single-channel ResNetV1c-18, ASPP head, FCN auxiliary head.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='ResNetV1c', depth=18, in_channels=1, num_stages=4,
                  out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1),
                  norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True),
    decode_head=dict(type='ASPPHead', in_channels=512, in_index=3, channels=128,
                     dilations=(1, 12, 24, 36), dropout_ratio=0.1, num_classes=2,
                     norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0)),
    auxiliary_head=dict(type='FCNHead', in_channels=256, in_index=2, channels=64, num_convs=1,
                        concat_input=False, dropout_ratio=0.1, num_classes=2,
                        norm_cfg=norm_cfg, align_corners=False,
                        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                         loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
