# DFC2020 multi-label scene classification from S1 + S2 pairs: the label of a patch is the set
# of classes covering at least 10 % of its DFC mask (8-class scheme), the multi-label target of
# SSLTransformerRS (dfc_multilabel_one_hot) and of SEN12MS's own loader (label_type
# 'multi_label', threshold 0.1). The same two ResNet-50s and fusion as the single-label
# experiment, with a sigmoid (binary cross-entropy) head. SupCon needs one class per sample,
# so its positives here are only the views and sensors of the same patch (use_labels=False:
# NT-Xent across the 2 contrastive views x 2 sensors).
_base_ = ['./multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020.py']
label_threshold = 0.1
model = dict(
    use_labels=False,
    head=dict(
        _delete_=True,
        type='MultiLabelLinearClsHead',
        num_classes=8,
        in_channels=4096,
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)))
train_dataloader = dict(dataset=dict(label_mode='multi', label_threshold=label_threshold))
val_dataloader = dict(dataset=dict(label_mode='multi', label_threshold=label_threshold))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='MultiLabelMetric', items=('precision', 'recall', 'f1-score'), average='macro'),
    dict(type='MultiLabelMetric', items=('precision', 'recall', 'f1-score'), average='micro'),
    dict(type='AveragePrecision'),
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='multi-label/f1-score'))
