"""Detect objects in SAR images with a trained mmdet model (mmdet's ``DetInferencer``, SAR I/O).

mmdet's inferencer reads images with mmcv (8-bit) for the model and again for its pictures; here
the config's ``LoadSARImage`` step replaces the loading step (the rest of the test pipeline runs
unchanged) and the pictures are drawn on the image in dB with a percentile stretch, so float32
scenes, 16-bit chips, complex ``.npy`` and MSTAR raw files are detected and shown correctly.
"""
import os.path as osp

from mmdet.apis import DetInferencer
from mmengine.dataset import Compose

from .sar_inputs import (display_image, expand_inputs, find_test_pipeline, output_names,
                         split_loading_step)
from .weights import SARWeightsMixin


class SARDetInferencer(SARWeightsMixin, DetInferencer):
    """mmdet's ``DetInferencer`` for SAR files and arrays.

    Differences from mmdet's inferencer:

    * the test pipeline's loading step (``LoadSARImage``, or ``LoadImageFromFile`` swapped for
      it) is a :class:`~sar_mm.apis.sar_inputs.SARInferencerLoader`, so paths and arrays are
      converted as in testing; the other steps are the config's;
    * weights load strictly with sar_mm's safe loader (a mismatch lists the keys); class names
      come from the checkpoint's ``meta.dataset_meta``, else from the config's dataset;
    * folders are searched recursively for SAR images (MSTAR raw included);
    * pictures (``out_dir``) are ``<out_dir>/<image name>.png``: the image in dB with a
      percentile stretch, boxes above ``pred_score_thr`` drawn by mmdet's visualizer;
    * each prediction dict also has ``img_path`` (path inputs) and ``label_names``.

    Args:
        model (str | mmengine.Config): The config.
        weights (str): Checkpoint file.
        device (str, optional): Device. Defaults to None (mmengine's choice).
        palette (str): Box palette, as mmdet's. Defaults to ``'none'`` (the dataset's).
        show_progress (bool): Progress bar over batches. Defaults to True.
    """

    _task_verb = 'detecting'

    def __init__(self, model, weights=None, device=None, palette='none', show_progress=True):
        self._weights_source = weights
        self.loader = None
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope='mmdet',
            palette=palette,
            show_progress=show_progress)

    def _load_weights_to_model(self, model, checkpoint, cfg):
        from mmdet.registry import DATASETS
        metainfo, meta = self._load_checkpoint_meta(model, checkpoint, cfg, DATASETS)
        dataset_meta = dict(metainfo, **meta)
        self._check_classes(dataset_meta.get('classes'), cfg)
        if self.palette != 'none':
            dataset_meta['palette'] = self.palette
        elif dataset_meta.get('palette') is None:
            dataset_meta['palette'] = 'random'
        model.dataset_meta = dataset_meta

    def _init_pipeline(self, cfg):
        steps = find_test_pipeline(cfg)
        last = steps[-1]
        if isinstance(last, dict) and 'meta_keys' in last:  # no image ids at inference
            last['meta_keys'] = tuple(k for k in last['meta_keys'] if k != 'img_id')
        self.loader, steps = split_loading_step(steps,
                                                getattr(cfg, 'filename', None) or 'the config')
        return Compose(steps)

    def _inputs_to_list(self, inputs):
        return expand_inputs(inputs)

    def visualize(self,
                  inputs,
                  preds,
                  return_vis=False,
                  show=False,
                  wait_time=0,
                  draw_pred=True,
                  pred_score_thr=0.3,
                  no_save_vis=False,
                  img_out_dir='',
                  **kwargs):
        if no_save_vis:
            img_out_dir = ''
        if not show and img_out_dir == '' and not return_vis:
            return None
        if self.visualizer is None:
            raise ValueError('drawing needs a `visualizer` in the config')
        pictures = []
        for single_input, pred, name in zip(inputs, preds, output_names(inputs)):
            if not isinstance(single_input, str):  # arrays: numbered across calls
                name = f'{self.num_visualized_imgs:08d}.png'
            image = display_image(single_input, self.loader)
            out_file = osp.join(img_out_dir, name) if img_out_dir != '' else None
            self.visualizer.add_datasample(
                osp.splitext(name)[0],
                image,
                pred,
                show=show,
                wait_time=wait_time,
                draw_gt=False,
                draw_pred=draw_pred,
                pred_score_thr=pred_score_thr,
                out_file=out_file)
            pictures.append(self.visualizer.get_image())
            self.num_visualized_imgs += 1
        return pictures

    def pred2dict(self, data_sample, pred_out_dir=''):
        result = super().pred2dict(data_sample, pred_out_dir)
        classes = self.model.dataset_meta['classes']
        if 'labels' in result:
            result['label_names'] = [str(classes[i]) for i in result['labels']]
        if data_sample.get('img_path') is not None:
            result = dict(img_path=data_sample.img_path, **result)
        return result
