# MultiModalClassifier (sar_mm): a ResNet-50 per Sentinel sensor (S1: 2 channels VV/VH, S2: the
# 13 L1C bands), pooled features concatenated (2 x 2048) into one linear head over the 8-class
# DFC2020 scheme (no Savanna, no Snow/Ice); CE on the un-augmented pair, SupCon (tau 0.07, as
# github.com/bakiuzun/SupCon_SSL) across the contrastive views x 2 sensors.
model = dict(
    type='MultiModalClassifier',
    modality_channels=(2, 13),
    backbone=[
        dict(type='ResNet', depth=50, in_channels=2, out_indices=(3, ), style='pytorch'),
        dict(type='ResNet', depth=50, in_channels=13, out_indices=(3, ), style='pytorch'),
    ],
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=4096,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
    projector=dict(
        type='NonLinearNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_layers=2,
        with_avg_pool=False),
    supcon_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=1.0),
    separate_ce_view=True,
)
