# As the CE + SupCon DFC2020 config, without augmentation: the SupCon views are the
# un-augmented pair, so SupCon contrasts the two sensors (and samples of the same class) only.
_base_ = ['./multimodal-supcon_resnet50-s1s2-x2_1xb16-100e_dfc2020.py']
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_noaug}}))
