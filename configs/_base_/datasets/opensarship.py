# OpenSARShip (Sentinel-1) ship chips for recognition, held-out few-shot protocol
# (`OpenSARShip`), in the common 3-class setting: bulk carrier, container ship, tanker.
#
# Layout: calibrated chips under data/OpenSARShip/OpenSARShip{1,2}/<scene>/Patch_Cal/*.tif and
# a list file of "relpath<TAB>class" lines (a TAB: class names contain spaces):
#   OpenSARShip1/<scene>/Patch_Cal/<chip>.tif<TAB>Bulk Carrier
# For lists of AIS types (Cargo, Tanker, Other Type, ..., e.g. the list_patch_cal.txt of a
# public subset) set train/val/test_dataloader.dataset.variant=None and ann_file to that list:
# the classes are then the types found in it (few-shot needs `num_shots` chips of each).
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
#
# Input: Patch_Cal holds calibrated sigma0 (an intensity), read as amplitude; band 0 (VH of a
# dual-pol GRD chip, VV of a single-pol one: keep one polarisation per list); chips of 13 to
# 185 px (median 45) resized to 64 x 64; DRAA percentile truncation (random t in [0, 3] %,
# 1.5 % at test).
# Split reproduced: none (no official split; sar_mm's seeded few-shot draw). SAR-HUB's
# published low / medium / large splits of 14 AIS types: opensarship_sar-hub-split.py.
_base_ = ['./sar_recognition_fewshot.py']
dataset_type = 'OpenSARShip'
data_root = 'data/OpenSARShip/'
train_ann_file = 'list_3class.txt'
num_classes = 3
img_size = 64

# statistics of DRAA-truncated (t = 1.5 %) Patch_Cal chips of 8 OpenSARShip scenes
data_preprocessor = dict(num_classes=num_classes, mean=[0.076], std=[0.157], to_rgb=False)

# Patch_Cal chips hold intensities: the base's loader is replaced, then the chips are resized
train_pipeline = [
    dict(type='LoadSARImage', file_kind='intensity', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
] + _base_.train_pipeline[1:]
test_pipeline = [
    dict(type='LoadSARImage', file_kind='intensity', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
] + _base_.test_pipeline[1:]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        variant='3class',
        data_root=data_root,
        ann_file=train_ann_file,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        variant='3class',
        data_root=data_root,
        ann_file=train_ann_file,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
