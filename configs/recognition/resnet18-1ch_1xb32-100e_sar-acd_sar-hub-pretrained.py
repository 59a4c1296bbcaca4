# As resnet18-1ch_1xb32-100e_sar-acd.py, with the backbone of the SAR-HUB ResNet-18 pretrained on
# OpenSARUrban (configs/sar_hub/resnet18-1ch_1xb128-onecycle-300e_opensarurban.py); its scene
# classification head is not loaded.
_base_ = ['./resnet18-1ch_1xb32-100e_sar-acd.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/resnet18-1ch_1xb128-onecycle-300e_opensarurban/epoch_300.pth')))
