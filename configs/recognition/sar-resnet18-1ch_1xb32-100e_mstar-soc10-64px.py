# MSTAR SOC-10 recognition with SARResNet-18 (3x3 stride-2 stem, no max-pool) on 64-px inputs:
# the 128-px centre of each chip resized to 64 px (bilinear), random init. The random-init floor
# every pretraining of this backbone is judged against (tools/fewshot_eval.py --mode linear knn
# finetune); the fine-tuning recipe is the base's SGD Nesterov + cosine, 100 epochs.
_base_ = ['./resnet18-1ch_1xb32-100e_mstar-soc10.py']
img_size = 64
# zero_init_residual=False as in _base_/models/sar_resnet18_1ch_cls.py (the strong random floor)
model = dict(backbone=dict(type='SARResNet', stem_stride=2, zero_init_residual=False))
_resize = dict(type='Resize', scale=(img_size, img_size), interpolation='bilinear')
train_pipeline = _base_.train_pipeline[:2] + [_resize] + _base_.train_pipeline[2:]
test_pipeline = _base_.test_pipeline[:2] + [_resize] + _base_.test_pipeline[2:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
