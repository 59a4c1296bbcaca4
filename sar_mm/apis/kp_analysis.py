"""Knowledge points of trained classifiers on SAR image files: the inputs and the entropy maps.

What ``tools/analysis_tools/explain_kp.py`` runs, as :mod:`sar_mm.apis.cam` is for
``tools/visualization/vis_sar_cam.py``: :func:`load_kp_images` puts the images through the test
pipeline of the explained classifier's config and labels their cells target, shadow or
background; :func:`explain_images` runs an explainer of :mod:`sar_mm.models.explainers` (e.g.
from :func:`~sar_mm.models.explainers.build_kp_explainer`) over them and counts the knowledge
points of each image.
"""
import sys

import mmengine
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope

from sar_mm.datasets.transforms.foreground import SARTargetShadowRegions, cell_labels, center_crop
from sar_mm.evaluation.metrics.sar_kp import aggregate_kp_counts
from sar_mm.models.explainers import (DEFAULT_THRESHOLDS, NoBackgroundCellsError, check_cell_grid,
                                      count_knowledge_points)
from .sar_inputs import find_test_pipeline, split_loading_step, step_type_name

#: Pipeline steps whose output is already compressed for viewing: such images are shown with a
#: plain percentile stretch, without a dB conversion.
TONE_MAPPINGS = ('DRAAToneMapping', 'DRAAPercentileTruncation', 'SARLogNormalize')


def build_kp_input_pipeline(cfg):
    """The test pipeline of a classifier config up to (without) its Pack step.

    The pipeline is :func:`~.sar_inputs.find_test_pipeline`'s with the loading step made a SAR
    loader by :func:`~.sar_inputs.split_loading_step`; it is built in the config's default scope.

    Args:
        cfg (Config): The explained classifier's config.

    Returns:
        Compose: Transforms from ``dict(img_path=...)`` to the image the data preprocessor gets.
    """
    source = getattr(cfg, 'filename', None) or 'the config'
    _, steps = split_loading_step(find_test_pipeline(cfg), source)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        return Compose([s for s in steps if not step_type_name(s).startswith('Pack')])


def load_kp_images(items, cfg, cell_size, crop=None, masks=None, boxes=None, heuristic=None):
    """Load the images to explain as the classifier sees them, with their labelled cells.

    Each image goes through :func:`build_kp_input_pipeline`, is centre-cropped to ``crop`` and
    must tile into cells of ``cell_size``. Its target/shadow region map comes from ``masks``,
    ``boxes`` or SAR-HUB's MSTAR heuristic
    (:class:`~sar_mm.datasets.transforms.foreground.SARTargetShadowRegions`) and gives the cell
    labels (:func:`~sar_mm.datasets.transforms.foreground.cell_labels`: target > shadow >
    background). Every image is checked to have a background cell, the reference of the KP
    rule, before any model runs.

    Args:
        items (Sequence[tuple[str, Any]]): ``(image path, label)`` pairs, e.g. from
            :func:`~.sar_inputs.list_sar_samples`.
        cfg (Config): The explained classifier's config (test pipeline, default scope).
        cell_size (int): Side of a cell in pixels.
        crop (int, optional): Size of a centre crop after the pipeline. Defaults to None.
        masks (str, optional): Folder of region maps ``<image stem>.png`` (0 background,
            1 target, 2 shadow).
        boxes (str, optional): JSON file ``{image name: {"target": [[x0, y0, x1, y1], ...],
            "shadow": [...]}}``. Masks and boxes are in the original image's coordinates.
        heuristic (dict, optional): Options of
            :func:`~sar_mm.datasets.transforms.foreground.mstar_target_shadow_masks`, used when
            neither ``masks`` nor ``boxes`` is given.

    Returns:
        list[dict]: Per image: ``path``, ``label``, ``img`` ``(H, W, C)``, ``region``
        ``(H, W)``, ``cell_labels`` ``(H / cell_size, W / cell_size)`` and ``domain`` (the
        value domain to display ``img`` in, for
        :func:`~sar_mm.visualization.sar_to_display`).

    Raises:
        ValueError: an image smaller than ``crop``, resized by the pipeline while ``masks`` or
            ``boxes`` are given, or whose size is not a multiple of ``cell_size``.
        NoBackgroundCellsError: an image without a background cell.
    """
    if masks and boxes:
        raise ValueError('give masks or boxes, not both')
    pipeline = build_kp_input_pipeline(cfg)
    tone_mapped = any(type(t).__name__ in TONE_MAPPINGS for t in pipeline.transforms)
    if masks:
        regions = SARTargetShadowRegions('mask_file', mask_dir=masks)
    elif boxes:
        regions = SARTargetShadowRegions('boxes', boxes=boxes)
    else:
        regions = SARTargetShadowRegions('mstar', heuristic=heuristic)
    images = []
    for path, label in items:
        results = pipeline(dict(img_path=path))
        img = results['img']
        img = img[..., None] if img.ndim == 2 else img
        if crop:
            if min(img.shape[:2]) < crop:
                raise ValueError(f'{path}: image {img.shape[0]}x{img.shape[1]} is smaller than '
                                 f'the crop {crop}')
            img = center_crop(img, (crop, crop))
        scale = results.get('scale_factor')
        if (masks or boxes) and scale is not None and not np.allclose(scale, 1):
            raise ValueError(f'{path}: the pipeline resizes the image (scale {scale}); masks and '
                             'boxes are given in original coordinates and only centre crops are '
                             'supported')
        check_cell_grid(img.shape[0], img.shape[1], cell_size,
                        f'{path} (after the pipeline{" and the crop" if crop else ""})')
        region = regions.region_for(path, img, results.get('ori_shape'))
        # a tone-mapped image is already compressed for viewing: a plain percentile stretch
        domain = 'db' if tone_mapped else results.get('sar_meta', {}).get('domain', 'amplitude')
        images.append(
            dict(
                path=path,
                label=label,
                img=np.ascontiguousarray(img),
                region=region,
                cell_labels=cell_labels(region, cell_size),
                domain=domain))
    for image in images:
        labels = image['cell_labels']
        if not (labels == 0).any():
            raise NoBackgroundCellsError(
                f'{image["path"]}: no background cell among the {labels.size} cells of '
                f'{cell_size} px, so mean(H over background) is undefined; give smaller '
                'masks or boxes, a larger crop or a smaller cell size')
    return images


