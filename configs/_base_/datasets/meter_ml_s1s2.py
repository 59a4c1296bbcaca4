# METER-ML methane-source classification from co-registered Sentinel-1 + Sentinel-2 (10 m)
# images of each site (arXiv:2207.11166;
# data: https://stanfordmlgroup.github.io/projects/meter-ml/).
# LoadModalityPair stacks S1 (VV, VH) and S2 (B2, B3, B4, B8) into one 6-channel image, so the
# crop and flips move both sensors alike. The stored values are neither dB nor reflectance:
# they are normalised per channel with the statistics SupCon_SSL uses.
dataset_type = 'METERML'
data_root = 'data/meter-ml/'
img_size = 72  # SupCon_SSL resizes every view to 72 x 72

data_preprocessor = dict(
    type='MultiViewClsDataPreprocessor',
    num_classes=7,
    to_rgb=False,
    mean=[1652.7944, 1258.3584, 1025.2214, 1138.3673, 1194.6796, 2637.0828],
    std=[290.2874, 280.4149, 724.7973, 545.1207, 514.9276, 1051.9325])

load_pair = dict(
    type='LoadModalityPair',
    channels=(2, 4),
    loaders=[dict(type='LoadSARImage'), dict(type='LoadSARImage')])
resize = dict(type='Resize', scale=(img_size, img_size), backend='cv2')
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'modality_channels')
# SupCon_SSL's METER-ML augmentation: flips and a random resized crop of 90-100 % of the area
pair_aug = [
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.9, 1.0), backend='cv2'),
]
# view 0: the un-augmented pair (cross-entropy); views 1-2: un-augmented + augmented (SupCon)
train_pipeline = [
    load_pair,
    resize,
    dict(type='MultiView', num_views=[2, 1], transforms=[[], pair_aug]),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [load_pair, resize, dict(type='PackInputs', meta_keys=meta_keys)]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train_dataset.json',
        s2_bands='10m',
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val_dataset.json',
        s2_bands='10m',
        pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall'), average='macro'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
