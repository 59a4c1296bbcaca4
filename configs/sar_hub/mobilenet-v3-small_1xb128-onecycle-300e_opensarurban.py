# SAR-HUB model hub: MobileNetV3-small on OpenSARUrban, the MobileNetV3 SAR-HUB released
# (network.mobilenetv3_small in its code): mmpretrain's small arch and the classifier of
# mmpretrain's mobilenet-v3-small config (576 -> 1024 -> classes, h-swish, dropout 0.2).
# tools/model_converters/sar_hub_to_mmpretrain.py converts the release's weights for it.
_base_ = ['./mobilenet-v3-large_1xb128-onecycle-300e_opensarurban.py']
model = dict(
    backbone=dict(arch='small'),
    head=dict(
        _delete_=True,
        type='StackedLinearClsHead',
        num_classes=_base_.model.head.num_classes,
        in_channels=576,
        mid_channels=[1024],
        dropout_rate=0.2,
        act_cfg=dict(type='HSwish'),
        loss=_base_.model.head.loss,
        topk=_base_.model.head.get('topk', (1, ))))
