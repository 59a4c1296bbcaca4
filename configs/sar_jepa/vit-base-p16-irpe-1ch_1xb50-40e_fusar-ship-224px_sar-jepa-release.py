# The released SAR-JEPA ViT-B/16 (github.com/waterdisappear/SAR-JEPA; W. Li et al., ISPRS J.
# Photogramm. Remote Sens. 218, 2024) fine-tuned on FUSAR-Ship with the reference's few-shot
# protocol (as the MSTAR config beside this one: 224 px bicubic, no augmentation, / 255, batch
# 50, AdamW lr 1e-3 wd 5e-4, constant warm-up then cosine, 40 epochs):
#   python tools/fewshot_eval.py THIS_CONFIG --mode finetune --shots 10 20 40
# Classes and layout: the reference's ten (_base_/datasets/fusar_ship_sar-jepa-10class.py).
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/vit_base_p16_irpe_1ch_cls.py',
    '../_base_/datasets/fusar_ship_sar-jepa-10class_sar-jepa-224px.py',
    '../_base_/schedules/adamw_const-warmup_cosine_40e.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=40, max_keep_ckpts=1))
