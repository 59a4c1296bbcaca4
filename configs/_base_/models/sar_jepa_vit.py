# SAR-JEPA (Li et al., ISPRS J. 2024) with a single-channel ViT-B/16 at 224 px: the paper's model.
# Encoder (backbone): SARJEPAViT, mmpretrain's VisionTransformer with a mask token, run on 4
# windows of 7x7 patches per image with 80 % of each window masked; predictor (neck): 8
# transformer blocks of width 512 (16 heads) and a linear head to the target size
# D = 4 radii x 16 x 16 = 1024 (filled in from the target generator); head: the masked MSE;
# target: the multi-scale gradient by ratio (radii 5, 9, 13, 17 as the reference code's GF
# kernels). The positions are fixed 2-D sin-cos embeddings (the reference's iRPE: the
# *-irpe_*.py config of configs/sar_jepa/).
model = dict(
    type='SARJEPA',
    backbone=dict(
        type='SARJEPAViT',
        arch='b',
        img_size=224,
        patch_size=16,
        in_channels=1,
        drop_path_rate=0.,
        norm_cfg=dict(type='LN', eps=1e-6),
        final_norm=True,
        # extract_feat gives (B, C, H/16, W/16) maps; no extra parameter outside the loss path
        out_type='featmap'),
    # eps is in the units of the amplitude the pipeline gives (see the data preprocessor)
    target_generator=dict(
        type='SARGradientTarget', radii=(5, 9, 13, 17), window='box', eps=0.01, patch_size=16),
    neck=dict(type='SARJEPAPredictor', embed_dims=512, num_layers=8, num_heads=16, mlp_ratio=4.),
    head=dict(type='SARJEPAHead'),
    num_windows=4,
    window_size=7,
    mask_ratio=0.8,
    # MAE's initialisation (as the reference code): xavier-uniform linears, unit LayerNorms;
    # SARJEPAViT.init_weights then sets the sin-cos positions, the patch embedding and the tokens
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
