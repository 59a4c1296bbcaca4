# SAR-JEPA on a 2-core CPU budget: the small ViT (6 blocks, width 192, 8-px patches) on 64-px
# MSTAR SOC-10 17 deg chips (a random resized crop of 30-100 % of the 128-px centre, resized to
# 64 px: an 8 x 8 patch grid), 4 windows of 4 x 4 patches with 80 % masked, multi-scale
# ratio-gradient targets, 40 epochs of batch 128; otherwise the 128-px MSTAR config.
# The input domain of configs/recognition/vit-tiny-p8-1ch_1xb32-100e_mstar-soc10-64px.py, which
# probes and fine-tunes the encoder (its *_sar-jepa-pretrained twin loads the checkpoint).
# The pool is every 17 deg chip, without labels (transductive when they are the test set).
# *_target-pixel.py beside this one is the paper's ablation (MAE's pixel target), same budget.
# Progress: the kNN hook of _base_/datasets/mstar_soc10_64px_knn.py (patch-token mean).
_base_ = [
    './sar_jepa_vit-tiny-p8_1xb64-200e_sar-chips-128px.py',
    '../_base_/datasets/mstar_soc10_64px_knn.py',
]
model = dict(backbone=dict(img_size=64), window_size=4)
train_pipeline = _base_.train_pipeline[:2] + [dict(_base_.train_pipeline[2], scale=64)] + \
    _base_.train_pipeline[3:]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(base_batch_size=128)  # lr 1e-3 (the base's) for this batch

max_epochs = 40
warmup_epochs = 2
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2), logger=dict(interval=5))
