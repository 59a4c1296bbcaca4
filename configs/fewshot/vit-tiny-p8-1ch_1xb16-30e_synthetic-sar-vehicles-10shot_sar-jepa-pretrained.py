# As the random-init ViT config, with the backbone from the SAR-JEPA checkpoint of
# configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py (point `checkpoint` at
# yours: --cfg-options model.backbone.init_cfg.checkpoint=...).
_base_ = ['./vit-tiny-p8-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px/epoch_20.pth')))
