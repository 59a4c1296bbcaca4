# MultiModalClassifier (sar_mm): one single-channel ResNet-18 per polarisation (VV, VH), pooled
# features concatenated (2 x 512) into one linear head; CE on the un-augmented pair (view 0) and
# SupCon across the 2 augmented views x 2 polarisations of each sample.
model = dict(
    type='MultiModalClassifier',
    modality_channels=(1, 1),
    backbone=dict(
        type='ResNet', depth=18, in_channels=1, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=5,
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
    supcon_loss=dict(type='SupConLoss', temperature=0.1, loss_weight=0.5),
    separate_ce_view=True,
)
