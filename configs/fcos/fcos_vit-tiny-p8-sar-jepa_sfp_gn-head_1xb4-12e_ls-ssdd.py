# FCOS on LS-SSDD-v1.0's 800 x 800 sub-images with the SAR-JEPA ViT through ViTDet's simple
# feature pyramid: the HRSID ViT config (512 x 512 training crops, whole sub-images in testing)
# on the LS-SSDD dataset. Point `checkpoint` at your SAR-JEPA run.
_base_ = ['./fcos_vit-tiny-p8-sar-jepa_sfp_gn-head_1xb4-12e_hrsid.py']
data_root = 'data/LS-SSDD-v1.0/'
train_dataloader = dict(
    dataset=dict(
        type='LSSSDD',
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='JPEGImages_sub/')))
val_dataloader = dict(
    dataset=dict(
        type='LSSSDD',
        data_root=data_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='JPEGImages_sub/')))
test_dataloader = val_dataloader
