# FUSAR-Ship with SAR-JEPA's ten classes (github.com/waterdisappear/SAR-JEPA,
# few_shot_classification/finetune/datasets/New_FUSAR.py: ships and false-alarm classes after
# Zhang et al., IEEE 9893301), not the six ship types of SAR-HUB that fusar_ship.py reads.
# Layout of the reference's copy (its BaiduYun "New_FUSAR" folder):
#   data/New_FUSAR/{Train,Val}/<class>/<chip>
# Training shots come from Train and the test set is the rest of Train here; for the
# reference's test set set
#   test_dataloader.dataset.data_prefix=Val test_dataloader.dataset.num_shots=None
# and run tools/fewshot_eval.py with --test-split config. Task configs put in their pipelines,
# batch sizes and preprocessor (e.g. sar_jepa_finetune_224px.py).
_base_ = ['./fusar_ship.py']
sar_jepa_fusar_classes = ('Bridges', 'Cargo', 'CoastalLands_island', 'Fishing', 'LandPatches',
                          'OtherShip', 'SeaClutterWaves', 'SeaPatches', 'StrongFalseAlarms',
                          'Tanker')
num_classes = len(sar_jepa_fusar_classes)
data_root = 'data/New_FUSAR/'
data_prefix = 'Train'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, data_prefix=data_prefix, metainfo=dict(
            classes=sar_jepa_fusar_classes)))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, data_prefix=data_prefix, metainfo=dict(
            classes=sar_jepa_fusar_classes)))
test_dataloader = val_dataloader
