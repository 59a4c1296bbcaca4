# FCOS (mmdet) with the small single-channel SAR-JEPA ViT (vit_tiny_p8_1ch.py: 6 blocks, width
# 192, 8-px patches) through ViTDet's simple feature pyramid (Li et al., ECCV 2022): strides 8,
# 16 and 32 from the stride-8 ViT map, 64 and 128 by pooling, into the GroupNorm head of
# fcos_r50_1ch_fpn_gn-head.py. mmpretrain's ViT attends globally (no window attention); set
# `img_size` to the training input: the position embeddings are interpolated from the
# pretraining grid on loading (logged) and resized to other inputs' patch grids on the fly.
# The backbone starts from a SAR-JEPA run: point `checkpoint` at yours,
#   --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = ['./fcos_r50_1ch_fpn_gn-head.py', './vit_tiny_p8_1ch.py']
model = dict(
    backbone=dict(
        _base_.vit_tiny_p8_1ch,
        _delete_=True,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px/'
            'epoch_20.pth')),
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=192,
        out_channels=256,
        scale_factors=(1.0, 0.5, 0.25),
        num_outs=5))
