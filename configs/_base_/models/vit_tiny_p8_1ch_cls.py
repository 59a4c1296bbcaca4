# Image classifier (mmpretrain) on the small single-channel SAR-JEPA ViT of vit_tiny_p8_1ch.py,
# as SAR-JEPA's (MAE's) fine-tuning: the mean of the patch tokens after the encoder's final norm,
# a new LayerNorm on it (out_type='avg_featmap'), stochastic depth 0.1, label smoothing 0.1 and
# a linear head. Patch tokens, not the class token: SAR-JEPA's loss is on patch tokens only,
# so its class token is never trained as a summary. Task configs set head.num_classes and
# backbone.img_size (the position embeddings of a 64-px checkpoint are interpolated on loading).
_base_ = ['./vit_tiny_p8_1ch.py']
model = dict(
    type='ImageClassifier',
    backbone=dict(_base_.vit_tiny_p8_1ch, out_type='avg_featmap', drop_path_rate=0.1),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=192,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5),
        topk=(1, )),
)
