# Fine-tuning of CNN recognisers: SGD with Nesterov momentum 0.9, lr 0.01 and weight decay 1e-3
# (SAR-HUB's target-recognition fine-tuning, Fine-tuning/Target_recognition/src/main.py of
# github.com/XAI4SAR/SAR-HUB), decayed by a cosine over 100 epochs instead of its 500-epoch
# step schedule; validation every 10 epochs.
max_epochs = 100
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-3))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
# lr above is for this total batch; --auto-scale-lr rescales it to the one used
auto_scale_lr = dict(base_batch_size=32)
