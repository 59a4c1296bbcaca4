# Target ablation: raw amplitude pixels of each patch (MAE's target, here in LoMaR's windows).
_base_ = ['./sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py']
model = dict(target_generator=dict(_delete_=True, type='PixelTarget', patch_size=8))
