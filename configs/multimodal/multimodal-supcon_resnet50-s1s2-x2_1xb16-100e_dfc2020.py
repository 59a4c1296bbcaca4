# DFC2020 scene classification (8 classes) from Sentinel-1 + Sentinel-2 pairs: a ResNet-50 per
# sensor, features concatenated, CE on the un-augmented pair + SupCon over 2 views per sensor
# (one un-augmented, one flipped/rotated), the seed experiment of
# github.com/bakiuzun/SupCon_SSL. Load SEN12MS-pretrained backbones with init_cfg.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/multimodal_resnet50_s1s2.py',
    '../_base_/datasets/dfc2020_s1s2.py',
    '../_base_/schedules/sgd_cosine_epoch.py',
]
max_epochs = 100
# Adam as SupCon_SSL (lr 1e-5, weight decay 1e-3 for fine-tuning pretrained backbones)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-3))
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
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
