# Image classifier (mmpretrain) on the small single-channel SAR-JEPA ViT of vit_tiny_p8_1ch.py:
# class-token features, final LayerNorm, a linear head. Task configs set head.num_classes and
# backbone.img_size (the position embeddings of a 64-px checkpoint are interpolated on loading).
_base_ = ['./vit_tiny_p8_1ch.py']
model = dict(
    type='ImageClassifier',
    backbone=dict(_base_.vit_tiny_p8_1ch, out_type='cls_token', drop_path_rate=0.1),
    neck=None,
    head=dict(type='LinearClsHead', num_classes=10, in_channels=192,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5), topk=(1, )),
)
