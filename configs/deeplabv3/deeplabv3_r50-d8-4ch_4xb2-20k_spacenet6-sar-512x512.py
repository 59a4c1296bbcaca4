# As the ResNetV1c-18 config with a dilated ResNetV1c-50 (bottleneck blocks: 2048-channel output
# for the ASPP head, 1024 channels from stage 3 for the auxiliary head; mmseg's head widths).
_base_ = ['./deeplabv3_r18-d8-4ch_4xb2-20k_spacenet6-sar-512x512.py']
model = dict(
    backbone=dict(depth=50),
    decode_head=dict(in_channels=2048, channels=512),
    auxiliary_head=dict(in_channels=1024, channels=256))
