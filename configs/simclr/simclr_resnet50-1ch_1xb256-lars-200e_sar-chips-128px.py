# As the ResNet-18 config, with a 1-channel ResNet-50 and SimCLR's 2048-wide projection MLP.
_base_ = ['./simclr_resnet18-1ch_1xb256-lars-200e_sar-chips-128px.py']
model = dict(backbone=dict(depth=50), neck=dict(in_channels=2048, hid_channels=2048))
