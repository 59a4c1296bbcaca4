# FCOS on LS-SSDD-v1.0 tiles cut from the whole scenes by tools/dataset_converters/slice_scenes.py,
# reporting tile-level (`coco/`) and scene-level (`coco_scene/`, detections merged back into the
# scenes with NMS) COCO metrics. Preparation: configs/_base_/datasets/ls_ssdd_sliced.py.
_base_ = [
    '../_base_/default_runtime/mmdet.py',
    '../_base_/models/fcos_r50_1ch_fpn_gn-head.py',
    '../_base_/datasets/ls_ssdd_sliced.py',
    '../_base_/schedules/fcos_sgd_1x.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.0025))
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(checkpoint=dict(save_best='coco_scene/bbox_mAP', rule='greater'))
