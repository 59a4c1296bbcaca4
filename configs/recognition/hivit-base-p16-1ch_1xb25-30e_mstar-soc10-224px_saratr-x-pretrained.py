# The released SARATR-X HiViT-B (github.com/waterdisappear/SARATR-X; W. Li et al., IEEE Trans.
# Image Process. 34, 2025) on MSTAR SOC-10 with the release's few-shot protocol
# (classification/trainers/MIM_linear.py, configs/trainers/MIM_linear/vit_b16.yaml,
# scripts/MIM_linear/main.sh, and the modified Dassl of classification/Dassl.pytorch.zip).
# Convert the release first (docs/model_zoo.md), then, as the release evaluates it (a linear
# probe on the frozen backbone; --probe-norm is its BatchNorm without affine parameters,
# --linear-lr keeps its lr instead of the protocol's tenfold one):
#   python tools/fewshot_eval.py THIS_CONFIG --mode linear-runner --probe-norm \
#       --linear-lr 1e-3 --shots 5 10 20 --seeds 0 1 2 3 4 5 6 7 8 9
# or fine-tune the whole network with the same schedule (--mode finetune), which the release
# scripts name (scripts/MIM_finetune) but whose trainer it does not ship.
#
# Input, as the release's Dassl builds it for MSTAR (dassl/data/transforms/transforms.py):
# the chip read as 8-bit grey (cv2.IMREAD_GRAYSCALE), centre-cropped to 128 px (for MSTAR only,
# in training and test), resized to 224 px bicubic (test: short side, then a 224 centre crop,
# the same for the square crop), no augmentation (TRANSFORMS []), ToTensor without Normalize:
# amplitude / 255 in [0, 1]. The release feeds that band three times; the converted weights
# take it once (their three patch filters summed).
#
# Schedule (vit_b16.yaml, run by Dassl): batch 25 (test 50), AdamW lr 1e-3, weight decay 1e-4
# on every parameter, betas (0.9, 0.95), 30 epochs stepped per epoch; one warm-up epoch at the
# constant 1e-5, then Dassl's cosine of T_max = 30 epochs, stepped for the first time at the
# end of epoch 1, so epoch k >= 1 trains at 0.5 * 1e-3 * (1 + cos(pi * (k - 1) / 30)).
# mmengine: ConstantLR (factor 1e-2) lifted after epoch 0 (end = 2: it restores the lr on its
# last step), the cosine begun at epoch 1 (its first step is a no-op).
#
# Data: configs/_base_/datasets/mstar_soc10.py (17 deg list, the chips not drawn as test set).
# The release's own split (split_Li_MSTAR_SOC.json) is not published.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/hivit_base_p16_1ch_cls_saratr-x.py',
    '../_base_/datasets/mstar_soc10.py',
    '../_base_/schedules/adamw_const-warmup_cosine_40e.py',
]
saratr_x_crop = 128
saratr_x_img_size = 224
model = dict(head=dict(num_classes=_base_.num_classes))
data_preprocessor = dict(num_classes=_base_.num_classes, mean=[0.], std=[255.], to_rgb=False)
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='CenterCrop', crop_size=saratr_x_crop),
    dict(type='Resize', scale=(saratr_x_img_size, saratr_x_img_size), interpolation='bicubic'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='CenterCrop', crop_size=saratr_x_crop),
    dict(type='ResizeEdge', scale=saratr_x_img_size, edge='short', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=saratr_x_img_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=25, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=50, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# the SAR-JEPA release schedule (same Dassl warm-up + cosine) with this release's values
max_epochs = 30
warmup_epochs = 1
optim_wrapper = dict(optimizer=dict(betas=(0.9, 0.95), weight_decay=1e-4))
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs + 1),
    dict(_base_.param_scheduler[1], T_max=max_epochs, begin=warmup_epochs, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# the release's lr is for its batch of 25 on one GPU; --auto-scale-lr scales it from there
auto_scale_lr = dict(base_batch_size=25)
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
