# SAR-JEPA on a 2-core CPU budget: the small ViT (6 blocks, width 192, 8-px patches) on 64-px
# MSTAR SOC-10 17 deg chips (the 128-px centre resized to 64 px: an 8 x 8 patch grid), 4 windows
# of 4 x 4 patches with 80 % masked, multi-scale ratio-gradient targets, 40 epochs of batch 128.
# The input domain of configs/recognition/vit-tiny-p8-1ch_1xb32-100e_mstar-soc10-64px.py, which
# probes and fine-tunes the encoder (tools/fewshot_eval.py ... --cfg-options
# model.backbone.init_cfg.type=Pretrained model.backbone.init_cfg.prefix=backbone.
# model.backbone.init_cfg.missing=warn model.backbone.init_cfg.checkpoint=<epoch_40.pth>).
# The pool is every 17 deg chip, without labels (transductive when they are the test set).
# *_target-pixel.py beside this one is the paper's ablation (MAE's pixel target), same budget.
# Progress: the kNN hook of _base_/datasets/mstar_soc10_64px_knn.py (patch-token mean).
_base_ = [
    './sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py',
    '../_base_/datasets/mstar_soc10_64px_knn.py',
]
data_root = 'data/mstar_soc10/'
# DRAA tone-mapped MSTAR chips (configs/_base_/datasets/mstar_soc10.py): SARJEPA undoes this
# normalisation and takes its gradient targets on the non-negative tone-mapped image
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[0.112], std=[0.075],
                         to_rgb=False)
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='CenterCrop', crop_size=128),
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.35, 1.0),
         interpolation='bilinear', backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomSpeckle', looks_range=(2., 8.), domain='amplitude', prob=0.5),
    dict(type='DRAAToneMapping', brightness_range=(3.5, 4.5)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    dataset=dict(data_root=data_root, roots=['train'], pipeline=train_pipeline))
# the paper's AdamW (betas 0.9 / 0.95, weight decay 0.05), lr 1e-3 for batch 128
optim_wrapper = dict(optimizer=dict(lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05))
max_epochs = 40
warmup_epochs = 2
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=0.0,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2), logger=dict(interval=5))
