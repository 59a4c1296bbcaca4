# SimCLR (mmpretrain) with a single-channel ResNet-18 for SAR.
model = dict(
    type='SimCLR',
    backbone=dict(
        type='ResNet', depth=18, in_channels=1, norm_cfg=dict(type='BN'), zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.1),
)
