# SAR-HUB model hub: 1-channel Swin-T on OpenSARUrban at 128 px. As SAR-HUB's Swin models:
# 4 x 4 windows (the stage maps are 32, 16, 8 and 4 px wide: 7 would need padding), stochastic
# depth 0.1, and a ten times lower peak lr (2.5e-5) in the one-cycle schedule.
_base_ = ['./resnet50-1ch_1xb128-onecycle-300e_opensarurban.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        arch='tiny',
        img_size=128,
        in_channels=1,
        window_size=4,
        drop_path_rate=0.1),
    head=dict(in_channels=768))
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
param_scheduler = [dict(_base_.param_scheduler[0], eta_max=2.5e-5)]
