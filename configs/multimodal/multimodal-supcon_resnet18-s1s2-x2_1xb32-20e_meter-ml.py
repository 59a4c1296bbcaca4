# METER-ML methane-source classification (7 classes) from Sentinel-1 + Sentinel-2 (10 m)
# pairs: a ResNet-18 per sensor (the nearest mmpretrain backbone to the seed's Small AlexNet),
# features concatenated, CE on the un-augmented pair + SupCon over 2 views per sensor (one
# un-augmented, one flipped/cropped), as github.com/bakiuzun/SupCon_SSL.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/multimodal_resnet18_s1s2.py',
    '../_base_/datasets/meter_ml_s1s2.py',
    '../_base_/schedules/sgd_cosine_epoch.py',
]
max_epochs = 20
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=1e-4))  # SupCon_SSL: SGD lr 0.01
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=5, save_best='auto'))
auto_scale_lr = dict(base_batch_size=32)
