# As the random-init config, with the ViT from the SAR-JEPA checkpoint of
# configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py. On loading, the
# single-channel patch projection is tiled over the 4 polarisations (divided by 4) and the 8 x 8
# position-embedding grid of the 64 px chips is interpolated to 64 x 64 for 512 px crops, both
# logged; a checkpoint that is not this ViT fails listing the missing and unexpected keys.
# The pretraining saw normalised amplitudes, fine-tuning sees DRAA-stretched dB bands: the
# patch projection adapts to the new input domain during fine-tuning.
# Point `checkpoint` at yours: --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = ['./upernet_vit-tiny-p8-4ch_mln_4xb2-20k_spacenet6-sar-512x512.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px/epoch_20.pth')))
