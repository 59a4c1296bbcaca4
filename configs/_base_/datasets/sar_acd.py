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
# Split reproduced: none (sar_mm's seeded draw); SAR-JEPA's split_Li_SAR_ACD.json is referenced
# by its code but not published.
_base_ = ['./sar_recognition_fewshot.py']
dataset_type = 'SARACD'
data_root = 'data/SAR-ACD/'
num_classes = 5
img_size = 128

# approximate statistics of DRAA-truncated chips (values of truncated Sentinel-1 chips with
# land clutter; measure yours and replace)
data_preprocessor = dict(num_classes=num_classes, mean=[0.25], std=[0.19], to_rgb=False)

train_pipeline = _base_.train_pipeline[:1] + [dict(type='Resize', scale=(img_size, img_size))] \
    + _base_.train_pipeline[1:]
test_pipeline = _base_.test_pipeline[:1] + [dict(type='Resize', scale=(img_size, img_size))] \
    + _base_.test_pipeline[1:]
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
