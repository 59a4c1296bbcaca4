# As sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py, with the backbone of the CPU-budget SimCLR
# run on the MSTAR 17 deg chips (configs/simclr/simclr_sar-resnet18-1ch_1xb128-adamw-35e_mstar-
# 64px.py; point `checkpoint` at yours: --cfg-options model.backbone.init_cfg.checkpoint=...).
_base_ = ['./sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/simclr_sar-resnet18-1ch_1xb128-adamw-35e_mstar-64px/epoch_35.pth')
    ))
