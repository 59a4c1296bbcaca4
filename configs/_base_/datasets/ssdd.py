# SSDD (Zhang et al., Remote Sens. 2021), mmdet: 1160 Sentinel-1 / RadarSat-2 / TerraSAR-X chips,
# one class `ship`, COCO json (convert the VOC release with tools/dataset_converters/voc2coco.py).
# SAR-HUB's setting: resize to 1333 x 800 keeping the ratio, random flip, COCO bbox metric on the
# test split. Layout: data_root/images/*.jpg, data_root/annotations/{train,test}.json.
#
# Loading: LoadSARImage reads any SAR format; the released chips are 8-bit renderings stored as
# 3 equal channels, kept as they are (first band, 0-255). For 16-bit / float scenes use
# `to='db'` and dB statistics, or add DRAA (configs/fcos/README.md).
# Another location: override `data_root` of the three dataloaders (the metric takes its ground
# truth from the dataset, so nothing else names the path), e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/SSDD/ \
#       val_dataloader.dataset.data_root=/data/SSDD/ test_dataloader.dataset.data_root=/data/SSDD/
dataset_type = 'SSDD'
data_root = 'data/SSDD/'
img_scale = (1333, 800)  # (w, h)

# Grey-value statistics of 8-bit SAR ship chips (measured on 36 HRSID scenes; re-measure on
# your training split); merged into the model by the Runner.
data_preprocessor = dict(
    type='DetDataPreprocessor', mean=[19.1], std=[16.7], bgr_to_rgb=False, pad_size_divisor=32)

train_pipeline = [
    dict(type='LoadSARImage', file_kind='amplitude', to='amplitude', bands=[0]),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', file_kind='amplitude', to='amplitude', bands=[0]),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # after Resize: the ground truth stays in the original image's coordinates, as predictions
    dict(type='LoadAnnotations', with_bbox=True),
    # `instances` carries the ground truth to CocoMetric (ann_file=None below)
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline),
)
test_dataloader = val_dataloader
# No ann_file: the ground truth is converted from the evaluated dataset (boxes' area = w * h).
val_evaluator = dict(type='CocoMetric', ann_file=None, metric='bbox', format_only=False)
test_evaluator = val_evaluator
