# MSTAR SOC-10, standard protocol: train on the 17 deg chips (all of them, or `num_shots` per
# class when the few-shot tools set it), validate and test on every 15 deg chip.
# Needs a 15 deg list beside the 17 deg one:
#   data/mstar_soc10/train.txt   17 deg, "train/<CLASS>/<file> <label>"
#   data/mstar_soc10/test.txt    15 deg, "test/<CLASS>/<file> <label>"
# Split reproduced: the standard SOC protocol (Ross et al., SPIE 3370, 1998), every chip of each
# depression; SAR-HUB's lists of the same chips (and its 10 % / 30 % training subsets):
# mstar_soc10_sar-hub-split.py.
_base_ = ['./mstar_soc10.py']
test_ann_file = 'test.txt'
train_dataloader = dict(dataset=dict(num_shots=None))
val_dataloader = dict(dataset=dict(ann_file=test_ann_file, num_shots=None))
test_dataloader = val_dataloader
