# As the 4-channel config, on one polarisation (HH) of the SpaceNet 6 SAR-Intensity tiles:
# LoadSARImage(bands=[0]) keeps band 0; the model is the 1-channel base unchanged.
_base_ = ['./deeplabv3_r18-d8-4ch_4xb2-20k_spacenet6-sar-512x512.py']
sar_bands = [0]  # 0 HH, 1 HV, 2 VH, 3 VV
model = dict(backbone=dict(in_channels=len(sar_bands)))
data_preprocessor = dict(mean=[0.5], std=[0.25])
train_pipeline = [dict(_base_.train_pipeline[0], bands=sar_bands)] + _base_.train_pipeline[1:]
test_pipeline = [dict(_base_.test_pipeline[0], bands=sar_bands)] + _base_.test_pipeline[1:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
