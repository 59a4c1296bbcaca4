# DeepLabv3 ship segmentation on synthetic SAR scenes (1-channel dilated ResNetV1c-18).
_base_ = [
    '../_base_/default_runtime/mmseg.py',
    '../_base_/models/deeplabv3_r18-d8_1ch.py',
    '../_base_/datasets/synthetic_sar_ships_seg.py',
    '../_base_/schedules/seg_sgd_poly_2k.py',
]
default_hooks = dict(checkpoint=dict(interval=500))
