# SAR-HUB's pre-training optimisation (Yang et al., "SAR-HUB: Pre-training, Fine-tuning, and
# Explaining", Remote Sensing 15(23):5534, 2023; Pre-training/src/dist_train.py of
# github.com/XAI4SAR/SAR-HUB): AdamW (eps 1e-8, weight decay 0.05 on every parameter) under a
# one-cycle schedule stepped every iteration: 30 % of the steps rise cosine-wise from
# eta_max / 25 to eta_max, the rest anneal cosine-wise to eta_max / 25 / 1e4; 300 epochs of
# batch 128. eta_max = 2.5e-4 for the CNNs (Swin configs set 2.5e-5).
# Unlike torch's OneCycleLR, mmengine's does not cycle the momentum (Adam's beta1 stays 0.9).
# The optimizer's lr is overwritten by the schedule (and --auto-scale-lr does not rescale
# eta_max): change eta_max, and `end` together with max_epochs.
max_epochs = 300
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2.5e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05))
param_scheduler = [
    dict(
        type='OneCycleLR',
        eta_max=2.5e-4,
        pct_start=0.3,
        anneal_strategy='cos',
        div_factor=25.,
        final_div_factor=1e4,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
