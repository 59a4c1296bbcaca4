# 10-shot vehicle recognition on synthetic SAR chips, ResNet-18 from random initialisation.
# For a pretrained backbone see the *_simclr-pretrained.py config beside this one.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/resnet18_1ch_cls.py',
    '../_base_/datasets/synthetic_sar_vehicles_fewshot.py',
    '../_base_/schedules/sgd_cosine_epoch.py',
]
max_epochs = 30
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
optim_wrapper = dict(optimizer=dict(lr=0.02, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=10, save_best='auto'))
auto_scale_lr = dict(base_batch_size=16)
