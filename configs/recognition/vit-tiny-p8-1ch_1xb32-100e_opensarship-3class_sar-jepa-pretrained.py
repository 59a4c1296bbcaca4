# As vit-tiny-p8-1ch_1xb32-100e_opensarship-3class.py, with the backbone of a SAR-JEPA run on
# unlabelled SAR chips (configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb64-200e_sar-chips-128px.py;
# position embeddings are interpolated when the image sizes differ). The norm of the pooled
# features (ln2) is not part of a SAR-JEPA encoder: missing='warn' keeps it as initialised and
# lists it in the log.
_base_ = ['./vit-tiny-p8-1ch_1xb32-100e_opensarship-3class.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            missing='warn',
            checkpoint='work_dirs/sar_jepa_vit-tiny-p8_1xb64-200e_sar-chips-128px/epoch_200.pth')))
