# Input steps of SAR-JEPA's few-shot fine-tuning (github.com/waterdisappear/SAR-JEPA,
# few_shot_classification/finetune/configs/trainers/MIM_finetune/vit_b16.yaml: INPUT.SIZE 224,
# INTERPOLATION bicubic, TRANSFORMS [] - no augmentation, no Normalize), for the dataset configs
# mstar_soc10.py, fusar_ship.py and sar_acd.py. Inherit it beside one of them and put the two
# pipelines and the preprocessor into the loaders, e.g.
#   _base_ = [..., '../_base_/datasets/mstar_soc10.py',
#             '../_base_/datasets/sar_jepa_finetune_224px.py']
#   data_preprocessor = dict(_base_.sar_jepa_preprocessor, num_classes=_base_.num_classes)
#   train_dataloader = dict(batch_size=50, dataset=dict(pipeline=_base_.sar_jepa_train_pipeline))
#
# Geometry, as Dassl builds it with no random crop in TRANSFORMS: training resizes the whole
# chip to 224 x 224, testing resizes the short side to 224 and takes the central 224 x 224
# (the same for square chips). The whole chip is used: no 128-px centre crop, no DRAA.
# Normalisation, as the reference: Dassl's ToTensor without Normalize, i.e. 8-bit amplitude /
# 255 in [0, 1] (mean 0, std 255 here), one channel. The reference reads images through its
# modified Dassl (`dassl/utils/tools.py` read_image and `dassl/data/transforms/transforms.py`
# inside few_shot_classification/Dassl.pytorch.zip), which could not be read here: the single
# channel and the absence of other scaling are taken from its README ("SAR single-channel
# amplitude images") and from in_chans=1 of its model. For chips that are not 8-bit (float or
# 16-bit GeoTIFFs), change std to the data's full scale.
sar_jepa_img_size = 224
sar_jepa_preprocessor = dict(mean=[0.], std=[255.], to_rgb=False)
sar_jepa_train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='Resize', scale=(sar_jepa_img_size, sar_jepa_img_size), interpolation='bicubic'),
    dict(type='PackInputs'),
]
sar_jepa_test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='ResizeEdge', scale=sar_jepa_img_size, edge='short', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=sar_jepa_img_size),
    dict(type='PackInputs'),
]
