# 10-shot vehicle recognition on co-registered VV + VH synthetic SAR chips: a ResNet-18 per
# polarisation, features concatenated, CE on the un-augmented pair + SupCon across 2 augmented
# views x 2 polarisations (MultiModalClassifier).
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/multimodal_resnet18_dualpol.py',
    '../_base_/datasets/synthetic_sar_vehicles_dualpol.py',
    '../_base_/schedules/sgd_cosine_30e.py',
]
data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

default_hooks = dict(checkpoint=dict(interval=10, save_best='auto'))
