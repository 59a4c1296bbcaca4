# FCOS on SSDD with a single-channel ResNet-101 from random initialisation (as the ResNet-50
# config otherwise).
_base_ = ['./fcos_r50-1ch_fpn_gn-head_1xb4-12e_ssdd.py']
model = dict(backbone=dict(depth=101))
