# Ship detection on synthetic SAR scenes: float32 amplitude TIFFs, COCO boxes, class `ship`.
dataset_type = 'SARShipDataset'
data_root = 'data/synthetic_sar/ships/'
img_scale = (256, 256)  # (w, h); Resize also records the scale factor mmdet's heads need

# dB statistics of the generated scenes; merged into the model by the Runner.
data_preprocessor = dict(
    type='DetDataPreprocessor', mean=[-21.1], std=[4.3], bgr_to_rgb=False, pad_size_divisor=32)

train_pipeline = [
    dict(type='LoadSARImage', to='db'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='db'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
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
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=test_pipeline),
)
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/val.json',
    metric='bbox',
    format_only=False)
test_dataloader = val_dataloader
test_evaluator = val_evaluator
