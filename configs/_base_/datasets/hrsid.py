# HRSID (Wei et al., IEEE Access 2020), mmdet: 5604 800 x 800 Sentinel-1B / TerraSAR-X / TanDEM-X
# chips, one class `ship`, COCO json as released (train2017.json / test2017.json, 65 % / 35 %).
# SAR-HUB's setting: 800 x 800, random flip, COCO bbox metric on the test split.
# Layout: data_root/JPEGImages/*.jpg, data_root/annotations/{train2017,test2017}.json.
# Loading, normalisation and another data_root: as configs/_base_/datasets/ssdd.py.
_base_ = ['./ssdd.py']
dataset_type = 'HRSID'
data_root = 'data/HRSID_JPG/'
img_scale = (800, 800)

# ssdd.py's pipelines with the Resize step at this dataset's img_scale
train_pipeline = _base_.train_pipeline[:2] \
    + [dict(type='Resize', scale=img_scale, keep_ratio=True)] + _base_.train_pipeline[3:]
test_pipeline = _base_.test_pipeline[:1] \
    + [dict(type='Resize', scale=img_scale, keep_ratio=True)] + _base_.test_pipeline[2:]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train2017.json',
        data_prefix=dict(img='JPEGImages/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/test2017.json',
        data_prefix=dict(img='JPEGImages/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
