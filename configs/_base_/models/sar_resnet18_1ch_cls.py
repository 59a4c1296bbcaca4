# Single-channel ResNet-18 classifier with a resolution-keeping stem for 64-128 px SAR chips:
# sar_mm's SARResNet (3x3 stem of stride 2, no max-pool), so a 64-px chip leaves the last stage
# as a 4x4 map instead of the ImageNet stem's 2x2 (configs/_base_/models/resnet18_1ch_cls.py).
_base_ = ['./resnet18_1ch_cls.py']
# zero_init_residual=False: mmpretrain's default zero-initialises the last BN of every residual
# block, which leaves a random network its shortcuts only; measured on MSTAR (10-shot L-BFGS probe
# on random features) 32.3 % with it and 54.1 % without.
model = dict(backbone=dict(type='SARResNet', stem_stride=2, zero_init_residual=False))
