# Image classifier (mmpretrain) on the HiViT-B of the released SARATR-X weights (W. Li et al.,
# IEEE Trans. Image Process. 34, 2025; github.com/waterdisappear/SARATR-X,
# pre-training/models/models_hivit_mae.py mae_hivit_base_dec512d6b and classification/
# trainers/MIM_linear.py): HiViT with a main stage of width 512, depths [2, 2, 20] (mmpretrain's
# arch 'base' has 24 main blocks, hence the dict), 8 heads, MLP ratios 3 (stem) and 4, 16-px
# patches cut into 4 x 4 inner patches, 224 px, LayerNorm eps 1e-6, absolute position
# embedding and no relative position bias (rpe=False, as the release pretrains and probes it).
# One input channel: the converter sums the release's three patch filters, which computes what
# the release computes on the SAR band fed three times (its forward concatenates it).
#
# Pooling: the mean of the 14 x 14 main-stage tokens (GlobalAveragePooling), then one linear
# layer initialised with trunc_normal(std=0.01), as the release's linear probe. Its probe puts
# a LayerNorm (`fc_norm`, trained) and a BatchNorm without affine parameters before that
# layer; the BatchNorm is `tools/fewshot_eval.py --probe-norm`, the LayerNorm has no
# counterpart here (docs/model_zoo.md, SARATR-X).
#
# Weights: the output of
#   python tools/model_converters/saratr_x_to_mmpretrain.py checkpoint-800.pth \
#       checkpoints/saratr-x_hivit-base-p16_backbone.pth
# (its meta names this backbone config). Task configs set head.num_classes.
saratr_x_release_checkpoint = 'checkpoints/saratr-x_hivit-base-p16_backbone.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='HiViT',
        arch=dict(embed_dims=512, depths=[2, 2, 20], num_heads=8),
        img_size=224,
        patch_size=16,
        inner_patches=4,
        in_chans=1,
        stem_mlp_ratio=3.0,
        mlp_ratio=4.0,
        qkv_bias=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        out_indices=[19],
        ape=True,
        rpe=False,
        patch_norm=True,
        drop_path_rate=0.0,
        init_cfg=dict(
            type='Pretrained', checkpoint=saratr_x_release_checkpoint, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, ),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.01)),
)
