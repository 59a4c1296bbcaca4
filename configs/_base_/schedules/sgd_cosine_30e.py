# The few-shot schedule of the synthetic vehicle configs: sgd_cosine_epoch.py's SGD with lr 0.02
# for a total batch of 16 and weight decay 5e-4, cosine decay to 0 over 30 epochs stepped every
# iteration, validation every 10 epochs.
_base_ = ['./sgd_cosine_epoch.py']
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
auto_scale_lr = dict(base_batch_size=16)
