# Target ablation: HOG of the SAR ratio gradients (radii 2, 4, 6, 8), 9 unsigned bins per patch.
_base_ = ['./sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py']
model = dict(
    target_generator=dict(
        _delete_=True,
        type='SARHOGTarget',
        radii=(2, 4, 6, 8),
        window='box',
        eps=0.01,
        bins=9,
        patch_size=8))
