# SAR-HUB model hub: 1-channel ResNet-50 on BigEarthNet-S1, multi-label (19 classes): a sigmoid
# head with the multi-label mini-CBL (positives of each label counted in the mini-batch).
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/sar_hub_resnet50_1ch.py',
    '../_base_/datasets/bigearthnet_s1.py',
    '../_base_/schedules/adamw_onecycle_300e.py',
]
model = dict(
    head=dict(
        _delete_=True,
        type='MultiLabelLinearClsHead',
        num_classes=_base_.num_classes,
        in_channels=2048,
        thr=0.5,
        loss=dict(type='MiniBatchClassBalancedLoss', use_sigmoid=True, beta=0.995, gamma=2.0)))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='auto'))
