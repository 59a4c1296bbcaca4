"""Class activation maps of SAR classifiers, several models side by side.

The CAM maths is the ``grad-cam`` package's (``pytorch_grad_cam``: Grad-CAM, Grad-CAM++,
XGrad-CAM, Eigen-CAM, ...); what is here is the glue mmpretrain's ``tools/visualization/
vis_cam.py`` provides for one model, rewritten for SAR inputs and for comparing models:

* the input is the config's test pipeline output (``LoadSARImage`` through the data
  preprocessor), and the picture under the map is that input in dB with a percentile stretch;
* default target layers per backbone family (:func:`default_target_layers`): the last residual
  stage of a ResNet; for a ViT the first norm of the last block, whose token outputs are turned
  back into a patch grid (:class:`TokenGridReshape`), dropping the class token;
* methods that ignore the target class (Eigen-CAM, KPCA-CAM: principal components of the
  activations) are flagged ``class_discriminative=False`` and computed once per image;
* the figure (one row per model, one column per (image, class)) is drawn by
  :func:`sar_mm.visualization.draw_cam_grid`.
"""
import logging
from collections import namedtuple

import numpy as np
import torch
from mmengine.dataset import default_collate
from mmengine.logging import print_log

from sar_mm.visualization import sar_to_display

CAMMethod = namedtuple('CAMMethod', ['cls_name', 'label', 'class_discriminative'])

#: Supported methods: normalised name -> (pytorch_grad_cam class, label, class-discriminative).
CAM_METHODS = {
    'gradcam': CAMMethod('GradCAM', 'Grad-CAM', True),
    'gradcam++': CAMMethod('GradCAMPlusPlus', 'Grad-CAM++', True),
    'xgradcam': CAMMethod('XGradCAM', 'XGrad-CAM', True),
    'hirescam': CAMMethod('HiResCAM', 'HiRes-CAM', True),
    'gradcamelementwise': CAMMethod('GradCAMElementWise', 'Grad-CAM element-wise', True),
    'layercam': CAMMethod('LayerCAM', 'Layer-CAM', True),
    'eigengradcam': CAMMethod('EigenGradCAM', 'Eigen-Grad-CAM', True),
    'scorecam': CAMMethod('ScoreCAM', 'Score-CAM', True),
    'ablationcam': CAMMethod('AblationCAM', 'Ablation-CAM', True),
    'eigencam': CAMMethod('EigenCAM', 'Eigen-CAM', False),
    'kpcacam': CAMMethod('KPCA_CAM', 'KPCA-CAM', False),
}


def _normalise_method_name(name):
    key = str(name).lower().replace('-', '').replace('_', '').replace(' ', '')
    return key.replace('plusplus', '++').replace('pp', '++') if key.startswith('gradcam') \
        else key


def resolve_cam_method(name):
    """The :data:`CAM_METHODS` entry for a method name.

    Names are matched ignoring case, ``-``, ``_`` and spaces (``GradCAM++``, ``gradcam_pp``,
    ``GradCAMPlusPlus``, ``Eigen-CAM``, ``KPCA_CAM`` all work).

    Raises:
        ValueError: unknown method, listing the supported ones.
    """
    key = _normalise_method_name(name)
    if key not in CAM_METHODS:
        raise ValueError(f'unknown CAM method {name!r}; supported: '
                         f'{", ".join(m.label for m in CAM_METHODS.values())} '
                         f'({", ".join(m.cls_name for m in CAM_METHODS.values())})')
    return CAM_METHODS[key]


def method_column_title(method, class_name=None):
    """What a column of ``method`` shows: ``'Grad-CAM: tank'``, or for a method that ignores
    the class ``'Eigen-CAM (class-agnostic)'``."""
    if not method.class_discriminative:
        return f'{method.label} (class-agnostic)'
    return f'{method.label}: {class_name}' if class_name is not None else \
        f'{method.label}: predicted class'


def is_vit_like(backbone):
    """Whether a backbone outputs tokens (B, L, C) from a patch embedding (mmpretrain ViT,
    DeiT, ...), so its layers need :class:`TokenGridReshape`."""
    return hasattr(backbone, 'patch_embed') and hasattr(backbone, 'layers') and \
        hasattr(backbone, 'num_extra_tokens')


