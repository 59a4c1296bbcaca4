# TerraSAR-X scene patches (SAR-HUB's 32-class land-cover set) for scene-classification
# pretraining, as a generic `SARClassificationDataset` list; SAR-HUB's input recipe for this set:
# DRAA tone mapping (random brightness 3.5 to 4.5 in training, 4 at test), 128 x 128,
# horizontal flip, rotation up to 10 deg.
#
# Layout: "path label" lines (SAR-HUB's data/tsx_{train,val}.txt: .npy patches, label indices
# 0..31; class names are not published with the lists, so indices are used; give names with
# metainfo=dict(classes=(...)) to have them in the metrics):
#   data/TerraSAR-X/patches/<...>.npy
#   data/TerraSAR-X/tsx_train.txt, tsx_val.txt
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
dataset_type = 'SARClassificationDataset'
data_root = 'data/TerraSAR-X/'
data_prefix = 'patches'
num_classes = 32
img_size = 128

# mean: SAR-HUB's for this set after DRAA; std: pixel std of DRAA tone-mapped X-band chips
# (MSTAR, b = 4)
data_preprocessor = dict(num_classes=num_classes, mean=[0.177], std=[0.075], to_rgb=False)

train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='DRAAToneMapping', brightness_range=(3.5, 4.5)),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Rotate', magnitude_range=(0., 10.), magnitude_std='inf', prob=1.0,
         random_negative_prob=0.5, pad_val=0, interpolation='bilinear'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='DRAAToneMapping', brightness_range=(3.5, 4.5), test_mode=True),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='tsx_train.txt', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=200,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='tsx_val.txt', pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall', 'f1-score'), average='macro'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
