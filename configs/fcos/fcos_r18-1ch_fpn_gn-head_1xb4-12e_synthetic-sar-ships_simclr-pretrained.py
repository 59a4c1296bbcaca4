# As the random-init FCOS config, with the backbone from sar_mm's SimCLR checkpoint (an
# mmpretrain ResNet-18: its keys load into mmdet's ResNet unchanged). Point `checkpoint` at yours.
_base_ = ['./fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/simclr_resnet18-1ch_1xb32-8e_synthetic-sar/epoch_8.pth')))
