# As vit-tiny-p8-1ch_1xb32-100e_mstar-soc10.py, with the backbone of a SAR-JEPA run on unlabelled
# SAR chips (configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb64-200e_sar-chips-128px.py; position
# embeddings are interpolated when the image sizes differ).
_base_ = ['./vit-tiny-p8-1ch_1xb32-100e_mstar-soc10.py']
model = dict(backbone=dict(init_cfg=dict(
    type='Pretrained', prefix='backbone.',
    checkpoint='work_dirs/sar_jepa_vit-tiny-p8_1xb64-200e_sar-chips-128px/epoch_200.pth')))
