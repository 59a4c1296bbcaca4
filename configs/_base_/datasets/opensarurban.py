# OpenSARUrban (Sentinel-1 urban scenes, 10 classes) for SAR-HUB scene-classification
# pretraining (`OpenSARUrban`), SAR-HUB's input recipe for this set: DRAA percentile truncation
# (random t in [0, 3] % in training), 128 x 128, horizontal flip and a rotation of up to 10 deg.
#
# Layout: single-polarisation patches (VV, .tif or .npy) and list files of "path label" lines:
#   data/OpenSARUrban/patches/<...>_vv.npy
#   data/OpenSARUrban/train.txt, val.txt
# Labels are class names (or SAR-HUB's file-name prefixes: denselow, highbuildings, ...) or
# indices into the alphabetical classes of sar_mm's OpenSARUrban; SAR-HUB's own lists
# (SAR Scene Classification/Data/OSU_*.txt) number the classes in another order: give their
# order with metainfo=dict(classes=(...)) or write names instead of indices.
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
_base_ = ['./sar_hub_scenes_128px.py']
dataset_type = 'OpenSARUrban'
data_root = 'data/OpenSARUrban/'
num_classes = 10

# mean: SAR-HUB's for this set after DRAA; std: the pixel std of DRAA-truncated Sentinel-1
# chips (SAR-HUB's 0.034 is far below any pixel std of a [0, 1] image)
data_preprocessor = dict(num_classes=num_classes, mean=[0.316], std=[0.19], to_rgb=False)

# SAR-HUB's DRAA step for this set, after LoadSARImage
train_pipeline = _base_.train_pipeline[:1] + [
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.)),
] + _base_.train_pipeline[1:]
test_pipeline = _base_.test_pipeline[:1] + [
    dict(type='DRAAPercentileTruncation', truncation_range=(0., 3.), test_mode=True),
] + _base_.test_pipeline[1:]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
