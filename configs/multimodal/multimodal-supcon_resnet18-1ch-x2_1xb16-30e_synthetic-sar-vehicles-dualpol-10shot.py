# 10-shot vehicle recognition on co-registered VV + VH synthetic SAR chips: a ResNet-18 per
# polarisation, features concatenated, CE on the un-augmented pair + SupCon across 2 augmented
# views x 2 polarisations (MultiModalClassifier).
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/multimodal_resnet18_dualpol.py',
    '../_base_/datasets/synthetic_sar_vehicles_dualpol.py',
    '../_base_/schedules/sgd_cosine_epoch.py',
]
data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

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
