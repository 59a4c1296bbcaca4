# SimCLR on real SAR chips (SimCLR-SAR-ATR setting): a 1-channel ResNet-18 learns from two SAR
# views of each unlabelled chip (rotation, random resized crop, flip, speckle, DRAA, gain; see
# configs/_base_/datasets/sar_chips_unlabeled_simclr.py), MSTAR 17 deg chips by default.
# Fine-tune the backbone with configs/recognition/*_simclr-pretrained.py.
_base_ = [
    '../_base_/default_runtime/mmpretrain.py',
    '../_base_/models/simclr_resnet18_1ch.py',
    '../_base_/datasets/sar_chips_unlabeled_simclr.py',
    '../_base_/schedules/lars_cosine_200e.py',
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
