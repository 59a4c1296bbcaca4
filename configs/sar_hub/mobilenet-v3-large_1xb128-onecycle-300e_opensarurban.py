# SAR-HUB model hub: MobileNetV3-large on OpenSARUrban (recipe of the ResNet-50 config).
# mmpretrain's MobileNetV3 has no in_channels (its stem takes 3 channels): three equal
# mean/std values make the data preprocessor broadcast the one SAR channel to the three input
# channels while normalising it, so the data pipeline stays the 1-channel one of the dataset.
_base_ = ['./resnet50-1ch_1xb128-onecycle-300e_opensarurban.py']
model = dict(
    backbone=dict(_delete_=True, type='MobileNetV3', arch='large'), head=dict(in_channels=960))
data_preprocessor = dict(
    mean=_base_.data_preprocessor.mean * 3, std=_base_.data_preprocessor.std * 3)
