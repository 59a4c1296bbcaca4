"""Draw detection / segmentation results on SAR images shown with SAR display scaling.

mmdet's ``DetVisualizationHook`` and mmseg's ``SegVisualizationHook`` read the image to draw on
with ``mmcv.imfrombytes``: a float32 TIFF scene fails to decode or comes out garbled, and a
16-bit amplitude image shows as a black picture with a few white dots. The hooks here read the
file with :func:`sar_mm.fileio.read_sar` and show it in dB with a percentile stretch
(:func:`sar_mm.visualization.sar_to_display`), then let mmdet's ``DetLocalVisualizer`` /
mmseg's ``SegLocalVisualizer`` draw as usual. ``tools/test.py CONFIG CKPT --show-dir DIR`` sets
them up (:func:`enable_show_dir`).
"""
import os.path as osp

import numpy as np
from mmdet.engine.hooks import DetVisualizationHook
from mmdet.registry import HOOKS as DET_HOOKS
from mmengine.utils import mkdir_or_exist
from mmseg.engine.hooks import SegVisualizationHook
from mmseg.registry import HOOKS as SEG_HOOKS

from sar_mm.fileio import read_sar
from sar_mm.visualization import sar_to_display

_FILE_KINDS = ('amplitude', 'intensity', 'db')


def read_sar_for_display(path, file_kind='amplitude', low=1.0, high=99.0):
    """An ``(H, W, 3)`` uint8 RGB rendering of a SAR file to draw results on.

    8-bit files (the JPEG/PNG releases of SSDD, HRSID, LS-SSDD) are already renderings and are
    shown as stored; any other real file (16-bit, float, ...) is converted to dB from the value
    domain ``file_kind`` and stretched between its ``low`` and ``high`` percentiles; complex data
    is shown by its magnitude. Only the first band is shown (as grey) unless an 8-bit file has
    3 bands.

    Args:
        path (str): Image file (any format ``read_sar`` reads).
        file_kind (str): What real non-8-bit files hold: ``'amplitude'`` (default),
            ``'intensity'`` or ``'db'``.
        low (float): Percentile shown black. Defaults to 1.
        high (float): Percentile shown white. Defaults to 99.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8.
    """
    array, meta = read_sar(path)  # (H, W, C) float32 / complex64
    if np.iscomplexobj(array):
        grey = sar_to_display(np.abs(array[..., 0]), 'amplitude', low, high)
    elif meta['dtype'] == 'uint8':
        if array.shape[2] == 3:
            return array.astype(np.uint8)
        grey = array[..., 0].astype(np.uint8)
    else:
        grey = sar_to_display(array[..., 0], file_kind, low, high)  # (H, W) uint8
    return np.repeat(grey[..., None], 3, axis=2)


def _check_display_args(file_kind, low, high):
    if file_kind not in _FILE_KINDS:
        raise ValueError(f'file_kind must be one of {_FILE_KINDS}, got {file_kind!r}')
    if not 0 <= low < high <= 100:
        raise ValueError(f'need 0 <= low < high <= 100 (percentiles), got {low}, {high}')


def _png_path(out_dir, img_path):
    return osp.join(out_dir, osp.splitext(osp.basename(img_path))[0] + '.png')


@DET_HOOKS.register_module()
class SARDetVisualizationHook(DetVisualizationHook):
    """Draw predicted and ground-truth boxes on SAR images with SAR display scaling (mmdet).

    mmdet's ``DetVisualizationHook``, except that images are read with ``read_sar`` and shown
    by :func:`read_sar_for_display` (dB with a percentile stretch for 16-bit and float data), and
    that test pictures are written as ``<test_out_dir>/<image name>.png`` (mmdet keeps the
    image's extension, which would write float scenes as TIFF). ``DetLocalVisualizer`` draws the
    ground truth (left) and the predictions above ``score_thr`` (right) side by side. Local
    files only.

    Args:
        file_kind (str): Value domain of the (non-8-bit) image files: ``'amplitude'``
            (default), ``'intensity'`` or ``'db'``.
        low (float): Display percentile shown black. Defaults to 1.
        high (float): Display percentile shown white. Defaults to 99.
        **kwargs: Arguments of ``DetVisualizationHook`` (``draw``, ``interval``,
            ``score_thr``, ``show``, ``wait_time``, ``test_out_dir``; an absolute
            ``test_out_dir`` is used as it is, a relative one under
            ``<work_dir>/<timestamp>/``).
    """

    def __init__(self, file_kind='amplitude', low=1.0, high=99.0, **kwargs):
        _check_display_args(file_kind, low, high)
        super().__init__(**kwargs)
        self.file_kind, self.low, self.high = file_kind, low, high
        self._out_dir = None

    def _image(self, path):
        return read_sar_for_display(path, self.file_kind, self.low, self.high)

    def after_val_iter(self, runner, batch_idx, data_batch, outputs):
        """Send the first picture of every ``interval``-th validation batch to the backends."""
        if self.draw is False:
            return
        step = runner.iter + batch_idx
        if step % self.interval == 0:
            path = outputs[0].img_path
            self._visualizer.add_datasample(
                osp.basename(path) if self.show else 'val_img',
                self._image(path),
                data_sample=outputs[0],
                show=self.show,
                wait_time=self.wait_time,
                pred_score_thr=self.score_thr,
                step=step)

    def after_test_iter(self, runner, batch_idx, data_batch, outputs):
        """Draw every test image; write it to ``test_out_dir`` as PNG when that is set."""
        if self.draw is False:
            return
        if self.test_out_dir is not None and self._out_dir is None:
            self._out_dir = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)
            mkdir_or_exist(self._out_dir)
        for sample in outputs:
            self._test_index += 1
            path = sample.img_path
            self._visualizer.add_datasample(
                osp.basename(path) if self.show else 'test_img',
                self._image(path),
                data_sample=sample,
                show=self.show,
                wait_time=self.wait_time,
                pred_score_thr=self.score_thr,
                out_file=_png_path(self._out_dir, path) if self._out_dir else None,
                step=self._test_index)


