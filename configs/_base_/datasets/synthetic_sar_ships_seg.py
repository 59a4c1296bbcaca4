# Ship segmentation on synthetic SAR scenes: float32 amplitude TIFFs, PNG masks (0 sea, 1 ship).
dataset_type = 'SARShipSegDataset'
data_root = 'data/synthetic_sar/ships/'

# dB statistics of the generated scenes; merged into the model by the Runner.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[-21.1],
    std=[4.3],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)

train_pipeline = [
    dict(type='LoadSARImage', to='db'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadSARImage', to='db'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/train', seg_map_path='masks/train'),
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
        data_prefix=dict(img_path='images/val', seg_map_path='masks/val'),
        pipeline=test_pipeline),
)
# PerClassIoUMetric: mmseg's IoUMetric plus IoU.<class> and Fscore.<class> (ship IoU, F1).
val_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mFscore'])
test_dataloader = val_dataloader
test_evaluator = val_evaluator
