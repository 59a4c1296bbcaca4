# Runtime of sar_mm's mmdet (detection) configs.
_base_ = ['./common.py']
default_scope = 'mmdet'
default_hooks = dict(visualization=dict(type='DetVisualizationHook'))
visualizer = dict(
    type='DetLocalVisualizer', vis_backends={{_base_.vis_backends}}, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)
