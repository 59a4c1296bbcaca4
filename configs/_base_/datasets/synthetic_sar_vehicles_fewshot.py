# Few-shot vehicle recognition on synthetic SAR chips (16-bit PNG amplitude, 5 classes).
# Training keeps `num_shots` chips per class drawn with `seed`; validation and test use every
# other chip (fewshot_split='rest'), the held-out protocol used when no official test split exists.
dataset_type = 'SARClassificationDataset'
data_root = 'data/synthetic_sar/vehicles/'
# the generator's class order (meta/classes.txt), so predictions and reports carry names
classes = ('tank', 'truck', 'apc', 'bulldozer', 'air_defence')
num_shots = 10
fewshot_seed = 0

data_preprocessor = dict(num_classes=5, mean=[48.5], std=[4.5], to_rgb=False)

train_pipeline = [
    dict(type='LoadSARImage', to='db'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='db'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/all.txt',
        metainfo=dict(classes=classes),
        num_shots=num_shots,
        seed=fewshot_seed,
        fewshot_split='train',
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/all.txt',
        metainfo=dict(classes=classes),
        num_shots=num_shots,
        seed=fewshot_seed,
        fewshot_split='rest',
        pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall'), average='macro'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
