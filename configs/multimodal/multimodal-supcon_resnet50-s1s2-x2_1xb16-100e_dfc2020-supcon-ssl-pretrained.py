# The DFC2020 CE + SupCon experiment started from the seed's released SEN12MS-pretrained
# DualResnet50 (github.com/bakiuzun/SupCon_SSL, the two-ResNet-50 SimCLR backbone of
# github.com/HSG-AIML/SSLTransformerRS), as its dfc_finetune.py does. The projector is the
# seed's: per sensor Linear(2048, 2048) + ReLU + Linear(2048, 128), with biases and no
# BatchNorm, so the released projections load too; the head (on the pooled 2 x 2048 features)
# is trained anew. Convert the release first:
#   python tools/model_converters/supcon_ssl_to_mmpretrain.py DualResnet50.pth \
#       checkpoints/supcon-ssl_dualresnet50_mmpretrain.pth
_base_ = ['./multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020.py']
model = dict(
    projector=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            dict(
                type='LinearNeck',
                in_channels=2048,
                out_channels=2048,
                gap_dim=0,
                norm_cfg=None,
                act_cfg=dict(type='ReLU')),
            dict(
                type='LinearNeck',
                in_channels=2048,
                out_channels=128,
                gap_dim=0,
                norm_cfg=None,
                act_cfg=None),
        ]))
load_from = 'checkpoints/supcon-ssl_dualresnet50_mmpretrain.pth'
