# SAR-HUB model hub (Yang et al., Remote Sensing 2023): a 1-channel ResNet-50 pretrained by scene
# classification on OpenSARUrban with DRAA and mini-CBL, AdamW and a one-cycle cosine schedule.
# The other architectures of the hub on OpenSARUrban inherit this file; other datasets: see
# README.md in this folder.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/sar_hub_resnet50_1ch.py',
    '../_base_/datasets/opensarurban.py',
    '../_base_/schedules/adamw_onecycle_300e.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='auto'))
