# Input steps of SAR-JEPA's few-shot fine-tuning (github.com/waterdisappear/SAR-JEPA,
# few_shot_classification/finetune/configs/trainers/MIM_finetune/vit_b16.yaml: INPUT.SIZE 224,
# INTERPOLATION bicubic, TRANSFORMS [] - no augmentation, no Normalize), for the dataset configs
# mstar_soc10.py, fusar_ship.py and sar_acd.py. Inherit it beside one of them and put the two
# pipelines and the preprocessor into the loaders, e.g.
#   _base_ = [..., '../_base_/datasets/mstar_soc10.py',
#             '../_base_/datasets/sar_jepa_finetune_224px.py']
#   data_preprocessor = dict(_base_.sar_jepa_preprocessor, num_classes=_base_.num_classes)
#   train_dataloader = dict(batch_size=50, dataset=dict(pipeline=_base_.sar_jepa_train_pipeline))
# ({mstar_soc10,fusar_ship_sar-jepa-10class,sar_acd}_sar-jepa-224px.py do exactly that.)
#
# Geometry, as the reference's modified Dassl builds it (few_shot_classification/Dassl.pytorch.zip,
# dassl/data/transforms/transforms.py, read for this config): every chip is first centre-cropped
# to 128 x 128, in training and at test; then training resizes to 224 x 224 (no random crop in
# TRANSFORMS) and testing resizes the short side to 224 and takes the central 224 x 224 (the
# same for square chips). No DRAA. A chip under 128 px is zero-padded, at the bottom/right here
# (mmcv's CenterCrop) and around the chip in the reference (torchvision's): only such chips differ.
# Normalisation, as the reference: its read_image (dassl/utils/tools.py) reads the file as 8-bit
# grey (cv2.IMREAD_GRAYSCALE), then Dassl's ToTensor without Normalize, i.e. amplitude / 255 in
# [0, 1] (mean 0, std 255 here), one channel. For chips that are not 8-bit (float or 16-bit
# GeoTIFFs), change std to the data's full scale.
sar_jepa_img_size = 224
sar_jepa_preprocessor = dict(mean=[0.], std=[255.], to_rgb=False)
sar_jepa_crop = dict(type='CenterCrop', crop_size=128, auto_pad=True)
sar_jepa_train_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    sar_jepa_crop,
    dict(type='Resize', scale=(sar_jepa_img_size, sar_jepa_img_size), interpolation='bicubic'),
    dict(type='PackInputs'),
]
sar_jepa_test_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    sar_jepa_crop,
    dict(type='ResizeEdge', scale=sar_jepa_img_size, edge='short', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=sar_jepa_img_size),
    dict(type='PackInputs'),
]