def default_target_layers(model):
    """Default CAM target layers of an mmpretrain classifier, by backbone family.

    * ResNet-like (``res_layers``): the last residual stage (e.g. ``backbone.layer4``), the
      usual Grad-CAM layer: the deepest spatial features the head pools.
    * ViT-like (:func:`is_vit_like`): ``backbone.layers[-1].ln1``, the norm before the last
      attention. The class token the head reads mixes the patch tokens only in attention, so
      after the last attention (``ln2``, the final norm) patch tokens no longer reach the
      output and their gradients are zero; before it they do.
    * otherwise: the backbone's last normalisation layer (as mmpretrain's ``vis_cam.py``).

    Returns:
        list[tuple[str, nn.Module]]: ``(name, module)`` pairs, names as in
        ``model.named_modules()``.
    """
    backbone = model.backbone
    if is_vit_like(backbone):
        index = len(backbone.layers) - 1
        block = backbone.layers[index]
        norm = getattr(block, 'ln1', None) or getattr(block, 'norm1', None)
        if norm is not None:
            name = 'ln1' if getattr(block, 'ln1', None) is not None else 'norm1'
            return [(f'backbone.layers.{index}.{name}', norm)]
    res_layers = getattr(backbone, 'res_layers', None)
    if res_layers:
        return [(f'backbone.{res_layers[-1]}', getattr(backbone, res_layers[-1]))]
    from mmengine.utils.dl_utils import is_norm
    norms = [(f'backbone.{n}', m) for n, m in backbone.named_modules() if n and is_norm(m)]
    if not norms:
        raise ValueError(f'no default CAM target layer for {type(backbone).__name__}; pass '
                         'target layers by name (e.g. backbone.layer4)')
    return [norms[-1]]


def get_target_layers(model, names):
    """``(name, module)`` for each module name (as in ``model.named_modules()``).

    Raises:
        ValueError: an unknown name; lists the backbone's top-level modules.
    """
    modules = dict(model.named_modules())
    out = []
    for name in names:
        if name not in modules:
            top = [n for n in modules if n.startswith('backbone.') and n.count('.') <= 2]
            raise ValueError(f'no module {name!r} in {type(model).__name__}; modules include: '
                             f'{", ".join(top[:40])}{" ..." if len(top) > 40 else ""}')
        out.append((name, modules[name]))
    return out


class TokenGridReshape:
    """Turn a ViT layer's tokens (B, L, C) into a map (B, C, h, w) for ``pytorch_grad_cam``.

    The first ``num_extra_tokens`` tokens (class / distillation tokens) are dropped; the
    patch grid (h, w) is the one the patch embedding produced in the last forward pass (a hook
    on ``backbone.patch_embed`` records it, so non-square and resized inputs work), else a
    square grid. 4-D tensors pass unchanged.

    Args:
        backbone (nn.Module): The ViT-like backbone.
    """

    def __init__(self, backbone):
        self.num_extra_tokens = int(getattr(backbone, 'num_extra_tokens', 0) or 0)
        self.grid = None
        self._handle = backbone.patch_embed.register_forward_hook(self._record_grid)

    def _record_grid(self, module, args, output):
        if isinstance(output, tuple) and len(output) == 2 and len(output[1]) == 2:
            self.grid = tuple(int(v) for v in output[1])

    def __call__(self, tensor):
        if tensor.ndim == 4:
            return tensor
        if tensor.ndim != 3:
            raise ValueError(f'cannot map a target layer output of shape {tuple(tensor.shape)} '
                             'to an image: expected (B, L, C) tokens or (B, C, H, W)')
        tokens = tensor[:, self.num_extra_tokens:, :]  # (B, L - extra, C)
        length = tokens.shape[1]
        if self.grid is not None and self.grid[0] * self.grid[1] == length:
            h, w = self.grid
        else:
            h = w = int(round(length**0.5))
            if h * w != length:
                raise ValueError(
                    f'{length} patch tokens (after dropping {self.num_extra_tokens} extra) do not '
                    'form the patch grid of the input; choose a target layer that outputs all '
                    'patch tokens')
        # (B, h*w, C) -> (B, C, h, w)
        return tokens.reshape(tokens.shape[0], h, w, tokens.shape[2]).permute(0, 3, 1, 2)

    def release(self):
        self._handle.remove()


def check_categories(categories, classes):
    """Target categories as class indices; accepts indices or class names.

    Raises:
        ValueError: an index out of range or an unknown name; names the valid range / classes.
    """
    classes = list(classes)
    out = []
    for cat in categories:
        if isinstance(cat, str) and not cat.lstrip('-').isdigit():
            if cat not in classes:
                raise ValueError(f'target category {cat!r} is not a class of the model; '
                                 f'classes: {classes}')
            out.append(classes.index(cat))
            continue
        index = int(cat)
        if not 0 <= index < len(classes):
            raise ValueError(f'target category {index} is out of range: the model has '
                             f'{len(classes)} classes (0..{len(classes) - 1}: '
                             f'{", ".join(map(str, classes))})')
        out.append(index)
    return out


