# Unlabelled synthetic SAR chips (tools/misc/generate_synthetic_sar.py) with SimCLR-style views.
# Point data_root at a real set with: --cfg-options train_dataloader.dataset.data_root=DIR
dataset_type = 'SARUnlabeledDataset'
data_root = 'data/synthetic_sar/unlabeled/'

# dB statistics of the generated amplitude chips (10*log10 of intensity).
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[-17.5], std=[4.3], to_rgb=False)

view_pipeline = [
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.3, 1.0), backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
]
train_pipeline = [
    dict(type='LoadSARImage', to='db'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline),
)