def compute_entropy_maps(model, images, batch_size=8, device='cpu'):
    """Cell entropies ``H`` of every image, in batches of images of equal size.

    Args:
        model (BaseKPExplainer): The explainer (its data preprocessor normalises the images).
        images (Sequence[dict]): Images with an ``img`` ``(H, W, C)`` array, e.g. from
            :func:`load_kp_images`.
        batch_size (int): Most images per batch. Defaults to 8.
        device (str | torch.device): Where ``model`` is. Defaults to ``'cpu'``.

    Returns:
        list[np.ndarray]: ``(H / cell, W / cell)`` float maps, one per image, in order.
    """
    maps = [None] * len(images)
    bar = mmengine.ProgressBar(len(images))
    i = 0
    while i < len(images):
        j = i + 1
        while j < len(images) and j - i < batch_size and \
                images[j]['img'].shape == images[i]['img'].shape:
            j += 1
        batch = [torch.from_numpy(im['img']).permute(2, 0, 1).contiguous() for im in images[i:j]]
        data = model.data_preprocessor(dict(inputs=batch), False)
        with torch.no_grad():
            entropy = model.entropy_map(data['inputs'].to(device))
        for k in range(i, j):
            maps[k] = entropy[k - i].float().cpu().numpy()
            bar.update()
        i = j
    sys.stdout.write('\n')
    return maps


def explain_images(model, images, thresholds=DEFAULT_THRESHOLDS, batch_size=8, device='cpu'):
    """The entropy maps of one explainer on the images and the knowledge points they give.

    Args:
        model (BaseKPExplainer): The explainer.
        images (Sequence[dict]): Images from :func:`load_kp_images` (``img``, ``path``,
            ``cell_labels``).
        thresholds (Sequence[float]): The values of ``b`` to count KPs at.
        batch_size (int): Most images per batch. Defaults to 8.
        device (str | torch.device): Where ``model`` is. Defaults to ``'cpu'``.

    Returns:
        tuple[list, list, dict]: The maps (:func:`compute_entropy_maps`), ``(image path,
        counts)`` per image (:func:`~sar_mm.models.explainers.count_knowledge_points`) and
        their averages (:func:`~sar_mm.evaluation.metrics.aggregate_kp_counts`).
    """
    maps = compute_entropy_maps(model, images, batch_size, device)
    per_image = [(im['path'], count_knowledge_points(h, im['cell_labels'], thresholds, im['path']))
                 for im, h in zip(images, maps)]
    return maps, per_image, aggregate_kp_counts([c for _, c in per_image], thresholds)
