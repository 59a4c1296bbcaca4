"""The figure of CAMs over SAR pictures: one row per model, one column per (image, class).

Fixed cell sizes (:data:`CELL_PX`, :data:`LEFT_PX`, :data:`TOP_PX` at :data:`DPI`), so a grid's
size in pixels is known before drawing (:func:`grid_size_px`). The maps come from
:func:`sar_mm.apis.cam.compute_cams`; the blend is ``pytorch_grad_cam``'s ``show_cam_on_image``
(Grad-CAM: R. R. Selvaraju et al., "Grad-CAM: Visual explanations from deep networks via
gradient-based localization", ICCV 2017).
"""

# Figure layout in pixels (at DPI dots per inch): each cell is CELL_PX square; LEFT_PX holds the
# row labels and TOP_PX the column titles. A grid of R rows and C columns is exactly
# (LEFT_PX + C * CELL_PX) x (TOP_PX + R * CELL_PX) pixels.
CELL_PX = 180
LEFT_PX = 36
TOP_PX = 52
DPI = 100


def grid_size_px(rows, cols):
    """(width, height) in pixels of a :func:`draw_cam_grid` figure."""
    return LEFT_PX + cols * CELL_PX, TOP_PX + rows * CELL_PX


def draw_cam_grid(pictures, cams, row_labels, col_titles, notes, out_file, image_weight=0.5):
    """Draw CAMs over SAR pictures: one row per model, one column per (image, class).

    Args:
        pictures (list[np.ndarray]): Per column, the RGB float (H, W, 3) picture in [0, 1].
        cams (list[list[np.ndarray]]): ``cams[row][col]``, (H, W) maps in [0, 1].
        row_labels (list[str]): One per row (the models).
        col_titles (list[str]): One per column (image name, method and class).
        notes (list[list[str]]): ``notes[row][col]``, written in the cell (probabilities).
        out_file (str): PNG path; the figure is exactly :func:`grid_size_px` pixels.
        image_weight (float): Weight of the picture in the blend (``pytorch_grad_cam``'s
            ``show_cam_on_image``).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from pytorch_grad_cam.utils.image import show_cam_on_image

    rows, cols = len(row_labels), len(col_titles)
    if len(pictures) != cols or len(cams) != rows or len(notes) != rows or any(
            len(row) != cols for row in list(cams) + list(notes)):
        raise ValueError(f'draw_cam_grid: {rows} row labels and {cols} column titles need '
                         f'{cols} pictures and {rows} x {cols} cams and notes; got '
                         f'{len(pictures)} pictures, cams rows of {[len(r) for r in cams]}, '
                         f'notes rows of {[len(r) for r in notes]}')
    width, height = grid_size_px(rows, cols)
    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    for r in range(rows):
        y0 = (height - TOP_PX - (r + 1) * CELL_PX) / height
        fig.text(
            LEFT_PX / 2 / width,
            y0 + CELL_PX / 2 / height,
            row_labels[r],
            rotation=90,
            ha='center',
            va='center',
            fontsize=8)
        for c in range(cols):
            ax = fig.add_axes([(LEFT_PX + c * CELL_PX) / width, y0, CELL_PX / width,
                               CELL_PX / height])
            overlay = show_cam_on_image(
                pictures[c], cams[r][c], use_rgb=True, image_weight=image_weight)
            ax.imshow(overlay, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if notes[r][c]:
                ax.text(
                    0.02,
                    0.02,
                    notes[r][c],
                    transform=ax.transAxes,
                    fontsize=7,
                    color='white',
                    va='bottom',
                    ha='left',
                    bbox=dict(facecolor='black', alpha=0.55, pad=1.5, linewidth=0))
            if r == 0:
                fig.text(
                    (LEFT_PX + (c + 0.5) * CELL_PX) / width,
                    1 - TOP_PX / 2 / height,
                    col_titles[c],
                    ha='center',
                    va='center',
                    fontsize=7.5,
                    wrap=True)
    fig.savefig(out_file, dpi=DPI)
    plt.close(fig)
