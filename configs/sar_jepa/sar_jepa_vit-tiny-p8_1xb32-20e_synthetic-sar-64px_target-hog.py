# Target ablation: MaskFeat's HOG (Sobel gradients, 9 unsigned bins) in 4 x 4-px cells, 2 x 2
# cells per patch (MaskFeat's 8-px cells and 16-px Gaussian window for 16-px patches, halved).
_base_ = ['./sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py']
model = dict(
    target_generator=dict(
        _delete_=True, type='HOGTarget', nbins=9, pool=4, gaussian_window=8, patch_size=8))
