# DFC2020 scene classification from co-registered Sentinel-1 + Sentinel-2 patches (256 x 256):
# the label is the majority class of the 10 m DFC mask in the 8-class scheme (no Savanna, no
# Snow/Ice) of SSLTransformerRS / SupCon_SSL; train on ROIs0000_validation (986 patches), test
# on ROIs0000_test (5128), as SupCon_SSL.
# Data: https://ieee-dataport.org/competitions/2020-ieee-grss-data-fusion-contest
# LoadModalityPair stacks S1 (VV, VH) and S2 (13 bands) into one 15-channel image, so crops,
# flips and rotations move both sensors alike; S1 dB is clipped to [-25, 0] and S2 reflectance
# divided by 10000 (the DFC2020 baseline's scaling), each on its own channels.
dataset_type = 'DFC2020'
data_root = 'data/DFC2020/'
class_scheme = dict(no_savanna=True, no_snow_ice=True)
crop_size = 224  # SupCon_SSL trains on random 224 x 224 windows of the 256 x 256 patches

data_preprocessor = dict(type='MultiViewClsDataPreprocessor', num_classes=8, to_rgb=False)

load_pair = dict(
    type='LoadModalityPair',
    channels=(2, 13),
    loaders=[dict(type='LoadSARImage', file_kind='db', to='db'),
             dict(type='LoadSARImage')])
scale_pair = [
    dict(type='S1DbClipScale', low_db=-25.0, high_db=0.0, modality=0),
    dict(type='S2ReflectanceScale', max_value=10000.0, modality=1)
]
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'modality_channels')
# the augmentation of SupCon_SSL's DFC views: flips and a rotation of up to 20 degrees
pair_aug = [
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(
        type='Rotate',
        angle=20.0,
        prob=0.5,
        random_negative_prob=0.5,
        pad_val=0,
        interpolation='bilinear'),
]
shared_crop = dict(type='RandomCrop', crop_size=crop_size)


def _train_pipeline(views):
    return [
        load_pair, *scale_pair, shared_crop, views,
        dict(type='PackInputs', meta_keys=meta_keys)
    ]


# view 0: the un-augmented pair (cross-entropy); views 1-2: one un-augmented and one
# augmented pair (SupCon), as SupCon_SSL
train_pipeline = _train_pipeline(
    dict(type='MultiView', num_views=[2, 1], transforms=[[], pair_aug]))
# no augmentation: three identical views (SupCon then contrasts the two sensors only)
train_pipeline_noaug = _train_pipeline(dict(type='MultiView', num_views=3, transforms=[[]]))
# augmented cross-entropy view (for the CE baseline with augmentation)
train_pipeline_aug_ce = _train_pipeline(
    dict(type='MultiView', num_views=[1, 2], transforms=[pair_aug, []]))
test_pipeline = [load_pair, *scale_pair, dict(type='PackInputs', meta_keys=meta_keys)]
del _train_pipeline

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subsets=('ROIs0000_validation', ),
        s2_bands='all',
        **class_scheme,
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subsets=('ROIs0000_test', ),
        s2_bands='all',
        **class_scheme,
        pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall'), average='macro'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
