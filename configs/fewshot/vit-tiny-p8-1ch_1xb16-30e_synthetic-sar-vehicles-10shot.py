# 10-shot vehicle recognition on synthetic SAR chips with the SAR-JEPA ViT architecture
# (6 blocks, width 192, 8-px patches, 64 px, 1 channel), from random initialisation. The
# *_sar-jepa-pretrained.py config beside this one starts from a SAR-JEPA checkpoint.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/datasets/synthetic_sar_vehicles_fewshot.py',
    '../_base_/schedules/sgd_cosine_30e.py',
    '../_base_/models/vit_tiny_p8_1ch.py',
]
model = dict(
    type='ImageClassifier',
    backbone=dict(_base_.vit_tiny_p8_1ch, out_type='cls_token'),
    head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=192,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
# The SAR-JEPA input domain: amplitude normalised by the pretraining chips' statistics
# (mean 0.16, std 0.17), times the 16-bit storage gain of these chips (2000).
data_preprocessor = dict(num_classes=5, mean=[320.], std=[340.], to_rgb=False)
train_pipeline = [
    dict(type='LoadSARImage', to='amplitude'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadSARImage', to='amplitude'), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# the schedule base with AdamW in place of SGD, as ViTs are fine-tuned
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
default_hooks = dict(checkpoint=dict(interval=10, save_best='auto'))
