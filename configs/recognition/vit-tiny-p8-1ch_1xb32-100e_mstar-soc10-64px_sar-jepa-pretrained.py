# As vit-tiny-p8-1ch_1xb32-100e_mstar-soc10-64px.py, with the encoder of the CPU-budget SAR-JEPA
# run on the MSTAR 17 deg chips (configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb128-40e_mstar-64px.py,
# or its *_target-pixel.py ablation; point `checkpoint` at yours: --cfg-options
# model.backbone.init_cfg.checkpoint=...). The pooled-feature norm (ln2) is not part of a
# SAR-JEPA encoder: missing='warn' keeps it as initialised and lists it in the log.
_base_ = ['./vit-tiny-p8-1ch_1xb32-100e_mstar-soc10-64px.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            missing='warn',
            checkpoint='work_dirs/sar_jepa_vit-tiny-p8_1xb128-40e_mstar-64px/epoch_40.pth')))
