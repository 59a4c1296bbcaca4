"""The figure of SAR knowledge points: per image and model, the image, H, the regions and the KPs.

The knowledge points (KPs) are the cells whose entropy ``H`` lies more than ``b`` below the
image's mean over background cells (:mod:`sar_mm.models.explainers.knowledge_points`, whose
``KP_COLOURS``, SAR-HUB's palette, colour the overlay).
"""
import os.path as osp

import numpy as np

from .display import sar_to_display

#: RGB of the cell labels in the region column: background, target, shadow.
REGION_COLOURS = {0: (255, 255, 255), 1: (230, 140, 40), 2: (70, 110, 200)}
#: Domains :func:`~sar_mm.visualization.sar_to_display` shows; any other as amplitude.
_DOMAINS = ('db', 'amplitude', 'intensity')


def _upsample(cell_map, cell_size):
    """A cell map ``(gh, gw, ...)`` at pixel resolution, each cell a ``cell_size`` square."""
    return np.repeat(np.repeat(cell_map, cell_size, axis=0), cell_size, axis=1)


def draw_kp_figure(images, entropy_maps, cell_size, b, out_file, num_images=4):
    """Draw the knowledge points of several models on the same images.

    One row per (image, model), the models of an image together; four columns: the SAR image
    (dB and a percentile stretch, see :func:`~sar_mm.visualization.sar_to_display`), the entropy
    map ``H``, the region map and the KP overlay at threshold ``b`` (0.7 x the image + 0.3 x the
    KP colours) titled with the KP counts in target, shadow and background. A legend of the KP
    and region colours runs along the bottom.

    Args:
        images (Sequence[dict]): Per image ``path``, ``img`` ``(H, W, C)`` (the first channel is
            shown), ``domain`` and ``cell_labels`` ``(gh, gw)``, as from
            :func:`sar_mm.apis.kp_analysis.load_kp_images`.
        entropy_maps (dict[str, Sequence[np.ndarray]]): Per model name (the row label), the
            ``(gh, gw)`` entropy map of each image.
        cell_size (int): Side of a cell in pixels.
        b (float): Threshold of the KP overlay, in nats.
        out_file (str): Path of the PNG.
        num_images (int): How many of the images to show (the first ones). Defaults to 4.

    Raises:
        NoBackgroundCellsError: an image without a background cell.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from sar_mm.models.explainers import kp_colour_map, select_knowledge_points
    from sar_mm.models.explainers.knowledge_points import KP_COLOURS

    labels = list(entropy_maps)
    shown = list(range(min(num_images, len(images))))
    rows = len(shown) * len(labels)
    fig, axes = plt.subplots(rows, 4, figsize=(10.5, 2.6 * rows + 0.8), squeeze=False)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for n, i in enumerate(shown):
        im = images[i]
        domain = im['domain'] if im['domain'] in _DOMAINS else 'amplitude'
        grey = sar_to_display(im['img'][..., 0], domain=domain)
        cells = im['cell_labels']
        region_rgb = np.zeros(cells.shape + (3, ), np.uint8)
        for value, colour in REGION_COLOURS.items():
            region_rgb[cells == value] = colour
        for m, label in enumerate(labels):
            r = n * len(labels) + m
            h = entropy_maps[label][i]
            kp = select_knowledge_points(h, cells, b, im['path'])
            colours = _upsample(kp_colour_map(cells, kp), cell_size).astype(np.float64)
            overlay = 0.7 * np.repeat(grey[..., None], 3, axis=2) + 0.3 * colours
            axes[r, 0].imshow(grey, cmap='gray')
            axes[r, 0].set_ylabel(label, fontsize=9)
            axes[r, 0].set_title(osp.basename(im['path']), fontsize=8)
            e = axes[r, 1].imshow(_upsample(h, cell_size), cmap='viridis')
            fig.colorbar(e, ax=axes[r, 1], fraction=0.046, pad=0.02)
            axes[r, 1].set_title('entropy H (nats; low = KP)', fontsize=8)
            axes[r, 2].imshow(_upsample(region_rgb, cell_size))
            axes[r, 2].set_title('regions', fontsize=8)
            axes[r, 3].imshow(overlay.round().astype(np.uint8))
            kp_cells = cells[kp]
            axes[r, 3].set_title(
                f'KP b={b:g}: {int((kp_cells == 1).sum())} tgt, '
                f'{int((kp_cells == 2).sum())} sh, {int((kp_cells == 0).sum())} bg',
                fontsize=8)
    handles = [
        Patch(color=np.array(KP_COLOURS[k]) / 255, label=t)
        for k, t in (('kp_target', 'KP in target'), ('kp_shadow', 'KP in shadow'),
                     ('kp_background', 'KP in background'))
    ]
    handles += [
        Patch(color=np.array(REGION_COLOURS[v]) / 255, label=t, ec='k')
        for v, t in ((1, 'target region'), (2, 'shadow region'), (0, 'background region'))
    ]
    fig.legend(handles=handles, loc='lower center', ncol=6, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.5 / (2.6 * rows + 0.8), 1, 1))
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
