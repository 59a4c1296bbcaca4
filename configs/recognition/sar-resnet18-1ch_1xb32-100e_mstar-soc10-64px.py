# MSTAR SOC-10 recognition with SARResNet-18 (3x3 stride-2 stem, no max-pool) on 64-px inputs:
# the 128-px centre of each chip resized to 64 px (bilinear), random init. The random-init floor
# every pretraining of this backbone is judged against (tools/fewshot_eval.py --mode linear knn
# finetune); the fine-tuning recipe is SAR-HUB's SGD Nesterov with a cosine decay, 100 epochs.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/sar_resnet18_1ch_cls.py',
    '../_base_/datasets/mstar_soc10_64px.py',
    '../_base_/schedules/sgd_nesterov_cosine_100e.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='auto'))
