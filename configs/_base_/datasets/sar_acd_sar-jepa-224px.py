# SAR-ACD (sar_acd.py) as SAR-JEPA's few-shot fine-tuning reads it
# (sar_jepa_finetune_224px.py: every chip centre-cropped to 128 px, 224 px bicubic, no
# augmentation, 8-bit amplitude / 255) with the reference's batch of 50. The model configs of
# both releases evaluated with this protocol (configs/sar_jepa/*_sar-jepa-release.py,
# configs/recognition/hivit-base-p16-1ch_1xb50-40e_*_saratr-x-pretrained.py) inherit it.
_base_ = ['./sar_acd.py', './sar_jepa_finetune_224px.py']
data_preprocessor = dict(_base_.sar_jepa_preprocessor, num_classes=_base_.num_classes)
train_dataloader = dict(batch_size=50, dataset=dict(pipeline=_base_.sar_jepa_train_pipeline))
val_dataloader = dict(batch_size=50, dataset=dict(pipeline=_base_.sar_jepa_test_pipeline))
test_dataloader = val_dataloader
