# SupConClassifier (sar_mm): single-channel ResNet-18 trained with cross-entropy on view 0 plus
# supervised contrastive loss (Khosla et al. 2020) on the projections of two views per chip.
model = dict(
    type='SupConClassifier',
    backbone=dict(
        type='ResNet', depth=18, in_channels=1, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
    # projection head on the pooled features (SimCLR/SupCon style, 128-d embeddings)
    projector=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_avg_pool=False),
    supcon_loss=dict(type='SupConLoss', temperature=0.1, loss_weight=0.5),
    separate_ce_view=False,
)
