"""SAR inputs for OpenMMLab inferencers: the loading step, folder listing and display images.

OpenMMLab's inferencers read images with mmcv (8-bit, 3 channels), which turns 16-bit, float,
complex and MSTAR raw SAR data into the wrong numbers. Here the config's own ``LoadSARImage``
step (with its value-domain conversion) becomes the inferencer's loading step, so that an image
given by path goes through exactly the test pipeline of the config, and an array goes through the
same conversion without being written to disk.
"""
import copy
import os
import os.path as osp

import numpy as np
from mmengine.logging import print_log

from sar_mm.datasets.sar_classification import read_image_list
from sar_mm.datasets.transforms.loading import LoadSARImage
from sar_mm.fileio import SARFileError, supported_extensions
from sar_mm.fileio.mstar import PHOENIX_MAGIC, is_mstar_raw
from sar_mm.visualization import sar_to_display

# Loading steps a test pipeline may start with; LoadSARImage is used as configured, the others
# are swapped for it (see :func:`split_loading_step`).
_SAR_LOADERS = ('LoadSARImage', )
_MMCV_LOADERS = ('LoadImageFromFile', 'InferencerLoader', 'LoadImageFromNDArray')


class SARInferencerLoader(LoadSARImage):
    """``LoadSARImage`` that also takes what an inferencer is given: a path or an array.

    * a path (``str`` / ``os.PathLike``) or a dict with ``img_path``: read with
      :func:`sar_mm.fileio.read_sar` and converted exactly as ``LoadSARImage`` does;
    * an ``np.ndarray`` (or a dict with ``img``): taken as the raster a file would hold, i.e.
      values in ``file_kind`` (complex arrays are complex data), ``(H, W)`` or ``(H, W, C)``,
      and put through the same band selection, NaN/Inf handling and domain conversion.

    Not registered: inferencers put an instance of it in place of the config's loading step.

    Args:
        **kwargs: Arguments of :class:`sar_mm.datasets.transforms.LoadSARImage`.
    """

    def transform(self, results):
        if isinstance(results, (str, os.PathLike)):
            results = dict(img_path=os.fspath(results))
        elif isinstance(results, np.ndarray):
            results = dict(img=results)
        elif not isinstance(results, dict):
            raise TypeError(f'expected an image path, an np.ndarray or a dict, got '
                            f'{type(results).__name__}')
        if results.get('img') is None:
            return super().transform(results)
        return self._transform_array(results)

    def _transform_array(self, results):
        path = results.get('img_path') or '<array input>'
        raw = np.asarray(results['img'])
        if raw.ndim == 2:
            raw = raw[:, :, None]
        if raw.ndim != 3 or raw.shape[0] == 0 or raw.shape[1] == 0:
            raise SARFileError(
                path, f'expected a 2-D image or (H, W, C) bands, got shape '
                f'{raw.shape}')
        if not (np.issubdtype(raw.dtype, np.number) or raw.dtype == np.bool_):
            raise SARFileError(path, f'unsupported array dtype {raw.dtype}')
        array = (
            raw.astype(np.complex64, copy=False) if np.iscomplexobj(raw) else raw.astype(
                np.float32, copy=False))
        # LoadSARImage's own conversion of what read_sar returns.
        return self._put_raster(results, array, path, str(raw.dtype), raw.shape[2])


def step_type_name(step):
    """The class name of a pipeline step: a config dict's ``type`` (a name, maybe scoped as
    ``'mmpretrain.PackInputs'``, or a class) or a transform object's class."""
    kind = step.get('type') if isinstance(step, dict) else type(step).__name__
    if isinstance(kind, type):
        kind = kind.__name__
    return str(kind).split('.')[-1]


def find_test_pipeline(cfg):
    """The test pipeline of a config: ``test_dataloader.dataset.pipeline`` (following dataset
    wrappers' inner ``dataset``), else ``test_pipeline``; a deep copy."""
    dataset = cfg.get('test_dataloader', {}).get('dataset') if cfg.get('test_dataloader') \
        else None
    while dataset is not None and 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    pipeline = dataset.get('pipeline') if dataset is not None else None
    if pipeline is None:
        pipeline = cfg.get('test_pipeline')
    if not pipeline:
        raise ValueError(f'{getattr(cfg, "filename", None) or "the config"}: no test pipeline '
                         '(test_dataloader.dataset.pipeline or test_pipeline)')
    return [copy.deepcopy(dict(s)) if isinstance(s, dict) else s for s in pipeline]


