# FCOS ship detection on synthetic SAR scenes with a 1-channel ResNet-18, random initialisation.
_base_ = [
    '../_base_/default_runtime/mmdet.py',
    '../_base_/models/fcos_r18_1ch_fpn.py',
    '../_base_/datasets/synthetic_sar_ships_det.py',
    '../_base_/schedules/fcos_sgd_1x.py',
]
auto_scale_lr = dict(base_batch_size=4)
