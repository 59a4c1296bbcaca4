# SAR-JEPA's pretraining schedule (Li et al., ISPRS J. 2024; reference code
# github.com/waterdisappear/SAR-JEPA, Pretraining/, MAE's recipe): adamw_cosine_epoch.py's AdamW
# (no weight decay on norms and biases) with betas 0.9/0.95 and weight decay 0.05, a linear
# warm-up from 1e-4 x lr over 20 epochs, then cosine decay to 0 at 300 epochs, stepped every
# iteration; no validation or test loop. lr is for a total batch of
# auto_scale_lr.base_batch_size, which the config sets.
#
# A run of another length sets max_epochs and warmup_epochs and derives its schedule from this
# one (a config's values do not reach into its base's expressions):
#   param_scheduler = [
#       dict(_base_.param_scheduler[0], end=warmup_epochs),
#       dict(_base_.param_scheduler[1], T_max=max_epochs - warmup_epochs, begin=warmup_epochs,
#            end=max_epochs)]
#   train_cfg = dict(max_epochs=max_epochs)
_base_ = ['./adamw_cosine_epoch.py']
max_epochs = 300
warmup_epochs = 20
optim_wrapper = dict(optimizer=dict(betas=(0.9, 0.95), weight_decay=0.05))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-4, end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
