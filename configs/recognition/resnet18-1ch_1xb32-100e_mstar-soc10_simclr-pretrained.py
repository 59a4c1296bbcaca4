# As resnet18-1ch_1xb32-100e_mstar-soc10.py, with the backbone of a SimCLR run on unlabelled SAR
# chips (configs/simclr/simclr_resnet18-1ch_1xb256-lars-200e_sar-chips-128px.py).
_base_ = ['./resnet18-1ch_1xb32-100e_mstar-soc10.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/simclr_resnet18-1ch_1xb256-lars-200e_sar-chips-128px/'
            'epoch_200.pth')))
