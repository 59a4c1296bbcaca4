# MSTAR SOC-10 at 64 px: mstar_soc10.py with the 128-px centre of each chip resized to 64 px
# (bilinear) before DRAA, in training and at test; the input of the CPU-budget backbones
# (SARResNet-18, the 8 x 8-patch ViT) and of their pretraining configs on MSTAR.
_base_ = ['./mstar_soc10.py']
img_size = 64
_resize = dict(type='Resize', scale=(img_size, img_size), interpolation='bilinear')
train_pipeline = _base_.train_pipeline[:2] + [_resize] + _base_.train_pipeline[2:]
test_pipeline = _base_.test_pipeline[:2] + [_resize] + _base_.test_pipeline[2:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
