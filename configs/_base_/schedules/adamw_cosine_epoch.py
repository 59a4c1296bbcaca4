# AdamW with a linear warm-up then cosine decay to zero, stepped every iteration; the short
# self-supervised schedules of sar_mm's CPU-budget pretraining configs. lr is for a total batch
# of auto_scale_lr.base_batch_size; set max_epochs and warmup_epochs in the config and rebuild
# param_scheduler there when they change (the values below are the defaults' schedule).
max_epochs = 40
warmup_epochs = 2
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=0.0,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None
auto_scale_lr = dict(base_batch_size=128)
