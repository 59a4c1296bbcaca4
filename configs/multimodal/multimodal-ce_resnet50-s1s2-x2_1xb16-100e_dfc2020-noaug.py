# The cross-entropy baseline of the DFC2020 S1 + S2 experiment on un-augmented pairs (the
# seed's baseline: CE only, fusion by concatenation, no augmentation).
_base_ = ['./multimodal-ce_resnet50-s1s2-x2_1xb16-100e_dfc2020.py']
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_noaug}}))
