# The released SAR-JEPA ViT-B/16 (github.com/waterdisappear/SAR-JEPA, weights/SAR-JEPA/
# checkpoint-200.pth; W. Li et al., ISPRS J. Photogramm. Remote Sens. 218, 2024) fine-tuned on
# MSTAR SOC-10 with the reference's few-shot protocol: the whole network, 224 px bicubic, no
# augmentation, 8-bit amplitude / 255, batch 50, AdamW lr 1e-3 wd 5e-4, 2 epochs at 1e-5 then
# cosine, 40 epochs (_base_/schedules/adamw_const-warmup_cosine_40e.py). Convert the release
# first (docs/model_zoo.md), then
#   python tools/fewshot_eval.py THIS_CONFIG --mode finetune --shots 10 20 40
# Data: configs/_base_/datasets/mstar_soc10.py (17 deg list, the chips not drawn as test set);
# the reference's own split (split_Li_MSTAR_SOC.json) is not published.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/vit_base_p16_irpe_1ch_cls.py',
    '../_base_/datasets/mstar_soc10_sar-jepa-224px.py',
    '../_base_/schedules/adamw_const-warmup_cosine_40e.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
default_hooks = dict(checkpoint=dict(interval=40, max_keep_ckpts=1))
