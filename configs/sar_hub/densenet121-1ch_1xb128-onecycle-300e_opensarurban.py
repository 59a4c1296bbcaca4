# SAR-HUB model hub: 1-channel DenseNet-121 on OpenSARUrban (recipe of the ResNet-50 config).
_base_ = ['./resnet50-1ch_1xb128-onecycle-300e_opensarurban.py']
model = dict(
    backbone=dict(_delete_=True, type='DenseNet', arch='121', in_channels=1),
    head=dict(in_channels=1024))
