# FCOS (mmdet) with a single-channel ResNet-18 and a CPU-sized neck and head (the synthetic
# demo): fcos_r50_1ch_fpn_gn-head.py with depth 18, the FPN on ResNet-18's channels and 128
# channels, and 2 stacked convolutions in the GroupNorm head (SAR-HUB's: 4 of 256 channels).
_base_ = ['./fcos_r50_1ch_fpn_gn-head.py']
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[128, 256, 512], out_channels=128),
    bbox_head=dict(in_channels=128, stacked_convs=2, feat_channels=128))
