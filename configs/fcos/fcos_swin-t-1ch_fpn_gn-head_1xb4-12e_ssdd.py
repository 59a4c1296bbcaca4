# FCOS on SSDD with a single-channel Swin-T (mmdet's SwinTransformer), one of SAR-HUB's backbones.
# Random initialisation here; a SAR-HUB or ImageNet Swin-T checkpoint in the official (timm)
# layout loads with convert_weights=True and init_cfg=dict(type='Pretrained', checkpoint=...)
# (its 3-channel patch embedding is summed to 1 channel, logged). AdamW as mmdet's Swin configs.
_base_ = ['./fcos_r50-1ch_fpn_gn-head_1xb4-12e_ssdd.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        in_channels=1,
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        drop_path_rate=0.2,
        patch_norm=True,
        out_indices=(1, 2, 3),
        with_cp=False,
        convert_weights=False),
    neck=dict(in_channels=[192, 384, 768]))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys=dict(
            absolute_pos_embed=dict(decay_mult=0.),
            relative_position_bias_table=dict(decay_mult=0.),
            norm=dict(decay_mult=0.))),
    clip_grad=dict(max_norm=35, norm_type=2))
