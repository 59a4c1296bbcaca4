# Single-channel ResNet-18 image classifier (mmpretrain) for SAR chips.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=18, in_channels=1, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