def prepare_cam_input(model, pipeline, loader, image):
    """Run one image through the test pipeline and the data preprocessor.

    Args:
        model: The classifier (its ``data_preprocessor`` is applied).
        pipeline (Callable): Test pipeline starting with a ``SARInferencerLoader``.
        loader (SARInferencerLoader): That loader (its output domain sets the display).
        image (str | np.ndarray): The image.

    Returns:
        tuple[Tensor, np.ndarray]: model input (1, C, H, W) and an RGB float picture (H, W, 3)
        in [0, 1] of the pipeline's output (before normalisation) in dB, percentile stretched.
    """
    data = pipeline(image)
    packed = data['inputs'].float().numpy()  # (C, H, W) before normalisation
    if loader.to == 'complex':  # (re, im) pairs: amplitude of the first band
        picture, domain = np.hypot(packed[0], packed[1]), 'amplitude'
    else:
        picture = packed[0]
        # a linear domain with negative values has been normalised or log-scaled by the
        # pipeline: stretch it as it is
        domain = loader.to if (loader.to == 'db' or picture.min() >= 0) else 'db'
    grey = sar_to_display(picture, domain=domain).astype(np.float32) / 255.0
    batch = model.data_preprocessor(default_collate([data]), False)
    inputs = batch['inputs']
    if isinstance(inputs, (list, tuple)):
        inputs = torch.stack(list(inputs))
    return inputs, np.repeat(grey[:, :, None], 3, axis=2)


def compute_cams(model,
                 inputs,
                 categories,
                 method='GradCAM',
                 target_layers=None,
                 eigen_smooth=False,
                 aug_smooth=False):
    """CAMs of one input for several target classes with a ``pytorch_grad_cam`` method.

    Args:
        model: mmpretrain classifier; ``model(x)`` must return class logits (mmpretrain's
            ``ImageClassifier`` does in ``'tensor'`` mode).
        inputs (Tensor): (1, C, H, W), after the data preprocessor.
        categories (Sequence[int] | None): Target classes (checked with
            :func:`check_categories` first). None: the predicted class.
        method (str | CAMMethod): Method name (:func:`resolve_cam_method`).
        target_layers (Sequence[tuple[str, nn.Module]], optional): Default:
            :func:`default_target_layers`.
        eigen_smooth (bool): ``pytorch_grad_cam``'s first-principal-component smoothing.
        aug_smooth (bool): ``pytorch_grad_cam``'s test-time augmentation smoothing.

    Returns:
        dict: ``cams`` (K, H, W) float arrays in [0, 1], one per category (one map in all
        for a class-agnostic method), ``categories`` (the classes they are for; for a
        class-agnostic method the predicted class), ``probs`` (num_classes,) softmax of the
        logits, ``layers`` (target layer names) and ``method`` (the :class:`CAMMethod`).
    """
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    method = method if isinstance(method, CAMMethod) else resolve_cam_method(method)
    layers = list(target_layers) if target_layers else default_target_layers(model)
    reshape = TokenGridReshape(model.backbone) if is_vit_like(model.backbone) else None
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(inputs).float(), dim=-1)[0].cpu().numpy()
    predicted = int(probs.argmax())
    if categories is None or not method.class_discriminative:
        categories = [predicted]
    kwargs = dict(reshape_transform=reshape)
    if method.cls_name == 'AblationCAM' and reshape is not None:
        kwargs['ablation_layer'] = pytorch_grad_cam.AblationLayerVit()
    cam = getattr(pytorch_grad_cam, method.cls_name)(
        model=model, target_layers=[m for _, m in layers], **kwargs)
    try:
        with torch.enable_grad():
            if method.class_discriminative:
                batch = inputs.repeat(len(categories), 1, 1, 1)  # one row per category
                # gradients reach the target layer even when the layers before it are frozen
                batch.requires_grad_(True)
                targets = [ClassifierOutputTarget(int(c)) for c in categories]
            else:  # the maps do not depend on a target: one map
                batch, targets = inputs, None
            cams = cam(
                batch, targets=targets, eigen_smooth=eigen_smooth,
                aug_smooth=aug_smooth)  # (K, H, W)
        flat = [
            name for (name, _), act in zip(layers, cam.activations_and_grads.activations)
            if act.ndim == 4 and act.shape[-2] * act.shape[-1] == 1
        ]
        if flat:
            print_log(
                f'CAM target layer {", ".join(flat)} gives a 1x1 map for a '
                f'{inputs.shape[-2]}x{inputs.shape[-1]} input, so its CAM is blank; '
                'choose an earlier layer (e.g. backbone.layer3) or larger images',
                logger='current',
                level=logging.WARNING)
    finally:
        cam.activations_and_grads.release()
        if reshape is not None:
            reshape.release()
    return dict(
        cams=np.asarray(cams, dtype=np.float32),
        categories=[int(c) for c in categories],
        probs=probs,
        layers=[n for n, _ in layers],
        method=method)
