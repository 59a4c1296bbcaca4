"""Classify SAR images with a trained mmpretrain model: any format ``LoadSARImage`` reads.

:class:`SARImageClassificationInferencer` is mmpretrain's ``ImageClassificationInferencer``
whose test pipeline starts with the config's own ``LoadSARImage`` step (MSTAR Phoenix raw,
8/16-bit PNG/TIFF, float TIFF, real or complex ``.npy``, converted to the config's dB /
amplitude / intensity / complex domain) instead of mmcv's 8-bit ``imread``, so a prediction is
made on exactly the numbers ``tools/test.py`` feeds the model. Folders are searched recursively,
weights load strictly through sar_mm's safe loader, and results are plain JSON-able dicts.
"""
import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.apis import ImageClassificationInferencer, get_model
from mmpretrain.registry import TRANSFORMS

from .sar_inputs import (display_image, expand_inputs, find_test_pipeline, output_names,
                         split_loading_step)
from .weights import dataset_meta_of, load_inference_weights

# Short edge (pixels) small chips are enlarged to in pictures, so that the drawn text fits.
MIN_PICTURE_EDGE = 256


def _num_classes(model):
    head = getattr(model, 'head', None)
    return getattr(head, 'num_classes', None)


def _config_classes(cfg):
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    metainfo = dataset.get('metainfo') or {}
    classes = metainfo.get('classes') or dataset.get('classes')
    return list(classes) if isinstance(classes, (list, tuple)) else None


def init_sar_classifier(config, checkpoint=None, device='cpu', cfg_options=None):
    """Build an mmpretrain classifier from a config and load its trained weights.

    Args:
        config (str | mmengine.Config): Config file or object.
        checkpoint (str, optional): Checkpoint file, loaded strictly with sar_mm's safe loader
            (:func:`sar_mm.apis.weights.load_inference_weights`). None keeps the config's
            initialisation (random unless ``init_cfg`` says otherwise; logged).
        device (str | torch.device): Device of the model. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        mmpretrain.models.ImageClassifier: In eval mode, with ``_config`` and
        ``_dataset_meta['classes']`` set (from the checkpoint's ``meta.dataset_meta``, else the
        config's dataset ``metainfo``/``classes``, else ``class_0``, ``class_1``...).

    Raises:
        sar_mm.engine.CheckpointMismatchError: the checkpoint does not fit the config's model.
        ValueError: the checkpoint's class names do not match the head's number of classes.
    """
    cfg = copy.deepcopy(config) if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = get_model(cfg, pretrained=False)
    source = cfg.filename or 'the config'
    meta = {}
    if checkpoint is not None:
        meta = dataset_meta_of(load_inference_weights(model, checkpoint))
    else:
        print_log(
            f'{source}: no checkpoint given; predicting with the initial weights',
            logger='current',
            level=30)
    classes = meta.get('classes') or (model._dataset_meta or {}).get('classes') or \
        _config_classes(cfg)
    num_classes = _num_classes(model)
    if classes is None and num_classes is not None:
        classes = [f'class_{i}' for i in range(num_classes)]
        print_log(
            f'{checkpoint or source}: no class names in the checkpoint or the config; '
            f'using {classes[0]}...{classes[-1]}',
            logger='current',
            level=30)
    if classes is not None and num_classes is not None and len(classes) != num_classes:
        raise ValueError(f'{checkpoint or source}: {len(classes)} class names {list(classes)} '
                         f'for a head with {num_classes} classes')
    model._dataset_meta = dict(model._dataset_meta or {}, **meta)
    if classes is not None:
        model._dataset_meta['classes'] = list(classes)
    model.to(device)
    model.eval()
    return model


