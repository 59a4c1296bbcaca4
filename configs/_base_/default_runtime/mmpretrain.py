# Runtime of sar_mm's mmpretrain configs (classification and self-supervised pretraining).
_base_ = ['./common.py']
default_scope = 'mmpretrain'
default_hooks = dict(visualization=dict(type='VisualizationHook', enable=False))
visualizer = dict(type='UniversalVisualizer', vis_backends={{_base_.vis_backends}})
log_processor = dict(window_size=10)
