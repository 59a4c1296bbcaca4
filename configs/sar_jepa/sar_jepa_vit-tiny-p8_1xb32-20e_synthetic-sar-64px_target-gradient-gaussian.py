# Target ablation: multi-scale gradient by ratio with Gaussian-weighted half windows (the
# reference's "Gaussian kernel" variant).
_base_ = ['./sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py']
model = dict(
    target_generator=dict(
        _delete_=True,
        type='SARGradientTarget',
        radii=(2, 4, 6, 8),
        window='gaussian',
        eps=0.01,
        patch_size=8))
