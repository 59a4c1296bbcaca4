# MSTAR SOC-10 recognition with the small SAR-JEPA ViT (6 blocks, width 192, 8-px patches) on
# 64-px inputs: the 128-px centre of each chip resized to 64 px (bilinear), an 8 x 8 patch grid,
# random init; the input domain of configs/sar_jepa/*_mstar-64px.py and of the SARResNet 64-px
# config, so every 64-px pretraining is probed and fine-tuned on the same chips.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/vit_tiny_p8_1ch_cls.py',
    '../_base_/datasets/mstar_soc10_64px.py',
    '../_base_/schedules/adamw_layer-decay_cosine_100e.py',
]
model = dict(backbone=dict(img_size=_base_.img_size), head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='auto'))
