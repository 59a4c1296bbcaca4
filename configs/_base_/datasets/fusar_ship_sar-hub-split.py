# FUSAR-Ship, six ship types, with the split SAR-HUB published (Yang et al., Remote Sensing
# 15(23):5534, 2023; github.com/XAI4SAR/SAR-HUB, Fine-tuning/Target_recognition/data/FSS):
# train on FuSAR_train6.txt (1,678 chips), test on FuSAR_test6.txt (1,662), labels Cargo,
# Dredger, Fishing, Passenger, Tanker, Tug (FUSARShip's default classes).
#
# SAR-HUB has no licence, so its lists are not part of sar_mm: write them for your copy of the
# release (chips keep their names Ship_CxxSyyNzzzz, e.g. FUSAR-Ship1.0/<type>/<subtype>/*.tiff)
# with
#   python tools/dataset_converters/sar_hub_splits.py fusar --sar-hub SAR-HUB \
#       --data-root data/FUSAR-Ship
# which writes data/FUSAR-Ship/splits/sar-hub/FuSAR_{train,test}6.txt (paths relative to the
# data root, hence data_prefix=''). Input steps: fusar_ship.py's.
_base_ = ['./fusar_ship.py']
sar_hub_split_dir = 'splits/sar-hub/'
train_dataloader = dict(
    dataset=dict(ann_file=sar_hub_split_dir + 'FuSAR_train6.txt', data_prefix='', num_shots=None))
val_dataloader = dict(
    dataset=dict(ann_file=sar_hub_split_dir + 'FuSAR_test6.txt', data_prefix='', num_shots=None))
test_dataloader = val_dataloader
