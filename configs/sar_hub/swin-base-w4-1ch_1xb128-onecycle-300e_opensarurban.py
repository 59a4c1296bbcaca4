# SAR-HUB model hub: 1-channel Swin-B on OpenSARUrban at 128 px (settings of the Swin-T config).
_base_ = ['./swin-tiny-w4-1ch_1xb128-onecycle-300e_opensarurban.py']
model = dict(backbone=dict(arch='base'), head=dict(in_channels=1024))
