# SimCLR's optimisation (Chen et al., ICML 2020; mmpretrain's SimCLR configs): LARS with
# lr = 0.3 x batch / 256, weight decay 1e-6, no decay nor LARS adaptation on norms and biases,
# 10 warm-up epochs then cosine decay; 200 epochs.
max_epochs = 200
warmup_epochs = 10
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=0.3, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),  # the BN of ResNet shortcuts
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None
# lr above is for a total batch of 256; --auto-scale-lr rescales it to the batch used
auto_scale_lr = dict(base_batch_size=256)
