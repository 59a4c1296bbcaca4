# Target ablation: multi-scale gradient by ratio with box half windows, SAR-JEPA's target; the
# same as the base config, spelt out so that the ablation set is complete.
_base_ = ['./sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py']
model = dict(
    target_generator=dict(
        _delete_=True,
        type='SARGradientTarget',
        radii=(2, 4, 6, 8),
        window='box',
        eps=0.01,
        patch_size=8))
