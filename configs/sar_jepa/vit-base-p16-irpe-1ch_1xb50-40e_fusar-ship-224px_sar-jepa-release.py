# The released SAR-JEPA ViT-B/16 (github.com/waterdisappear/SAR-JEPA; W. Li et al., ISPRS J.
# Photogramm. Remote Sens. 218, 2024) fine-tuned on FUSAR-Ship with the reference's few-shot
# protocol (as the MSTAR config beside this one: 224 px bicubic, no augmentation, / 255, batch
# 50, AdamW lr 1e-3 wd 5e-4, constant warm-up then cosine, 40 epochs):
#   python tools/fewshot_eval.py THIS_CONFIG --mode finetune --shots 10 20 40
# Classes: the reference's ten (few_shot_classification/finetune/datasets/New_FUSAR.py, ships
# and false-alarm classes after Zhang et al., IEEE 9893301), not the six ship types of
# SAR-HUB that _base_/datasets/fusar_ship.py reads by default. Layout of the reference's copy
# (its BaiduYun "New_FUSAR" folder): data/New_FUSAR/{Train,Val}/<class>/<chip>; training shots
# come from Train and the test set is the rest of Train here; for the reference's test set set
#   test_dataloader.dataset.data_prefix=Val test_dataloader.dataset.num_shots=None
# and run tools/fewshot_eval.py with --test-split config.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/vit_base_p16_irpe_1ch_cls.py',
    '../_base_/datasets/fusar_ship.py',
    '../_base_/datasets/sar_jepa_finetune_224px.py',
    '../_base_/schedules/adamw_const-warmup_cosine_40e.py',
]
sar_jepa_fusar_classes = ('Bridges', 'Cargo', 'CoastalLands_island', 'Fishing', 'LandPatches',
                          'OtherShip', 'SeaClutterWaves', 'SeaPatches', 'StrongFalseAlarms',
                          'Tanker')
num_classes = len(sar_jepa_fusar_classes)
data_root = 'data/New_FUSAR/'
data_prefix = 'Train'
model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(_base_.sar_jepa_preprocessor, num_classes=num_classes)
train_dataloader = dict(
    batch_size=50,
    dataset=dict(
        data_root=data_root,
        data_prefix=data_prefix,
        metainfo=dict(classes=sar_jepa_fusar_classes),
        pipeline=_base_.sar_jepa_train_pipeline))
val_dataloader = dict(
    batch_size=50,
    dataset=dict(
        data_root=data_root,
        data_prefix=data_prefix,
        metainfo=dict(classes=sar_jepa_fusar_classes),
        pipeline=_base_.sar_jepa_test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=40, max_keep_ckpts=1))