@SEG_HOOKS.register_module()
class SARSegVisualizationHook(SegVisualizationHook):
    """Draw true and predicted masks on SAR images with SAR display scaling (mmseg).

    mmseg's ``SegVisualizationHook`` with images read by ``read_sar`` and shown by
    :func:`read_sar_for_display`; in testing, with ``test_out_dir`` set, every image is written
    as ``<test_out_dir>/<image name>.png`` (ground truth left, prediction right), otherwise
    pictures go to the visualizer's backends every ``interval`` iterations as in mmseg.
    Local files only.

    Args:
        file_kind (str): Value domain of the (non-8-bit) image files: ``'amplitude'``
            (default), ``'intensity'`` or ``'db'``.
        low (float): Display percentile shown black. Defaults to 1.
        high (float): Display percentile shown white. Defaults to 99.
        test_out_dir (str, optional): Folder for the test pictures; absolute, or relative to
            ``<work_dir>/<timestamp>/``. Defaults to None.
        **kwargs: Arguments of ``SegVisualizationHook`` (``draw``, ``interval``, ``show``,
            ``wait_time``).
    """

    def __init__(self, file_kind='amplitude', low=1.0, high=99.0, test_out_dir=None, **kwargs):
        _check_display_args(file_kind, low, high)
        super().__init__(**kwargs)
        self.file_kind, self.low, self.high = file_kind, low, high
        self.test_out_dir = test_out_dir
        self._out_dir = None

    def _after_iter(self, runner, batch_idx, data_batch, outputs, mode='val'):
        if self.draw is False or mode == 'train':
            return
        if mode == 'test' and self.test_out_dir is not None:
            if self._out_dir is None:
                self._out_dir = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)
                mkdir_or_exist(self._out_dir)
            for sample in outputs:
                path = sample.img_path
                self._visualizer.add_datasample(
                    f'{mode}_{osp.basename(path)}',
                    read_sar_for_display(path, self.file_kind, self.low, self.high),
                    data_sample=sample,
                    show=self.show,
                    wait_time=self.wait_time,
                    out_file=_png_path(self._out_dir, path),
                    step=runner.iter)
            return
        if self.every_n_inner_iters(batch_idx, self.interval):
            for sample in outputs:
                path = sample.img_path
                self._visualizer.add_datasample(
                    f'{mode}_{osp.basename(path)}',
                    read_sar_for_display(path, self.file_kind, self.low, self.high),
                    data_sample=sample,
                    show=self.show,
                    wait_time=self.wait_time,
                    step=runner.iter)


# hook type each codebase's test-time drawing uses, by the config's default_scope
_SHOW_HOOKS = dict(mmdet='SARDetVisualizationHook', mmseg='SARSegVisualizationHook')


def enable_show_dir(cfg, show_dir, score_thr=0.3):
    """Make a test run draw its results on the SAR images into ``show_dir`` (one PNG each).

    Replaces the config's ``default_hooks.visualization`` by the SAR hook of its codebase
    (``default_scope`` mmdet or mmseg), keeping the old hook's display settings that the SAR
    hook understands (``file_kind``, ``low``, ``high``, ``interval``) when it was a SAR hook.

    Args:
        cfg (mmengine.Config): The test config (changed in place).
        show_dir (str): Output folder (made absolute, created if needed).
        score_thr (float): Detections below this score are not drawn (mmdet). Defaults to 0.3.

    Raises:
        ValueError: the config is not an mmdet or mmseg config.
    """
    scope = cfg.get('default_scope')
    if scope not in _SHOW_HOOKS:
        raise ValueError(f'--show-dir draws detection (mmdet) and segmentation (mmseg) results; '
                         f'{cfg.filename} is a {scope!r} config')
    old = dict(cfg.get('default_hooks', {}).get('visualization') or {})
    hook = dict(type=_SHOW_HOOKS[scope], draw=True, test_out_dir=osp.abspath(show_dir))
    if old.get('type') == _SHOW_HOOKS[scope]:
        hook.update({k: old[k] for k in ('file_kind', 'low', 'high', 'interval') if k in old})
    if scope == 'mmdet':
        hook['score_thr'] = score_thr
    cfg.setdefault('default_hooks', {})
    cfg.default_hooks['visualization'] = hook
    mkdir_or_exist(osp.abspath(show_dir))