def split_loading_step(pipeline, source='the config'):
    """Replace a test pipeline's loading step with a :class:`SARInferencerLoader`.

    ``LoadSARImage`` keeps its arguments, so inference converts exactly as testing does.
    mmcv's ``LoadImageFromFile`` (and mmdet's/mmseg's ``InferencerLoader``) becomes
    ``LoadSARImage(file_kind='amplitude', to='amplitude')``: the file's values unchanged, so an
    8-bit image gets the pixel values mmcv would give; ``color_type='color'`` (mmcv's default)
    repeats a single band to 3 channels as mmcv does for grey images. The swap is logged.

    Args:
        pipeline (list): Transforms (config dicts or objects), e.g. from
            :func:`find_test_pipeline`.
        source (str): Named in the error (e.g. the config file).

    Returns:
        tuple[SARInferencerLoader, list]: The loader and the pipeline with the loader in place of
        the loading step (config dicts of the other steps untouched).

    Raises:
        ValueError: the pipeline has no loading step.
    """
    names = [step_type_name(s) for s in pipeline]
    for index, name in enumerate(names):
        step = pipeline[index]
        if name in _SAR_LOADERS:
            args = {k: v for k, v in dict(step).items() if k != 'type'} \
                if isinstance(step, dict) else dict(
                    file_kind=step.file_kind, to=step.to, bands=step.bands,
                    db_floor=step.db_floor, repeat_to=step.repeat_to,
                    nonfinite=step.nonfinite, fill_value=step.fill_value)
            loader = SARInferencerLoader(**args)
            break
        if name in _MMCV_LOADERS:
            color = dict(step).get('color_type', 'color') if isinstance(step, dict) else 'color'
            repeat = 3 if color in ('color', 'color_ignore_orientation') else None
            loader = SARInferencerLoader(file_kind='amplitude', to='amplitude', repeat_to=repeat)
            print_log(
                f'{source}: the test pipeline loads images with {name}; using '
                f'{loader!r} instead so that 16-bit, float, complex and MSTAR files keep '
                'their values',
                logger='current')
            break
    else:
        raise ValueError(f'{source}: the test pipeline has no image loading step '
                         f'(LoadSARImage or LoadImageFromFile); its steps are {names}')
    return loader, pipeline[:index] + [loader] + pipeline[index + 1:]


def display_loader(loader):
    """A loader that reads what ``loader`` reads, in dB, for :func:`display_image`."""
    return SARInferencerLoader(
        file_kind=loader.file_kind,
        to='db',
        bands=loader.bands,
        db_floor=loader.db_floor,
        nonfinite='fill')


def display_image(source, loader):
    """An RGB uint8 picture of a SAR image: dB, percentile stretch, grey in 3 channels.

    Args:
        source (str | np.ndarray): Image path, or array as for :class:`SARInferencerLoader`.
        loader (SARInferencerLoader): The inferencer's loader (its ``file_kind`` and ``bands``).

    Returns:
        np.ndarray: (H, W, 3) uint8, the first selected band of the image.
    """
    img = display_loader(loader)(copy.copy(source) if isinstance(source, dict) else source)
    grey = sar_to_display(img['img'], domain='db')
    return np.repeat(grey[:, :, None], 3, axis=2)


def _is_mstar_file(path):
    try:
        with open(path, 'rb') as f:
            return is_mstar_raw(f.read(len(PHOENIX_MAGIC)))
    except OSError:
        return False


def list_sar_images(path):
    """The SAR images under ``path``, recursively, sorted; ``[path]`` when it is a file.

    A file is a SAR image when its extension is one :func:`sar_mm.fileio.read_sar` reads
    (:func:`sar_mm.fileio.supported_extensions`) or when it starts with an MSTAR Phoenix header
    (raw MSTAR chips have numeric extensions such as ``.015``). Hidden files and folders are
    skipped.

    Raises:
        FileNotFoundError: ``path`` does not exist, or a folder holds no SAR image.
    """
    path = os.fspath(path)
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such image file or folder')
    extensions = set(supported_extensions())
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for name in sorted(files):
            if name.startswith('.'):
                continue
            full = osp.join(root, name)
            if osp.splitext(name)[1].lower() in extensions or _is_mstar_file(full):
                found.append(full)
    if not found:
        raise FileNotFoundError(f'{path}: no SAR image in this folder or below (extensions '
                                f'{", ".join(sorted(extensions))}, or MSTAR Phoenix raw files)')
    return found


def list_sar_samples(source, data_root=None):
    """The images of a folder or of a list file, with the list's labels.

    A folder gives its SAR images (:func:`list_sar_images`: recursively, MSTAR raw files
    included) without labels; a file is read as a ``path [label]`` list
    (:func:`sar_mm.datasets.read_image_list`: the format of ``SARClassificationDataset``'s list
    files, the label optional).

    Args:
        source (str): A folder or a list file.
        data_root (str, optional): Root of a list file's relative paths. Defaults to the list
            file's folder.

    Returns:
        list[tuple[str, str | None]]: ``(image path, label field or None)``.

    Raises:
        FileNotFoundError: ``source`` does not exist, a folder holds no SAR image or a listed
            image is missing.
        ValueError: a list file that names no image or has a line that cannot be parsed.
    """
    source = os.fspath(source)
    if osp.isfile(source):
        return read_image_list(source, data_root)
    return [(path, None) for path in list_sar_images(source)]


def expand_inputs(inputs):
    """Inferencer inputs as a list: folders become their SAR images (:func:`list_sar_images`),
    files and arrays stay as they are."""
    if isinstance(inputs, (str, os.PathLike)):
        return list_sar_images(inputs)
    if isinstance(inputs, np.ndarray) or isinstance(inputs, dict):
        return [inputs]
    out = []
    for item in inputs:
        if isinstance(item, (str, os.PathLike)) and osp.isdir(item):
            out.extend(list_sar_images(item))
        else:
            out.append(os.fspath(item) if isinstance(item, os.PathLike) else item)
    return out


def output_names(inputs, suffix='.png'):
    """One file name per input for pictures and masks: the image's stem, made unique by
    appending ``_1``, ``_2``... (images of a folder tree may share names); arrays are numbered."""
    names, used = [], set()
    for i, item in enumerate(inputs):
        if isinstance(item, dict):
            item = item.get('img_path', item.get('img'))
        if isinstance(item, str):
            stem, ext = osp.splitext(osp.basename(item))
            if ext.lower() not in supported_extensions():  # MSTAR raw: keep 'HB03787.015'
                stem += ext
        else:
            stem = f'{i:08d}'
        name, k = stem, 0
        while name in used:
            k += 1
            name = f'{stem}_{k}'
        used.add(name)
        names.append(name + suffix)
    return names
