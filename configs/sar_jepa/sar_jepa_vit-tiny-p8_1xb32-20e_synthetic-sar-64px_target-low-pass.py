# Target ablation: Gaussian low-pass filtered amplitude (sigma 1 px) of each patch.
_base_ = ['./sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py']
model = dict(target_generator=dict(_delete_=True, type='LowPassTarget', sigma=1.0, patch_size=8))
