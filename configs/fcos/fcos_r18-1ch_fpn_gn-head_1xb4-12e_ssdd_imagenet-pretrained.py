# FCOS on SSDD with an ImageNet-style (3-channel RGB) ResNet-18 checkpoint, e.g. torchvision's
# (`torchvision://resnet18`, downloaded on first use) or your own file. The single-channel
# conv1 is made by summing the RGB filters over the channels, which keeps the response to a grey
# image (logged: "adapted conv1.weight: input channels 3 -> 1"); the classifier's fc.* keys are
# reported as unexpected and skipped. No prefix: the file is a bare ResNet state dict (an
# mmpretrain ImageNet checkpoint needs prefix='backbone.').
_base_ = ['./fcos_r18-1ch_fpn_gn-head_1xb4-12e_ssdd.py']
model = dict(
    backbone=dict(
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')))
