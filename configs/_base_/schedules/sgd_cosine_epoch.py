# SGD with momentum, epoch-based; task configs set max_epochs and the cosine decay to match.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# lr above is for this total batch size; --auto-scale-lr rescales it to the one used.
auto_scale_lr = dict(base_batch_size=32)
