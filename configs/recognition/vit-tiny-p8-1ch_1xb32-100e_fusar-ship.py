# Target recognition on FUSAR-Ship (6 ship types): the small single-channel SAR-JEPA ViT (6 blocks,
# width 192, 8-px patches) fine-tuned from random initialisation with SAR-JEPA's fine-tuning
# recipe, in the held-out few-shot protocol of configs/_base_/datasets/fusar_ship.py (10 shots per
# class by default). The *_sar-jepa-pretrained config beside this one changes only the
# initialisation.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/vit_tiny_p8_1ch_cls.py',
    '../_base_/datasets/fusar_ship.py',
    '../_base_/schedules/adamw_layer-decay_cosine_100e.py',
]
model = dict(backbone=dict(img_size=_base_.img_size), head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='auto'))
