# FCOS on SSDD with a single-channel ResNet-18 from random initialisation (as the ResNet-50
# config otherwise).
_base_ = ['./fcos_r50-1ch_fpn_gn-head_1xb4-12e_ssdd.py']
model = dict(backbone=dict(depth=18), neck=dict(in_channels=[128, 256, 512]))
