# TerraSAR-X scene patches (SAR-HUB's 32-class land-cover set) for scene-classification
# pretraining, as a generic `SARClassificationDataset` list; SAR-HUB's input recipe for this set:
# DRAA tone mapping (random brightness 3.5 to 4.5 in training, 4 at test), 128 x 128,
# horizontal flip, rotation up to 10 deg.
#
# Layout: "path label" lines (SAR-HUB's data/tsx_{train,val}.txt: .npy patches, label indices
# 0..31; class names are not published with the lists, so indices are used; give names with
# metainfo=dict(classes=(...)) to have them in the metrics):
#   data/TerraSAR-X/patches/<...>.npy
#   data/TerraSAR-X/tsx_train.txt, tsx_val.txt
# Point elsewhere with --cfg-options {train,val,test}_dataloader.dataset.data_root=DIR
_base_ = ['./sar_hub_scenes_128px.py']
dataset_type = 'SARClassificationDataset'
data_root = 'data/TerraSAR-X/'
num_classes = 32

# mean: SAR-HUB's for this set after DRAA; std: pixel std of DRAA tone-mapped X-band chips
# (MSTAR, b = 4)
data_preprocessor = dict(num_classes=num_classes, mean=[0.177], std=[0.075], to_rgb=False)

# SAR-HUB's DRAA step for this set, after LoadSARImage
train_pipeline = _base_.train_pipeline[:1] + [
    dict(type='DRAAToneMapping', brightness_range=(3.5, 4.5)),
] + _base_.train_pipeline[1:]
test_pipeline = _base_.test_pipeline[:1] + [
    dict(type='DRAAToneMapping', brightness_range=(3.5, 4.5), test_mode=True),
] + _base_.test_pipeline[1:]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='tsx_train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='tsx_val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
