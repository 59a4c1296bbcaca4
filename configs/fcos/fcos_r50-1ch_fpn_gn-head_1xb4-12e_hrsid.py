# FCOS on HRSID (800 x 800), SAR-HUB's setting, single-channel ResNet-50 from random
# initialisation. Other backbones / initialisations: the SSDD configs' model lines on this base
# (configs/fcos/README.md).
_base_ = [
    '../_base_/default_runtime/mmdet.py',
    '../_base_/models/fcos_r50_1ch_fpn_gn-head.py',
    '../_base_/datasets/hrsid.py',
    '../_base_/schedules/fcos_sgd_1x.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.0025))
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP', rule='greater'))
