# Shared input recipe and loaders of SAR-HUB scene-classification pretraining (single-polarisation
# amplitude, 128 x 128, horizontal flip and a rotation of up to 10 deg), inherited by
# opensarurban.py, terrasarx_scenes.py and bigearthnet_s1.py.
#
# A child config sets dataset_type, data_root, num_classes and data_preprocessor, inserts its
# DRAA step after LoadSARImage in both pipelines, e.g.
#   train_pipeline = _base_.train_pipeline[:1] + [dict(type='DRAAToneMapping')] \
#       + _base_.train_pipeline[1:]
# and fills in the dataset of each loader (type, data_root, ann_file, pipeline); the loaders'
# batch sizes, workers and samplers and single-label metrics come from here.
data_prefix = 'patches'
img_size = 128

train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='Rotate',
        magnitude_range=(0., 10.),
        magnitude_std='inf',
        prob=1.0,
        random_negative_prob=0.5,
        pad_val=0,
        interpolation='bilinear'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(data_prefix=data_prefix, pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=200,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_prefix=data_prefix, pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall', 'f1-score'), average='macro'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
