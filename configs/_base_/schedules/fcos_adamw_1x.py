# The FCOS "1x" schedule of fcos_sgd_1x.py (12 epochs, steps at 8 and 11, linear warm-up) with
# AdamW in place of SGD, as ViTDet trains ViT backbones: lr 1e-4, weight decay 0.05, gradients
# clipped at norm 35.
_base_ = ['./fcos_sgd_1x.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=35, norm_type=2))
