# SAR knowledge points, amortised (SAR-HUB): a U-Net learns to predict the per-cell noise scale
# sigma (8x8-pixel cells) that keeps the last-stage features of a frozen, fine-tuned classifier
# unchanged while maximising the noise entropy. Trained with
#   python tools/train.py \
#       configs/explain/kp_sigma-unet_resnet18-1ch_1xb16-20e_synthetic-sar-vehicles.py
# after training the classifier it explains (explained / explained_checkpoint below):
#   python tools/train.py configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py
# Explain another classifier with --cfg-options model.explained=CONFIG
# model.explained_checkpoint=CKPT (and its data). tools/test.py with this config and the
# explainer checkpoint reports the KP metrics (SARKnowledgePointMetric); the figures and the
# per-model table come from tools/analysis_tools/explain_kp.py --method amortised.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/datasets/synthetic_sar_vehicles_fewshot.py',
]

model = dict(
    type='AmortisedKPExplainer',
    explained='configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py',
    explained_checkpoint='work_dirs/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot/'
    'epoch_30.pth',
    feature_layer=None,  # the last backbone stage (ResNet layer4)
    cell_size=8,
    # SAR-HUB's code: S = 15 draws averaged in the input, v over the batch, weight 0.25 on the
    # summed entropy of 32 images x 256 cells = alpha 2048 per image on the cell mean for
    # ResNet-50's 2048x4x4 layer-4 features. For this ResNet-18 at 64 px (512x2x2 features)
    # alpha keeps the same weight per feature element: 2048 * 2048 / 32768 = 128.
    alpha=128.0,
    num_samples=15,
    sample_mode='mean_input',
    feature_variance='batch',
    # SAR-HUB's U-Net is base_channels=64, max_channels=1024, logvar_channels=512; a narrow
    # one suffices for 64-px chips on a CPU.
    sigma_net=dict(
        type='SigmaUNet',
        in_channels=1,
        base_channels=16,
        max_channels=128,
        logvar_channels=64,
        normalize_logvar=True),
)

# every chip, not the few-shot subset: the explainer is fitted to the data it explains
train_dataloader = dict(batch_size=16, dataset=dict(num_shots=None))
test_pipeline = [
    dict(type='LoadSARImage', to='db'),
    # target/shadow regions by the MSTAR heuristic (threshold, counting filter, largest contour)
    dict(type='SARTargetShadowRegions', source='mstar'),
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'kp_region')),
]
val_dataloader = dict(dataset=dict(num_shots=None, fewshot_split='train', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='SARKnowledgePointMetric', thresholds=(0.25, 0.3, 0.4, 0.5))]
test_evaluator = val_evaluator

max_epochs = 20
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=16)
