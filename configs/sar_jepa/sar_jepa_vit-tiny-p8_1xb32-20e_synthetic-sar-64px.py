# SAR-JEPA on the CPU in minutes: a 6-block ViT of width 192 (ViT-tiny's width and heads),
# 8-px patches on 64 x 64 chips (an 8 x 8 patch grid), 4 windows of 4 x 4 patches per image with
# 13 of 16 masked, a 2-block predictor of width 128, trained 20 epochs on the unlabelled synthetic
# SAR chips of `make demo` (tools/misc/generate_synthetic_sar.py; 1500 float32 amplitude chips).
# The target ablations in this folder (*_target-*.py) change only model.target_generator.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/sar_jepa_vit.py',
    '../_base_/models/vit_tiny_p8_1ch.py',
    '../_base_/schedules/sar_jepa_adamw_cosine_300e.py',
]

model = dict(
    # the ViT-B/16 of sar_jepa_vit.py replaced by the shared small ViT at 64 px
    backbone=dict(_base_.vit_tiny_p8_1ch, _delete_=True, type='SARJEPAViT', out_type='featmap'),
    # the paper's radii (5, 9, 13, 17 for 16-px patches) scaled with the patch size;
    # D = 4 radii x 8 x 8 = 256
    target_generator=dict(radii=(2, 4, 6, 8), eps=0.01, patch_size=8),
    neck=dict(embed_dims=128, num_layers=2, num_heads=4),
    num_windows=4,
    window_size=4,
    mask_ratio=0.8)

# Unlabelled synthetic chips (the data root of configs/_base_/datasets/
# synthetic_sar_unlabeled_simclr.py). Point elsewhere with
# --cfg-options train_dataloader.dataset.data_root=DIR
data_root = 'data/synthetic_sar/unlabeled/'
# amplitude statistics of the generated chips (mean 0.156, std 0.172); SARJEPA inverts this
# normalisation and computes the targets on the non-negative amplitude
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[0.16], std=[0.17], to_rgb=False)

train_pipeline = [
    dict(type='LoadSARImage', to='amplitude'),
    # bilinear: no negative overshoot next to bright scatterers (bicubic has some)
    dict(
        type='RandomResizedCrop',
        scale=64,
        crop_ratio_range=(0.2, 1.0),
        interpolation='bilinear',
        backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomSpeckle', looks_range=(2., 8.), domain='amplitude', prob=0.5),
    dict(type='RandomCalibrationGain', gain_db_range=(-3., 3.), domain='amplitude', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='SARUnlabeledDataset', data_root=data_root, pipeline=train_pipeline),
)

# The paper's AdamW recipe (the schedule base) over 20 epochs, warmed up over 2 from 1e-3 x lr;
# lr is for this batch of 32 (--auto-scale-lr rescales it to the batch used).
auto_scale_lr = dict(base_batch_size=32)

max_epochs = 20
warmup_epochs = 2
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-3, end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
