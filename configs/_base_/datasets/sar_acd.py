# SAR-ACD (Gaofen-3) civil aircraft chips for recognition, held-out few-shot protocol
# (`SARACD`, 5 types: A220, A330, ARJ21, Boeing737, Boeing787).
#
# Layout: the release's folder per type (B737/B787 spellings accepted):
#   data/SAR-ACD/<type>/*.tif
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
#
# Protocol: `num_shots` chips per type (seed `fewshot_seed`) for training, the rest for
# validation and test (SAR-ACD has no official split; SCAN's few-shot setting draws shots per
# type the same way). Input: amplitude resized to 128 x 128, DRAA percentile truncation.
dataset_type = 'SARACD'
data_root = 'data/SAR-ACD/'
num_classes = 5
num_shots = 10
fewshot_seed = 0
img_size = 128

# approximate statistics of DRAA-truncated chips (values of truncated Sentinel-1 chips with
# land clutter; measure yours and replace)
data_preprocessor = dict(num_classes=num_classes, mean=[0.25], std=[0.19], to_rgb=False)

train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.), test_mode=True),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, num_shots=num_shots,
                 seed=fewshot_seed, fewshot_split='train', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, num_shots=num_shots,
                 seed=fewshot_seed, fewshot_split='rest', pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='PerClassAccuracy'),  # each class's accuracy and their mean
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
