# SimCLR pretraining of a 1-channel ResNet-18 on unlabelled synthetic SAR chips (CPU: minutes).
# The first stage of `make demo`; the backbone is then fine-tuned (configs/fewshot) and
# transferred to ship detection (configs/fcos).
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/simclr_resnet18_1ch.py',
    '../_base_/datasets/synthetic_sar_unlabeled_simclr.py',
    '../_base_/schedules/sgd_cosine_epoch.py',
]
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 1,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True),
]
val_cfg = None
test_cfg = None