class SARImageClassificationInferencer(ImageClassificationInferencer):
    """mmpretrain's image classification inferencer for SAR files and arrays.

    The config's test pipeline runs unchanged except its loading step, which becomes a
    :class:`~sar_mm.apis.sar_inputs.SARInferencerLoader` with the arguments of the config's
    ``LoadSARImage`` (mmcv's ``LoadImageFromFile`` is swapped for ``LoadSARImage``, logged).
    Inputs: a file, a folder (searched recursively for SAR images, MSTAR raw included), an
    array in the loader's ``file_kind``, or a list of these.

    Each result is a dict with ``img_path`` (path inputs), ``pred_label`` (int),
    ``pred_class`` (str), ``pred_score`` (its probability) and ``pred_scores``
    (``{class name: probability}`` for every class); with ``topk=K`` also ``topk``, the K best
    ``[class, probability]`` pairs. With ``show_dir`` each image is drawn in dB with a percentile
    stretch (:func:`sar_mm.visualization.sar_to_display`) and the prediction written on it, as
    ``<show_dir>/<image name>.png`` (chips smaller than 256 px are enlarged for the text).

    Args:
        model (str | mmengine.Config | BaseModel): A config (file or object), or a model from
            :func:`init_sar_classifier` / :func:`mmpretrain.apis.get_model`.
        pretrained (str, optional): Checkpoint file (loaded strictly). Defaults to None.
        device (str, optional): Device. Defaults to None (CPU, or the model's own device).
        classes (Sequence[str], optional): Class names overriding the checkpoint's.
        cfg_options (dict, optional): Overrides merged into a config given by file or object.

    Example:
        >>> from sar_mm.apis import SARImageClassificationInferencer
        >>> inferencer = SARImageClassificationInferencer(CONFIG, CHECKPOINT)
        >>> inferencer('HB03787.015')[0]['pred_class']
    """

    postprocess_kwargs = {'topk'}

    def __init__(self, model, pretrained=None, device=None, classes=None, cfg_options=None):
        if not isinstance(model, BaseModel):
            model = init_sar_classifier(
                model, pretrained, device=device or 'cpu', cfg_options=cfg_options)
        elif pretrained:
            model._dataset_meta = dict(
                getattr(model, '_dataset_meta', None) or {},
                **dataset_meta_of(load_inference_weights(model, pretrained)))
        self.loader = None
        super().__init__(model, pretrained=False, device=device, classes=classes)
        if self.classes is None and _num_classes(self.model) is not None:
            self.classes = [f'class_{i}' for i in range(_num_classes(self.model))]

    def _init_pipeline(self, cfg):
        source = getattr(cfg, 'filename', None) or 'the config'
        self.loader, steps = split_loading_step(find_test_pipeline(cfg), source)
        # mmpretrain's transforms, whatever scope another inferencer left as the default
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            return Compose([TRANSFORMS.build(s) if isinstance(s, dict) else s for s in steps])

    def _inputs_to_list(self, inputs):
        return expand_inputs(inputs)

    def preprocess(self, inputs, batch_size=1):

        def run(item):
            return self.pipeline(copy.copy(item) if isinstance(item, dict) else item)

        yield from map(default_collate, self._get_chunk_data(map(run, inputs), batch_size))

    def visualize(self,
                  ori_inputs,
                  preds,
                  show=False,
                  wait_time=0,
                  resize=None,
                  rescale_factor=None,
                  draw_score=True,
                  show_dir=None):
        if not show and show_dir is None:
            return None
        if self.visualizer is None:
            from mmpretrain.visualization import UniversalVisualizer
            self.visualizer = UniversalVisualizer()
        pictures = []
        for input_, data_sample, name in zip(ori_inputs, preds, output_names(ori_inputs)):
            image = display_image(input_, self.loader)
            size = resize
            if size is None and rescale_factor is None and min(image.shape[:2]) < \
                    MIN_PICTURE_EDGE:
                size = MIN_PICTURE_EDGE
            out_file = None
            if show_dir is not None:
                out_file = osp.join(show_dir, name)
            self.visualizer.visualize_cls(
                image,
                data_sample,
                classes=self.classes,
                resize=size,
                rescale_factor=rescale_factor,
                draw_gt=False,
                draw_pred=True,
                draw_score=draw_score,
                show=show,
                wait_time=wait_time,
                name=osp.splitext(name)[0],
                out_file=out_file)
            pictures.append(self.visualizer.get_image())
        if show:
            self.visualizer.close()
        return pictures

    def postprocess(self, preds, visualization, return_datasamples=False, topk=None):
        if return_datasamples:
            return preds
        results = []
        for data_sample in preds:
            scores = data_sample.pred_score.detach().float().cpu()
            label = int(torch.argmax(scores))
            result = {}
            if data_sample.get('img_path') is not None:
                result['img_path'] = data_sample.img_path
            result.update(
                pred_label=label,
                pred_class=str(self.classes[label]),
                pred_score=float(scores[label]),
                pred_scores={
                    str(c): float(s)
                    for c, s in zip(self.classes, scores.tolist())
                })
            if topk:
                best = torch.argsort(scores, descending=True)[:int(topk)].tolist()
                result['topk'] = [[str(self.classes[i]), float(scores[i])] for i in best]
            results.append(result)
        return results


def inference_sar_classifier(model, inputs, batch_size=1, **kwargs):
    """Classify SAR images with a model from :func:`init_sar_classifier`.

    Args:
        model (BaseModel): The classifier.
        inputs (str | np.ndarray | list): Files, folders (recursive) or arrays.
        batch_size (int): Images per forward pass. Defaults to 1.
        **kwargs: ``show_dir``, ``topk``, ... of :class:`SARImageClassificationInferencer`.

    Returns:
        list[dict]: One result per image (see :class:`SARImageClassificationInferencer`).
    """
    return SARImageClassificationInferencer(model)(inputs, batch_size=batch_size, **kwargs)
