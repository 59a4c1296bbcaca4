# Progress of a pretraining on MSTAR SOC-10 at 64 px: KNNAccuracyHook (sar_mm) every 5 epochs,
# weighted cosine kNN (k = 10, 20; T = 0.07) of the backbone's pooled features with a 10-shot
# bank (draw seed 100, none of the evaluation seeds 0-2) against every other 17 deg chip, on the
# test pipeline of configs/recognition/*_mstar-soc10-64px.py (128-px centre resized to 64 px,
# DRAA at its midpoint brightness). The first evaluation, before training, is the random
# initialisation's. Elsewhere:
#   --cfg-options custom_hooks.0.train_dataloader.dataset.data_root=DIR \
#                 custom_hooks.0.val_dataloader.dataset.data_root=DIR
knn_data_root = 'data/mstar_soc10/'
knn_pipeline = [
    dict(type='LoadSARImage', to='amplitude', bands=[0]),
    dict(type='CenterCrop', crop_size=128),
    dict(type='Resize', scale=(64, 64), interpolation='bilinear'),
    dict(type='DRAAToneMapping', brightness_range=(3.5, 4.5), test_mode=True),
    dict(type='PackInputs'),
]
knn_dataset = dict(
    type='MSTAR',
    data_root=knn_data_root,
    ann_file='train.txt',
    num_shots=10,
    seed=100,
    pipeline=knn_pipeline)
custom_hooks = [
    dict(
        type='KNNAccuracyHook',
        interval=5,
        k=(10, 20),
        temperature=0.07,
        evaluate_before_train=True,
        train_dataloader=dict(
            batch_size=128, num_workers=0, dataset=dict(knn_dataset, fewshot_split='train')),
        val_dataloader=dict(
            batch_size=128, num_workers=0, dataset=dict(knn_dataset, fewshot_split='rest')))
]
