# Few-shot recognition on co-registered dual-polarisation (VV + VH) synthetic vehicle chips.
# Generate the set (16-bit PNG amplitude pairs and a `vv_path vh_path label` list) with:
#   python -c "from sar_mm.datasets.synthetic import make_dual_polarisation_set as m; \
#              m('data/synthetic_sar/vehicles_dualpol', per_class=60)"
# LoadModalityPair stacks VV and VH into one 2-channel image, so every transform (crop, flip,
# speckle, MultiView) treats the pair alike; the model splits it with modality_channels.
dataset_type = 'PairedModalityDataset'
data_root = 'data/synthetic_sar/vehicles_dualpol/'
metainfo = dict(classes=('tank', 'truck', 'apc', 'bulldozer', 'air_defence'))
num_shots = 10
fewshot_seed = 0
crop_size = 64  # chip size of the generated set

# dB statistics of the generated VV and VH chips
data_preprocessor = dict(num_classes=5, mean=[48.5, 38.0], std=[4.5, 6.0], to_rgb=False)

load_pair = dict(
    type='LoadModalityPair',
    channels=(1, 1),
    loaders=[dict(type='LoadSARImage', to='db'),
             dict(type='LoadSARImage', to='db')])
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'modality_channels')
view_pipeline = [
    dict(type='RandomResizedCrop', scale=crop_size, crop_ratio_range=(0.5, 1.0), backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomSpeckle', looks_range=(2.0, 8.0), domain='db', prob=0.5),
]
train_pipeline = [
    load_pair,
    # view 0: the un-augmented pair (cross-entropy); views 1-2: augmented pairs (SupCon)
    dict(type='MultiView', num_views=[1, 2], transforms=[[], view_pipeline]),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [load_pair, dict(type='PackInputs', meta_keys=meta_keys)]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/all.txt',
        metainfo=metainfo,
        num_shots=num_shots,
        seed=fewshot_seed,
        fewshot_split='train',
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/all.txt',
        metainfo=metainfo,
        num_shots=num_shots,
        seed=fewshot_seed,
        fewshot_split='rest',
        pipeline=test_pipeline),
)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall'), average='macro'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
