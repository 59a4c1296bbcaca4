# LS-SSDD-v1.0 cut from its whole 24000 x 16000 scenes by tools/dataset_converters/slice_scenes.py,
# with tile-level metrics (`coco/...`) and scene-level metrics (`coco_scene/...`: detections of
# overlapping tiles shifted into their scene and merged with NMS before COCO evaluation against
# the scene boxes). Prepare (scene-level COCO json from the VOC release of the whole scenes,
# then tiles of 800 x 800 overlapping by 25 %, ships cut by a border kept when >= 50 % visible):
#   python tools/dataset_converters/voc2coco.py LS-SSDD-v1.0 --out-dir scenes \
#       --ann-dir Annotations --img-dir JPEGImages --splits train test
#   python tools/dataset_converters/slice_scenes.py scenes/test.json LS-SSDD-v1.0/JPEGImages \
#       data/ls_ssdd_sliced --tile-size 800 --overlap 0.25      (and scenes/train.json)
# Layout: data_root/images/*, data_root/annotations/{train,test}.json.
_base_ = ['./ls_ssdd.py']
data_root = 'data/ls_ssdd_sliced/'

train_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=dict(img='images/')))
val_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=dict(img='images/')))
test_dataloader = val_dataloader
# the tile json (the dataset's own ann_file) also holds the scene-level boxes
val_evaluator = [
    dict(type='CocoMetric', ann_file=None, metric='bbox'),
    dict(type='SlicedCocoMetric', iou_thr=0.5, proposal_nums=(100, 1000, 3000)),
]
test_evaluator = val_evaluator
