# Shared loaders, metrics and input steps of the held-out few-shot recognition configs,
# inherited by mstar_soc10.py, fusar_ship.py, sar_acd.py and opensarship.py.
#
# Protocol: `num_shots` chips per class drawn with `fewshot_seed` for training
# (fewshot_split='train'), every other chip for validation and test (fewshot_split='rest').
#
# A child config sets dataset_type, data_root, num_classes, img_size and data_preprocessor,
# inserts its size step (CenterCrop / Resize to `img_size`) after LoadSARImage in both pipelines,
# e.g.
#   train_pipeline = _base_.train_pipeline[:1] + [dict(type='Resize', scale=(img_size, img_size))] \
#       + _base_.train_pipeline[1:]
# (or writes its own pipelines for another loader / DRAA operator), fills in the dataset of each
# loader (type, data_root, ann_file or data_prefix, pipeline) and re-binds
# `test_dataloader = val_dataloader` so the test loader follows its val loader. Batch sizes,
# workers, samplers, the few-shot arguments and the metrics come from here.
num_shots = 10
fewshot_seed = 0

# amplitude of band 0, DRAA percentile truncation (random t in [0, 3] % in training, 1.5 % at test)
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.), test_mode=True),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        num_shots=num_shots, seed=fewshot_seed, fewshot_split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        num_shots=num_shots, seed=fewshot_seed, fewshot_split='rest', pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='PerClassAccuracy'),  # each class's accuracy and their mean
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
