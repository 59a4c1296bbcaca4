# SAR-HUB scene classifier (mmpretrain): a 1-channel ResNet-50, global average pooling and a
# linear head trained with mini-batch class-balanced focal loss (mini-CBL, beta 0.995, gamma 2;
# SAR-HUB, Remote Sensing 2023). Other architectures of the hub replace backbone and
# head.in_channels (configs/sar_hub/); head.num_classes comes from the dataset config.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=50, in_channels=1, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=2048,
        loss=dict(type='MiniBatchClassBalancedLoss', beta=0.995, gamma=2.0),
        topk=(1, )),
)
