# The released SARATR-X HiViT-B (github.com/waterdisappear/SARATR-X; W. Li et al., IEEE Trans.
# Image Process. 34, 2025), converted with tools/model_converters/saratr_x_to_mmpretrain.py,
# fine-tuned on SAR-ACD (5 aircraft types; the chips not drawn as test set)
# with SAR-JEPA's few-shot protocol, so that it compares with the SAR-JEPA release config of
# the same data (configs/sar_jepa/
#   vit-base-p16-irpe-1ch_1xb50-40e_sar-acd-224px_sar-jepa-release.py):
# the whole network, every chip centre-cropped to 128 px, 224 px bicubic, no augmentation,
# 8-bit amplitude / 255 (the normalisation both releases use), batch 50, AdamW lr 1e-3 wd 5e-4,
# 2 epochs at 1e-5 then cosine, 40 epochs. Only the model differs from that config.
#   python tools/fewshot_eval.py THIS_CONFIG --mode finetune --shots 10 20 40
# The release's own protocol (a linear probe, batch 25, 30 epochs) is
# hivit-base-p16-1ch_1xb25-30e_mstar-soc10-224px_saratr-x-pretrained.py.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/hivit_base_p16_1ch_cls_saratr-x.py',
    '../_base_/datasets/sar_acd_sar-jepa-224px.py',
    '../_base_/schedules/adamw_const-warmup_cosine_40e.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=40, max_keep_ckpts=1))
