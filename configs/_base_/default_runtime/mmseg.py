# Runtime of sar_mm's mmseg (segmentation) configs: iteration-based, as in mmseg.
_base_ = ['./common.py']
default_scope = 'mmseg'
default_hooks = dict(
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=2000),
    visualization=dict(type='SegVisualizationHook'))
visualizer = dict(
    type='SegLocalVisualizer', vis_backends={{_base_.vis_backends}}, name='visualizer')
log_processor = dict(by_epoch=False, window_size=10)
