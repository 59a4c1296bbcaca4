# SAR-JEPA's few-shot fine-tuning schedule (W. Li et al., ISPRS J. Photogramm. Remote Sens. 218,
# 2024; github.com/waterdisappear/SAR-JEPA, few_shot_classification/finetune/configs/trainers/
# MIM_finetune/vit_b16.yaml, run by Dassl): AdamW, lr 1e-3 for the batch of 50, weight decay
# 5e-4 on every parameter (Dassl's AdamW has no norm/bias exemption), betas (0.9, 0.999),
# 40 epochs, stepped once per epoch (never per iteration).
#
# Dassl's learning rate (the modified Dassl the reference ships, few_shot_classification/
# Dassl.pytorch.zip, dassl/optim/lr_scheduler.py; WARMUP_RECOUNT left at its default True):
# ConstantWarmupScheduler wraps CosineAnnealingLR(T_max = 40 epochs) and is stepped once at the
# end of every epoch. Epochs 0 and 1 train at the constant 1e-5 (WARMUP_TYPE "constant",
# WARMUP_CONS_LR 1e-5). The step that ends epoch 1 takes the wrapper to its warm-up count and
# hands over the cosine's *unstepped* value, the base lr, so epoch 2 trains at 1e-3; only the
# steps after epoch 2 advance the cosine. Epoch k >= 2 therefore trains at
#   lr_k = 0.5 * 1e-3 * (1 + cos(pi * (k - 2) / 40))
# (1e-3 at epoch 2, 1.38e-5 at epoch 39, never 0). In mmengine that is ConstantLR's factor
# 1e-2 lifted for epoch 2 (ConstantLR restores the lr on its last step, end - 1, hence
# end = warmup_epochs + 1) and the cosine begun at epoch 2, where its first step is a no-op:
#   epochs 0, 1: 1e-5; epoch 2: 1e-3; epoch 3: 9.98e-4; ...; epoch 39: 1.38e-5.
# tests/test_configs/test_model_zoo_configs.py steps it against a simulation of Dassl's
# warm-up wrapper and against that formula.
max_epochs = 40
warmup_epochs = 2
base_lr = 1e-3
warmup_lr = 1e-5
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.999), weight_decay=5e-4))
param_scheduler = [
    dict(
        type='ConstantLR',
        factor=warmup_lr / base_lr,
        by_epoch=True,
        begin=0,
        end=warmup_epochs + 1),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=0.0,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
# the reference's lr is for its batch of 50 on one GPU; --auto-scale-lr scales it from there
auto_scale_lr = dict(base_batch_size=50)
