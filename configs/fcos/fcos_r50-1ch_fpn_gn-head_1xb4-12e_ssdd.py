# FCOS on SSDD, SAR-HUB's setting (FPN + GroupNorm head, 1x schedule, one class, COCO metric),
# single-channel ResNet-50 from random initialisation. lr 0.0025 for 4 images per step (mmdet's
# 0.01 for 16, scaled linearly): `tools/train.py --auto-scale-lr` rescales it for other batches.
_base_ = [
    '../_base_/default_runtime/mmdet.py',
    '../_base_/models/fcos_r50_1ch_fpn_gn-head.py',
    '../_base_/datasets/ssdd.py',
    '../_base_/schedules/fcos_sgd_1x.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.0025))
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP', rule='greater'))
