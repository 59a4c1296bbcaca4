# MSTAR SOC-10 with the split SAR-HUB published (Yang et al., "SAR-HUB: Pre-training,
# fine-tuning, and explaining", Remote Sensing 15(23):5534, 2023; github.com/XAI4SAR/SAR-HUB,
# Fine-tuning/Target_recognition/data/MSTAR): train on its 17 deg list train.txt (2,747 chips)
# or on its 10 % / 30 % subsets train_10.txt (268) / train_30.txt (817), test on its 15 deg list
# test.txt (2,425 chips), in SAR-HUB's SOC-10 label order (sar_mm's).
#
# SAR-HUB has no licence, so its lists are not part of sar_mm: write them for your copy of the
# data (raw Phoenix files, SAR-HUB's *_Mag.npy or the JPEG release, any folder layout with a
# class folder above each chip) with
#   python tools/dataset_converters/sar_hub_splits.py mstar --sar-hub SAR-HUB \
#       --data-root data/mstar_soc10
# which writes data/mstar_soc10/splits/sar-hub/{train,test,train_10,train_30}.txt.
# The 10 % / 30 % settings: --cfg-options \
#   train_dataloader.dataset.ann_file=splits/sar-hub/train_10.txt
# Input steps: mstar_soc10.py's.
_base_ = ['./mstar_soc10.py']
sar_hub_split_dir = 'splits/sar-hub/'
train_ann_file = sar_hub_split_dir + 'train.txt'
test_ann_file = sar_hub_split_dir + 'test.txt'
train_dataloader = dict(dataset=dict(ann_file=train_ann_file, num_shots=None))
val_dataloader = dict(dataset=dict(ann_file=test_ann_file, num_shots=None))
test_dataloader = val_dataloader
