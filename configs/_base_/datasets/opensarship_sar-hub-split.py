# OpenSARShip with the splits SAR-HUB published (Yang et al., Remote Sensing 15(23):5534, 2023;
# github.com/XAI4SAR/SAR-HUB, Fine-tuning/Target_recognition/data/OSS): 14 AIS types
# (OpenSARShip variant 'sar-hub14', SAR-HUB's label order), VV chips, in three disjoint
# subsets, each with its own train / test list: low (2,761 / 2,761 chips), medium
# (2,407 / 2,406) and large (1,094 / 1,094). SAR-HUB resizes their 8-bit VV chips to 32, 96
# and 128 px respectively; this file reads the medium subset (SAR-HUB's default) at 96 px.
# Another subset: --cfg-options for each loader's ann_file (splits/sar-hub/low_train.txt, ...)
# and the Resize scale in both pipelines.
#
# SAR-HUB has no licence, so its lists are not part of sar_mm: write them for your copy of the
# release (SAR-HUB names a chip by its Ship.xml centre, matched to the release's
# <type>_x<X>_y<Y>_vv.tif) with
#   python tools/dataset_converters/sar_hub_splits.py opensarship --sar-hub SAR-HUB \
#       --data-root data/OpenSARShip --include "*/Patch_Uint8/*"
# which writes data/OpenSARShip/splits/sar-hub/{low,medium,large}_{train,test}.txt. The
# Patch_Uint8 VV renderings are SAR-HUB's input (8-bit amplitude); chips of several scenes with
# the same centre cannot be told apart and are reported.
_base_ = ['./opensarship.py']
sar_hub_split_dir = 'splits/sar-hub/'
sar_hub_subset = 'medium'
num_classes = 14
img_size = 96
data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
] + _base_.train_pipeline[2:]
test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(img_size, img_size)),
] + _base_.test_pipeline[2:]
train_dataloader = dict(
    dataset=dict(
        variant='sar-hub14',
        ann_file=f'{sar_hub_split_dir}{sar_hub_subset}_train.txt',
        num_shots=None,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        variant='sar-hub14',
        ann_file=f'{sar_hub_split_dir}{sar_hub_subset}_test.txt',
        num_shots=None,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
