# 10-shot vehicle recognition on synthetic SAR chips: ResNet-18 trained with cross-entropy plus
# supervised contrastive loss on two SAR views of each chip (SupConClassifier). Compare with the
# cross-entropy-only configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/supcon_resnet18_1ch.py',
    '../_base_/datasets/synthetic_sar_vehicles_fewshot.py',
    '../_base_/schedules/sgd_cosine_30e.py',
]
crop_size = 64  # chip size of the generated set
view_pipeline = [
    dict(type='RandomResizedCrop', scale=crop_size, crop_ratio_range=(0.5, 1.0), backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomSpeckle', looks_range=(2.0, 8.0), domain='db', prob=0.5),
]
train_pipeline = [
    dict(type='LoadSARImage', to='db'),
    # two augmented views: CE on view 0, SupCon on both
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
# MultiViewClsDataPreprocessor takes the views in training and single chips in validation
data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))

default_hooks = dict(checkpoint=dict(interval=10, save_best='auto'))
