# MultiModalClassifier (sar_mm) for METER-ML: a ResNet-18 per Sentinel sensor (S1: VV/VH,
# S2: the 4 bands of 10 m), the nearest mmpretrain backbone to the seed's Small AlexNet (whose
# first convolution mmpretrain's AlexNet fixes to 3 channels); pooled features concatenated
# (2 x 512) into one linear head over the 7 METER-ML classes; CE + SupCon (tau 0.07).
model = dict(
    type='MultiModalClassifier',
    modality_channels=(2, 4),
    backbone=[
        dict(type='ResNet', depth=18, in_channels=2, out_indices=(3, ), style='pytorch'),
        dict(type='ResNet', depth=18, in_channels=4, out_indices=(3, ), style='pytorch'),
    ],
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=7,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
    projector=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_avg_pool=False),
    supcon_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=1.0),
    separate_ce_view=True,
)
