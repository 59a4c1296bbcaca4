# BigEarthNet-S1 (Sentinel-1, 19-class multi-label land cover) for SAR-HUB scene-classification
# pretraining (`BigEarthNetS1`), SAR-HUB's input recipe for this set: DRAA percentile truncation
# (random t in [0, 2] % in training), 120 -> 128 px, horizontal flip, rotation up to 10 deg.
#
# Layout: one VV patch per line and its comma-separated class indices (SAR-HUB's
# Pre-training/data/BEN/ben_*.txt):
#   data/BigEarthNet-S1/patches/S1A_..._VV.npy 9,10
#   data/BigEarthNet-S1/ben_train.txt, ben_val.txt
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
dataset_type = 'BigEarthNetS1'
data_root = 'data/BigEarthNet-S1/'
data_prefix = 'patches'
num_classes = 19
img_size = 128

# mean: SAR-HUB's for this set after DRAA; std: pixel std of DRAA-truncated Sentinel-1 chips
data_preprocessor = dict(num_classes=num_classes, mean=[0.60], std=[0.19], to_rgb=False)

train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 2.)),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Rotate', magnitude_range=(0., 10.), magnitude_std='inf', prob=1.0,
         random_negative_prob=0.5, pad_val=0, interpolation='bilinear'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 2.), test_mode=True),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='ben_train.txt', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=200,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='ben_val.txt', pipeline=test_pipeline),
)
# multi-label: F1 / precision / recall at score 0.5 (macro over classes and micro over
# labels) and mAP
val_evaluator = [
    dict(type='MultiLabelMetric', thr=0.5, items=('precision', 'recall', 'f1-score'),
         average='macro'),
    dict(type='MultiLabelMetric', thr=0.5, items=('precision', 'recall', 'f1-score'),
         average='micro'),
    dict(type='AveragePrecision'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
