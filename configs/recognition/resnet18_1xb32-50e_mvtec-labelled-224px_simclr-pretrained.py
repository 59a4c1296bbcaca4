# As resnet18_1xb32-50e_mvtec-labelled-224px.py, with the backbone of a SimCLR run on the same
# category's unlabelled/ folder
# (configs/simclr/simclr_resnet18_1xb64-100e_mvtec-unlabelled-224px.py).
_base_ = ['./resnet18_1xb32-50e_mvtec-labelled-224px.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/simclr_resnet18_1xb64-100e_mvtec-unlabelled-224px/epoch_100.pth'))
)
