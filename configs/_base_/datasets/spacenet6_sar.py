# SpaceNet 6 (MSAW) building segmentation from the quad-pol SAR-Intensity tiles (Rotterdam, 0.5 m,
# 900 x 900 px GeoTIFFs, 4 float32 bands HH, HV, VH, VV; zeros mark no-data) with the building
# polygons rasterised to 0/1 PNG masks (see sar_mm.datasets.SpaceNet6SAR for the layout).
#
# file_kind='db' takes the SAR-Intensity values as log-scaled (dB-like, a few tens), as the
# SpaceNet 6 tiles are to our knowledge; check your copy: values spanning orders of magnitude
# are linear intensity (file_kind='intensity', and LoadSARImage converts to dB). DRAA percentile
# truncation (SAR-HUB) stretches each band of each tile to [0, 1] between its t-th and
# (100 - t)-th percentiles, random t in [0, 2] % in training, 1 % at test time: no dataset
# statistics are needed and the preprocessor only centres [0, 1]. Without DRAA, drop that step
# and set data_preprocessor mean/std to the per-band dB statistics of your training tiles.
#
# Bands: `sar_bands` picks and orders the polarisations. A config selecting other bands restates
# the two LoadSARImage steps, e.g. for HH only (see configs/deeplabv3/*-1ch_*spacenet6-sar-hh*):
#   train_pipeline = [dict(_base_.train_pipeline[0], bands=[0])] + _base_.train_pipeline[1:]
# Splits: `ann_file` lists tile names without suffix, one per line (SpaceNet 6 has no labelled
# public test set: hold out tiles of your own, preferably whole acquisition strips).
dataset_type = 'SpaceNet6SAR'
data_root = 'data/spacenet6/train/AOI_11_Rotterdam/'
sar_bands = [0, 1, 2, 3]  # HH, HV, VH, VV
crop_size = (512, 512)

data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.5] * len(sar_bands),
    std=[0.25] * len(sar_bands),
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)

train_pipeline = [
    dict(type='LoadSARImage', file_kind='db', to='db', bands=sar_bands),
    dict(type='DRAAPercentileTruncation', truncation_range=(0.0, 2.0)),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(900, 900), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', file_kind='db', to='db', bands=sar_bands),
    dict(type='DRAAPercentileTruncation', truncation_range=(0.0, 2.0), test_mode=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/train.txt',
        data_prefix=dict(img_path='SAR-Intensity', seg_map_path='masks'),
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/val.txt',
        data_prefix=dict(img_path='SAR-Intensity', seg_map_path='masks'),
        pipeline=test_pipeline),
)
test_dataloader = val_dataloader
# mIoU and mean F-score, plus the building IoU and F1 (IoU.building, Fscore.building).
val_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mFscore'])
test_evaluator = val_evaluator
