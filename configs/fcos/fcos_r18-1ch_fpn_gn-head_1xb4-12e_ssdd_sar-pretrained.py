# FCOS on SSDD with the ResNet-18 of a sar_mm checkpoint: classification (configs/fewshot/,
# configs/supcon/) or contrastive (configs/simclr/). Their models keep the network under
# `backbone.`, mmpretrain's ResNet has mmdet's key names, and the checkpoint's single input
# channel matches. A checkpoint that does not fit the ResNet-18 fails, listing the missing and
# unexpected keys. As in mmdet's fine-tuning, stage 1 is frozen and BatchNorm statistics kept.
# Point `checkpoint` at yours: --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = ['./fcos_r18-1ch_fpn_gn-head_1xb4-12e_ssdd.py']
model = dict(
    backbone=dict(
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/simclr_resnet18-1ch_1xb32-8e_synthetic-sar/epoch_8.pth')))
