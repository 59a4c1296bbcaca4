# MSTAR SOC-10 recognition with the small SAR-JEPA ViT (6 blocks, width 192, 8-px patches) on
# 64-px inputs: the 128-px centre of each chip resized to 64 px (bilinear), an 8 x 8 patch grid,
# random init; the input domain of configs/sar_jepa/*_mstar-64px.py and of the SARResNet 64-px
# config, so every 64-px pretraining is probed and fine-tuned on the same chips.
_base_ = ['./vit-tiny-p8-1ch_1xb32-100e_mstar-soc10.py']
img_size = 64
model = dict(backbone=dict(img_size=img_size))
_resize = dict(type='Resize', scale=(img_size, img_size), interpolation='bilinear')
train_pipeline = _base_.train_pipeline[:2] + [_resize] + _base_.train_pipeline[2:]
test_pipeline = _base_.test_pipeline[:2] + [_resize] + _base_.test_pipeline[2:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
