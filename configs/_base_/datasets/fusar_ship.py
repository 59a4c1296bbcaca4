# FUSAR-Ship (Gaofen-3) ship chips for recognition, held-out few-shot protocol (`FUSARShip`).
#
# Layout: the release tree, one folder per AIS category (the six classes of SAR-HUB's
# fine-tuning set are read, other categories skipped with a warning):
#   data/FUSAR-Ship/FUSAR-Ship1.0/<Category>/<Subcategory>/*.tiff   512x512 chips
# or list files (SAR-HUB's train / test split, written for your copy by
# tools/dataset_converters/sar_hub_splits.py: inherit fusar_ship_sar-hub-split.py).
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
#
# Protocol: `num_shots` chips per class (seed `fewshot_seed`) for training, every other chip
# for validation and test. Split reproduced: none (sar_mm's seeded draw); SAR-HUB's published
# train / test split: fusar_ship_sar-hub-split.py. Input: amplitude, the central 128 px (as
# SAR-HUB's fine-tuning), DRAA percentile truncation (random t in [0, 3] % in training, 1.5 %
# at test).
_base_ = ['./sar_recognition_fewshot.py']
dataset_type = 'FUSARShip'
data_root = 'data/FUSAR-Ship/'
data_prefix = 'FUSAR-Ship1.0'
num_classes = 6
img_size = 128

# approximate statistics of DRAA-truncated ship chips (measured on Sentinel-1 ship chips of
# OpenSARShip; measure yours and replace)
data_preprocessor = dict(num_classes=num_classes, mean=[0.08], std=[0.16], to_rgb=False)

train_pipeline = _base_.train_pipeline[:1] + [dict(type='CenterCrop', crop_size=img_size)] \
    + _base_.train_pipeline[1:]
test_pipeline = _base_.test_pipeline[:1] + [dict(type='CenterCrop', crop_size=img_size)] \
    + _base_.test_pipeline[1:]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, data_prefix=data_prefix, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, data_prefix=data_prefix, pipeline=test_pipeline))
test_dataloader = val_dataloader
