# SGD with polynomial decay over 20k iterations: mmseg's 20k schedule, the segmentation setting of
# SAR-HUB (Remote Sensing 15, 2023) for SpaceNet 6. Validation and checkpoints every 2k iterations.
_base_ = ['./seg_sgd_poly_2k.py']
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=20000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
# lr 0.01 is mmseg's for 4 GPUs x 2 images
auto_scale_lr = dict(enable=False, base_batch_size=8)
