# SimCLR on a 2-core CPU budget: SARResNet-18 (3x3 stride-2 stem, no max-pool) on 64-px views of
# the MSTAR SOC-10 17 deg chips, 35 epochs of batch 128 under AdamW (measured: 4.4 s per step,
# 21 steps per epoch, about 55 min with the kNN evaluations). The backbone and input
# domain are those of configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py (the
# 128-px centre resized to 64 px, DRAA tone mapping), so that config fine-tunes or probes it:
#   tools/fewshot_eval.py configs/recognition/sar-resnet18-1ch_1xb32-100e_mstar-soc10-64px.py \
#       --mode linear knn finetune --cfg-options \
#       model.backbone.init_cfg.type=Pretrained model.backbone.init_cfg.prefix=backbone. \
#       model.backbone.init_cfg.checkpoint=work_dirs/<this config>/epoch_35.pth
# (or its *_simclr-pretrained twin). The pool is every 17 deg chip, the chips later tested on
# included, without labels: the pretraining is transductive when those chips are the test set.
#
# Views: from the 128-px centre, a small rotation (azimuth is part of a target's signature: at
# most 15 deg), a random resized crop of 35-100 % of the area to 64 px (a zoom and a shift of a
# few pixels of the 64-px input), a horizontal flip, extra speckle (2-8 looks), DRAA tone
# mapping with a random brightness (radiometric jitter) and a +-2 dB calibration gain.
# Progress: the kNN hook of _base_/datasets/mstar_soc10_64px_knn.py.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/simclr_resnet18_1ch.py',
    '../_base_/datasets/sar_chips_unlabeled_simclr.py',
    '../_base_/datasets/mstar_soc10_64px_knn.py',
    '../_base_/schedules/adamw_cosine_epoch.py',
]
img_size = 64
model = dict(
    backbone=dict(type='SARResNet', stem_stride=2, zero_init_residual=False),
    head=dict(temperature=0.2))

# the base's views at 64 px: a crop of 35-100 % of the 128-px centre, resized to 64 px
view_pipeline = [
    _base_.view_pipeline[0],
    dict(_base_.view_pipeline[1], scale=img_size, crop_ratio_range=(0.35, 1.0))
] + _base_.view_pipeline[2:]
train_pipeline = _base_.train_pipeline[:2] + [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline])
] + _base_.train_pipeline[3:]
train_dataloader = dict(batch_size=128, num_workers=2, dataset=dict(pipeline=train_pipeline))

max_epochs = 35
warmup_epochs = 2
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2), logger=dict(interval=5))
