"""Segment SAR images with a trained mmseg model (mmseg's ``MMSegInferencer``, SAR I/O).

As for detection (:mod:`sar_mm.apis.det_inference`): the config's ``LoadSARImage`` step replaces
the loading step, annotations are not loaded, weights load strictly and safely, folders are
searched recursively, and the mask is drawn over the image in dB with a percentile stretch.
Each result reports the number of pixels of every class and, when asked, the path of the label
mask written as a PNG (one uint8 label index per pixel).
"""
import os
import os.path as osp

import numpy as np
from mmengine.dataset import Compose
from mmengine.infer.infer import BaseInferencer
from mmseg.apis import MMSegInferencer
from PIL import Image

from .sar_inputs import (display_image, expand_inputs, find_test_pipeline, output_names,
                         split_loading_step)
from .weights import SARWeightsMixin


class SARSegInferencer(SARWeightsMixin, MMSegInferencer):
    """mmseg's ``MMSegInferencer`` for SAR files and arrays.

    Call it with ``show_dir`` (overlay pictures ``<show_dir>/<image name>.png``) and
    ``mask_dir`` (label masks ``<mask_dir>/<image name>.png``). It returns
    ``dict(predictions=[...], visualization=[...])``; each prediction is a dict with
    ``img_path`` (path inputs), ``img_shape`` (H, W), ``class_pixels`` (``{class name: pixel
    count}`` for every class), ``mask_path`` (or None) and, with ``return_masks=True``,
    ``mask`` (the (H, W) label array).

    Args:
        model (str | mmengine.Config): The config.
        weights (str): Checkpoint file.
        device (str, optional): Device. Defaults to None (mmengine's choice).
    """

    visualize_kwargs = {'show', 'wait_time', 'img_out_dir', 'opacity', 'return_vis', 'with_labels'}
    postprocess_kwargs = {'pred_out_dir', 'return_masks'}
    _task_verb = 'segmenting'

    def __init__(self, model, weights=None, device=None):
        self._weights_source = weights
        self.loader = None
        self._names = []
        super().__init__(model=model, weights=weights, device=device, scope='mmseg')

    def _load_weights_to_model(self, model, checkpoint, cfg):
        from mmseg.registry import DATASETS
        metainfo, meta = self._load_checkpoint_meta(model, checkpoint, cfg, DATASETS)
        classes = meta.get('classes') or metainfo.get('classes')
        self._check_classes(classes, cfg)
        model.dataset_meta = dict(
            classes=list(classes), palette=meta.get('palette') or metainfo.get('palette'))

    def _init_pipeline(self, cfg):
        steps = [
            s for s in find_test_pipeline(cfg)
            if not isinstance(s, dict) or str(s.get('type')).split('.')[-1] not in (
                'LoadAnnotations', 'LoadDepthAnnotation')
        ]
        self.loader, steps = split_loading_step(steps,
                                                getattr(cfg, 'filename', None) or 'the config')
        return Compose(steps)

    def _inputs_to_list(self, inputs):
        items = expand_inputs(inputs)
        self._names = output_names(items)
        return items

    def __call__(self,
                 inputs,
                 batch_size=1,
                 show_dir='',
                 mask_dir='',
                 opacity=0.5,
                 return_vis=False,
                 return_masks=False,
                 show=False,
                 wait_time=0,
                 return_datasamples=False):
        """Segment ``inputs`` (files, folders, arrays); see the class docstring."""
        return BaseInferencer.__call__(
            self,
            inputs,
            return_datasamples=return_datasamples,
            batch_size=batch_size,
            show=show,
            wait_time=wait_time,
            img_out_dir=show_dir or '',
            opacity=opacity,
            return_vis=return_vis,
            pred_out_dir=mask_dir or '',
            return_masks=return_masks)

    def _name(self, index):
        return self._names[index] if index < len(self._names) else f'{index:08d}.png'

    def visualize(self,
                  inputs,
                  preds,
                  return_vis=False,
                  show=False,
                  wait_time=0,
                  img_out_dir='',
                  opacity=0.5,
                  with_labels=True):
        if not show and img_out_dir == '' and not return_vis:
            return None
        if self.visualizer is None:
            raise ValueError('drawing needs a `visualizer` in the config')
        self.visualizer.set_dataset_meta(**self.model.dataset_meta)
        self.visualizer.alpha = opacity
        pictures = []
        for index, (single_input, pred) in enumerate(zip(inputs, preds)):
            name = self._name(index)
            out_file = osp.join(img_out_dir, name) if img_out_dir != '' else None
            self.visualizer.add_datasample(
                osp.splitext(name)[0],
                display_image(single_input, self.loader),
                pred,
                show=show,
                wait_time=wait_time,
                draw_gt=False,
                draw_pred=True,
                out_file=out_file,
                with_labels=with_labels)
            pictures.append(self.visualizer.get_image())
        return pictures if return_vis else None

    def postprocess(self,
                    preds,
                    visualization,
                    return_datasample=False,
                    pred_out_dir='',
                    return_masks=False):
        if return_datasample:
            return preds
        classes = self.model.dataset_meta['classes']
        results = []
        for index, pred in enumerate(preds):
            mask = pred.pred_sem_seg.data[0].cpu().numpy()  # (H, W) label indices
            counts = np.bincount(mask.ravel().astype(np.int64), minlength=len(classes))
            result = {}
            if pred.get('img_path') is not None:
                result['img_path'] = pred.img_path
            result['img_shape'] = [int(mask.shape[0]), int(mask.shape[1])]
            result['class_pixels'] = {str(c): int(n) for c, n in zip(classes, counts)}
            result['mask_path'] = None
            if pred_out_dir != '':
                os.makedirs(pred_out_dir, exist_ok=True)
                result['mask_path'] = osp.join(pred_out_dir, self._name(index))
                dtype = np.uint8 if len(classes) <= 256 else np.uint16
                Image.fromarray(mask.astype(dtype)).save(result['mask_path'])
            if return_masks:
                result['mask'] = mask
            results.append(result)
        return dict(predictions=results, visualization=visualization or [])
