# Defect detection as good / anomaly image classification on an MVTec-style folder: an RGB
# ResNet-18 (ImageNet-style 3-channel stem) fine-tuned from random initialisation on
#   <data_root>/labelled/good/*.png  <data_root>/labelled/anomaly/*.png   (8-bit RGB, 224 x 224)
# prepared from an MVTec AD category as in docs/defect_detection.md. The *_simclr-pretrained
# config beside this one changes only the initialisation.
#
# Split (the held-out few-shot protocol of _base_/datasets/sar_recognition_fewshot.py, no list
# file): `num_shots` = 10 images per class drawn with seed 0 train, every other labelled image
# validates and tests (fewshot_split='rest'; deterministic, the same on every machine). 10 fits
# every MVTec AD category (the smallest, toothbrush, has 12 good test images). Another split:
#   --cfg-options {train,val,test}_dataloader.dataset.num_shots=N  (all three, the same N)
# Point at a category with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
#
# Classes: good = 0, anomaly = 1 (folders matched by name; others skipped with a warning).
# Metrics: accuracy and each class's accuracy (per_class_accuracy/acc_anomaly is the share of
# defective images caught, acc_good the share of good ones passed) and their mean.
# Input: mmcv's LoadImageFromFile (uint8 BGR, 3 channels), resized to 224 x 224, ImageNet
# normalisation in RGB as in the SimCLR pretraining; the only augmentation is a horizontal flip:
# a random crop could cut the defect out of an `anomaly` image and colour jitter could make or
# hide a colour defect.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/resnet18_1ch_cls.py',
    '../_base_/datasets/sar_recognition_fewshot.py',
    '../_base_/schedules/sgd_nesterov_cosine_100e.py',
]
data_root = 'data/mvtec/bottle/'
classes = ('good', 'anomaly')
img_size = 224
model = dict(backbone=dict(in_channels=3), head=dict(num_classes=len(classes)))
data_preprocessor = dict(
    num_classes=len(classes),
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]
labelled = dict(
    type='SARClassificationDataset',
    data_root=data_root,
    data_prefix='labelled',
    metainfo=dict(classes=classes),
    extensions=('.png', '.jpg', '.jpeg', '.bmp'))
train_dataloader = dict(dataset=dict(**labelled, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(**labelled, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 50
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='auto'), logger=dict(interval=1))
