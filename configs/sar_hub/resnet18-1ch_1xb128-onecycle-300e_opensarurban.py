# SAR-HUB model hub: 1-channel ResNet-18 on OpenSARUrban (recipe of the ResNet-50 config).
_base_ = ['./resnet50-1ch_1xb128-onecycle-300e_opensarurban.py']
model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
