# SAR-JEPA pretraining as in the paper (Li et al., ISPRS J. 2024; reference code
# github.com/waterdisappear/SAR-JEPA, Pretraining/): ViT-B/16 at 224 x 224 on the pooled
# unlabelled SAR sets MSAR (28,499 images), SAR-Ship (39,729), SARSim (21,168) and SAMPLE (5,380),
# batch 75 per GPU, AdamW (betas 0.9/0.95, weight decay 0.05, none on norms and biases),
# lr = 1e-3 x total batch / 256, 20 warm-up epochs then cosine to 0, 300 epochs.
#
# Data: put the four sets under one folder, one sub-folder each (any tree below it; every
# image SARUnlabeledDataset recognises is used):
#   data/sar_jepa_pretrain/{MSAR,SAR-Ship,SARSim,SAMPLE}/...
# or point elsewhere with --cfg-options train_dataloader.dataset.data_root=DIR
#
# Value domain: the reference reads the 8-bit images as grey levels and scales them to [0, 1]
# (ToTensor, no Normalize). Here the pipeline keeps the 8-bit amplitude (0..255) and the data
# preprocessor divides by 255, which gives the same network input; SARJEPA inverts that
# normalisation and computes the gradient targets on the non-negative amplitude, so the
# target's eps is the reference's +0.01 on [0, 1] images times 255. For 16-bit or calibrated
# float amplitudes, change std (and eps with it).
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/sar_jepa_vit.py',
    '../_base_/schedules/sar_jepa_adamw_cosine_300e.py',
]

model = dict(target_generator=dict(eps=0.01 * 255))

data_root = 'data/sar_jepa_pretrain/'
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[0.], std=[255.], to_rgb=False)

train_pipeline = [
    # band 0: a grey image saved as 3 identical colour bands still gives one channel
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    # bilinear, not the reference's bicubic: bicubic overshoots below 0 next to bright
    # scatterers, and the targets need non-negative amplitudes
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.0),
        interpolation='bilinear',
        backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # in place of the reference's ColorJitter(contrast=0.5): extra speckle and a calibration
    # gain of up to +-3 dB (the gradient-by-ratio target is invariant to the gain)
    dict(type='RandomSpeckle', looks_range=(2., 8.), domain='amplitude', prob=0.5),
    dict(type='RandomCalibrationGain', gain_db_range=(-3., 3.), domain='amplitude', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=75,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='SARUnlabeledDataset',
        data_root=data_root,
        roots=['MSAR', 'SAR-Ship', 'SARSim', 'SAMPLE'],
        pipeline=train_pipeline),
)

# The paper's schedule (the base's); lr is the base lr for a total batch of 256 and is always
# rescaled to the real total batch (enable=True), as the reference does (absolute lr = blr x
# effective batch / 256): 2.34e-3 on 8 GPUs x 75 (the reference README launches 4 x 75, i.e.
# 1.17e-3).
auto_scale_lr = dict(base_batch_size=256, enable=True)
# checkpoints every 10 epochs (the reference: every 50), the last 3 kept for resuming
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    logger=dict(type='LoggerHook', interval=50))
