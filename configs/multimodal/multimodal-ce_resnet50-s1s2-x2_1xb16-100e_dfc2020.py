# The cross-entropy baseline of the DFC2020 S1 + S2 experiment, with augmentation: the same
# two ResNet-50s and fusion, CE on an augmented pair, no SupCon (its weight is 0).
_base_ = ['./multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020.py']
model = dict(supcon_loss=dict(loss_weight=0.0))
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_aug_ce}}))
