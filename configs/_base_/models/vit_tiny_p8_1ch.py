# The small single-channel ViT of sar_mm's CPU-sized SAR-JEPA setting, defined once for the
# SAR-JEPA pretraining, the classifiers fine-tuned from it and the mmdet/mmseg models that reuse
# its checkpoints: 6 blocks of width 192 with 3 heads and a 768-wide MLP (ViT-tiny's width and
# heads, half its depth), 8-px patches, 1 input channel, LayerNorm eps 1e-6, final norm.
#
# This file defines a variable, not a model. Inherit it and spread the variable into a backbone,
# adding what the task decides (image size, output type, init_cfg), e.g.
#
#   _base_ = [..., '../_base_/models/vit_tiny_p8_1ch.py']
#   model = dict(backbone=dict(_base_.vit_tiny_p8_1ch, img_size=256, out_type='featmap'))
#
# (`_base_.vit_tiny_p8_1ch` is a plain Python expression in mmengine text configs; the
# `{{_base_.vit_tiny_p8_1ch}}` form only works as a whole value, not inside dict(...).)
# The scoped type builds mmpretrain's VisionTransformer from mmpretrain, mmdet and mmseg configs
# alike (a bare 'VisionTransformer' would be mmseg's own, different class in mmseg's scope), so a
# checkpoint of one loads into the others unchanged.
vit_tiny_p8_1ch = dict(
    type='mmpretrain.VisionTransformer',
    arch=dict(embed_dims=192, num_layers=6, num_heads=3, feedforward_channels=768),
    img_size=64,  # the pretraining chips; other sizes interpolate the position embeddings
    patch_size=8,
    in_channels=1,
    norm_cfg=dict(type='LN', eps=1e-6),
    final_norm=True)
