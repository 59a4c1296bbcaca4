# SAR-JEPA's central ablation on the same budget: the amplitude pixels of each masked patch as
# the target (MAE's target, in the same windows), everything else as the base.
_base_ = ['./sar_jepa_vit-tiny-p8_1xb128-40e_mstar-64px.py']
model = dict(target_generator=dict(_delete_=True, type='PixelTarget', patch_size=8))
