# SAR-JEPA as the reference code runs it (github.com/waterdisappear/SAR-JEPA,
# Pretraining/models_lomar.py and vision_transformer_irpe.py); everything else as the ViT-B/16
# config beside it:
# * positions: no absolute embedding; iRPE (Wu et al., ICCV 2021) in every encoder and predictor
#   block: contextual, product method, on keys, one table shared by the heads, class token in
#   its own bucket, ratio 1.9 (50 buckets), the key term on the unscaled query;
# * windows: one set of corners per batch (randperm over the rows and over the columns);
# * masked patches per window: int(7 * 7 * 0.8) = 39 (truncated).
# Released SAR-JEPA checkpoints convert to this model with
# tools/model_converters/sar_jepa_to_mmpretrain.py --to sar_jepa.
_base_ = ['./sar_jepa_vit-base-p16_8xb75-300e_sar-pooled-224px.py']

model = dict(
    backbone=dict(rpe_cfg=dict(), with_abs_pos_embed=False),
    neck=dict(rpe_cfg=dict()),
    window_sampling='per_batch',
    mask_count_rounding='floor')
