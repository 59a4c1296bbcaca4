# Image classifier (mmpretrain) on the ViT-B/16 of the released SAR-JEPA weights, as the reference
# fine-tunes it (W. Li et al., ISPRS J. Photogramm. Remote Sens. 218, 2024; github.com/
# waterdisappear/SAR-JEPA, few_shot_classification/finetune/trainers/MIM_finetune.py and
# vision_transformer_irpe.py): 12 blocks of width 768, 12 heads, 3072-wide MLP, 16-px patches, 1
# input channel, 224 px, LayerNorm eps 1e-6, no absolute position embedding but iRPE in every
# block (Wu et al., ICCV 2021; `rpe_cfg=dict()` is SAR-JEPA's setting: contextual, product
# method, on keys, shared across heads, class token skipped, ratio 1.9), no stochastic depth.
#
# Pooling: the reference builds its VisionTransformer with global_pool=False, so the classifier
# reads the class token after the final norm (out_type='cls_token'), through one linear layer
# initialised with trunc_normal(std=2e-5) (MoCo v3's choice, kept by the reference), trained by
# plain cross-entropy. The head is VisionTransformerClsHead so that a fine-tuned release
# converted with --keep-head (head.layers.head.*) loads into it too.
#
# Weights: the `backbone.*` output of
#   python tools/model_converters/sar_jepa_to_mmpretrain.py checkpoint-200.pth \
#       checkpoints/sar-jepa_vit-base-p16-irpe_backbone.pth --to backbone
# (its meta names this backbone config). Task configs set head.num_classes.
sar_jepa_release_checkpoint = 'checkpoints/sar-jepa_vit-base-p16-irpe_backbone.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformerIRPE',
        arch=dict(embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=3072),
        img_size=224,
        patch_size=16,
        in_channels=1,
        norm_cfg=dict(type='LN', eps=1e-6),
        final_norm=True,
        with_abs_pos_embed=False,
        rpe_cfg=dict(),
        out_type='cls_token',
        drop_path_rate=0.0,
        init_cfg=dict(
            type='Pretrained', checkpoint=sar_jepa_release_checkpoint, prefix='backbone.')),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, ),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5)),
)
