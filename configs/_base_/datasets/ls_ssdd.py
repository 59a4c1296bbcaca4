# LS-SSDD-v1.0 (Zhang et al., Remote Sens. 2020), mmdet: the 800 x 800 sub-images of 15
# 24000 x 16000 Sentinel-1 scenes (scenes 1-10 train, 11-15 test), one class `ship`, small ships.
# COCO json from the VOC release: tools/dataset_converters/voc2coco.py --ann-dir Annotations_sub
# --img-dir JPEGImages_sub. Layout: data_root/JPEGImages_sub/*.jpg,
# data_root/annotations/{train,test}.json. Most sub-images are pure sea: they are left out of
# training (filter_empty_gt) and kept in testing. Scene-level evaluation (tiles of the whole
# scenes, detections merged back): configs/_base_/datasets/ls_ssdd_sliced.py.
# Loading, normalisation and another data_root: as configs/_base_/datasets/ssdd.py.
_base_ = ['./hrsid.py']
dataset_type = 'LSSSDD'
data_root = 'data/LS-SSDD-v1.0/'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='JPEGImages_sub/')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='JPEGImages_sub/')))
test_dataloader = val_dataloader
