# BigEarthNet-S1 (Sentinel-1, 19-class multi-label land cover) for SAR-HUB scene-classification
# pretraining (`BigEarthNetS1`), SAR-HUB's input recipe for this set: DRAA percentile truncation
# (random t in [0, 2] % in training), 120 -> 128 px, horizontal flip, rotation up to 10 deg.
#
# Layout: one VV patch per line and its comma-separated class indices (SAR-HUB's
# Pre-training/data/BEN/ben_*.txt):
#   data/BigEarthNet-S1/patches/S1A_..._VV.npy 9,10
#   data/BigEarthNet-S1/ben_train.txt, ben_val.txt
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
_base_ = ['./sar_hub_scenes_128px.py']
dataset_type = 'BigEarthNetS1'
data_root = 'data/BigEarthNet-S1/'
num_classes = 19

# mean: SAR-HUB's for this set after DRAA; std: pixel std of DRAA-truncated Sentinel-1 chips
data_preprocessor = dict(num_classes=num_classes, mean=[0.60], std=[0.19], to_rgb=False)

# SAR-HUB's DRAA step for this set, after LoadSARImage
train_pipeline = _base_.train_pipeline[:1] + [
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 2.)),
] + _base_.train_pipeline[1:]
test_pipeline = _base_.test_pipeline[:1] + [
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 2.), test_mode=True),
] + _base_.test_pipeline[1:]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='ben_train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='ben_val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
# multi-label: F1 / precision / recall at score 0.5 (macro over classes and micro over
# labels) and mAP
val_evaluator = [
    dict(
        type='MultiLabelMetric',
        thr=0.5,
        items=('precision', 'recall', 'f1-score'),
        average='macro'),
    dict(
        type='MultiLabelMetric',
        thr=0.5,
        items=('precision', 'recall', 'f1-score'),
        average='micro'),
    dict(type='AveragePrecision'),
]
test_evaluator = val_evaluator
