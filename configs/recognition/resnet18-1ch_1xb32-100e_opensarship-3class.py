# Target recognition on OpenSARShip (3 ship types): a 1-channel ResNet-18 fine-tuned from random
# initialisation, in the held-out few-shot protocol of configs/_base_/datasets/opensarship.py (10
# shots per class by default). The *_simclr-pretrained and *_sar-hub-pretrained configs beside this
# one change only the initialisation.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/resnet18_1ch_cls.py',
    '../_base_/datasets/opensarship.py',
    '../_base_/schedules/sgd_nesterov_cosine_100e.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='auto'))
