# SAR-HUB model hub: 1-channel ResNet-50 on TerraSAR-X scene patches (32 classes), DRAA tone
# mapping; otherwise the OpenSARUrban recipe.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/sar_hub_resnet50_1ch.py',
    '../_base_/datasets/terrasarx_scenes.py',
    '../_base_/schedules/adamw_onecycle_300e.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='auto'))
