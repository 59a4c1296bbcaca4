# DeepLabv3 building segmentation on SpaceNet 6 quad-pol SAR (HH, HV, VH, VV as 4 input
# channels): dilated ResNetV1c-18 (output stride 8), ASPP head, FCN auxiliary head, random
# init, 20k iterations (SAR-HUB's schedule), 512 x 512 crops, 4 GPUs x 2 tiles.
_base_ = [
    '../_base_/default_runtime/mmseg.py',
    '../_base_/models/deeplabv3_r18-d8_1ch.py',
    '../_base_/datasets/spacenet6_sar.py',
    '../_base_/schedules/seg_sgd_poly_20k.py',
]
model = dict(backbone=dict(in_channels=len(_base_.sar_bands)))
