# As the 4-channel ResNet-18 config, initialised from sar_mm's single-channel SimCLR ResNet-18
# (configs/simclr/simclr_resnet18-1ch_1xb32-8e_synthetic-sar.py). That network has the plain
# ResNet stem (one 7x7 conv), so the backbone is mmseg's `ResNet` ("r18b", as mmseg names the
# torchvision-style ResNet) with the same dilations instead of ResNetV1c's 3-conv deep stem.
# Loading logs "input channels 1 -> 4" (the first conv is tiled over the 4 polarisations and
# divided by 4) and fails listing the keys if the checkpoint is not a ResNet-18.
# Point `checkpoint` at yours: --cfg-options model.backbone.init_cfg.checkpoint=...
_base_ = ['./deeplabv3_r18-d8-4ch_4xb2-20k_spacenet6-sar-512x512.py']
model = dict(
    backbone=dict(
        type='ResNet',
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/simclr_resnet18-1ch_1xb32-8e_synthetic-sar/epoch_8.pth')))
