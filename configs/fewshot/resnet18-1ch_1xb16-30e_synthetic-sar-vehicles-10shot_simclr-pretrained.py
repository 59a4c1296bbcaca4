# As the random-init config, with the backbone initialised from the SimCLR checkpoint of
# configs/simclr (point `checkpoint` at yours:
# --cfg-options model.backbone.init_cfg.checkpoint=...).
_base_ = ['./resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='work_dirs/simclr_resnet18-1ch_1xb32-8e_synthetic-sar/epoch_8.pth')))
