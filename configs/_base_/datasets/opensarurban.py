# OpenSARUrban (Sentinel-1 urban scenes, 10 classes) for SAR-HUB scene-classification
# pretraining (`OpenSARUrban`), SAR-HUB's input recipe for this set: DRAA percentile truncation
# (random t in [0, 3] % in training), 128 x 128, horizontal flip and a rotation of up to 10 deg.
#
# Layout: single-polarisation patches (VV, .tif or .npy) and list files of "path label" lines:
#   data/OpenSARUrban/patches/<...>_vv.npy
#   data/OpenSARUrban/train.txt, val.txt
# Labels are class names (or SAR-HUB's file-name prefixes: denselow, highbuildings, ...) or
# indices into the alphabetical classes of sar_mm's OpenSARUrban; SAR-HUB's own lists
# (SAR Scene Classification/Data/OSU_*.txt) number the classes in another order: give their
# order with metainfo=dict(classes=(...)) or write names instead of indices.
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
dataset_type = 'OpenSARUrban'
data_root = 'data/OpenSARUrban/'
data_prefix = 'patches'
num_classes = 10
img_size = 128

# mean: SAR-HUB's for this set after DRAA; std: the pixel std of DRAA-truncated Sentinel-1
# chips (SAR-HUB's 0.034 is far below any pixel std of a [0, 1] image)
data_preprocessor = dict(num_classes=num_classes, mean=[0.316], std=[0.19], to_rgb=False)

train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.)),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Rotate', magnitude_range=(0., 10.), magnitude_std='inf', prob=1.0,
         random_negative_prob=0.5, pad_val=0, interpolation='bilinear'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.), test_mode=True),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='train.txt', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=200,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='val.txt', pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall', 'f1-score'), average='macro'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
