# 10-shot vehicle recognition on synthetic SAR chips, ResNet-18 from random initialisation.
# For a pretrained backbone see the *_simclr-pretrained.py config beside this one.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/resnet18_1ch_cls.py',
    '../_base_/datasets/synthetic_sar_vehicles_fewshot.py',
    '../_base_/schedules/sgd_cosine_30e.py',
]
default_hooks = dict(checkpoint=dict(interval=10, save_best='auto'))
