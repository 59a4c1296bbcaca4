# Unlabelled real SAR chips with SAR views for SimCLR-style pretraining (`SARUnlabeledDataset`:
# every image found under `roots`, labels ignored). Default: the MSTAR SOC-10 17 deg JPEG chips
#   data/mstar_soc10/train/<CLASS>/*.jpeg
# Any folder of chips works; point elsewhere with
#   --cfg-options train_dataloader.dataset.data_root=DIR "train_dataloader.dataset.roots=[SUB]"
#
# Views (SimCLR-SAR-ATR style: the colour jitter and grey-scale steps of SimCLR have no meaning
# for one SAR channel, so SAR-specific photometric changes replace them): from the central
# 128 px of each chip, a small rotation, a random resized crop, a horizontal flip, extra speckle
# (Gamma, 2 to 8 looks) on the amplitude, then DRAA tone mapping with a wide random brightness
# (the radiometric "jitter": it compresses the dynamic range differently for each view), then a
# +-2 dB gain on the tone-mapped image (before DRAA, whose max normalisation would cancel it).
# The operator is the one of the MSTAR recognition configs (configs/_base_/datasets/
# mstar_soc10.py), so a pretrained backbone sees the same input domain when fine-tuned.
dataset_type = 'SARUnlabeledDataset'
data_root = 'data/mstar_soc10/'
view_size = 128

# DRAA tone-mapped MSTAR chips: mean / std at b = 4 (see mstar_soc10.py)
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[0.112], std=[0.075], to_rgb=False)

view_pipeline = [
    dict(
        type='Rotate',
        magnitude_range=(0., 15.),
        magnitude_std='inf',
        prob=1.0,
        random_negative_prob=0.5,
        pad_val=0,
        interpolation='bilinear'),
    dict(
        type='RandomResizedCrop',
        scale=view_size,
        crop_ratio_range=(0.3, 1.0),
        interpolation='bilinear',
        backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomSpeckle', looks_range=(2., 8.), domain='amplitude', prob=0.5),
    dict(type='DRAAToneMapping', brightness_range=(2.5, 6.0)),
    dict(type='RandomCalibrationGain', gain_db_range=(-2., 2.), domain='amplitude', prob=0.5),
]
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='CenterCrop', crop_size=128),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, roots=['train'], pipeline=train_pipeline),
)
