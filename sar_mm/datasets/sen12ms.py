"""SEN12MS and DFC2020: co-registered Sentinel-1 / Sentinel-2 patches, land-cover scene labels."""
import glob
import os.path as osp
import re

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

from sar_mm.fileio import read_sar
from .sar_classification import SARClassificationDataset

#: Sentinel-1 GRD dual-polarisation bands, in the order of SEN12MS / DFC2020 ``s1`` files.
S1_BANDS = ('VV', 'VH')

#: The 13 Sentinel-2 L1C bands, in the order of SEN12MS / DFC2020 ``s2`` files.
S2_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')

#: Resolution groups of the DFC2020 baseline (Schmitt et al., 2020): 10 m, 20 m and 60 m bands.
S2_BAND_GROUPS = {
    'hr': ('B2', 'B3', 'B4', 'B8'),
    'mr': ('B5', 'B6', 'B7', 'B8A', 'B11', 'B12'),
    'lr': ('B1', 'B9', 'B10'),
}
S2_BAND_GROUPS['all'] = S2_BANDS


def canonical_band(name):
    """``'B02'``/``'b2'`` -> ``'B2'``, ``'B8a'`` -> ``'B8A'``, ``'vv'`` -> ``'VV'``."""
    text = str(name).strip().upper()
    match = re.fullmatch(r'B0*(\d+)(A?)', text)
    return f'B{match.group(1)}{match.group(2)}' if match else text


def select_bands(spec, file_bands, groups=None, what='bands'):
    """Indices into ``file_bands`` of the bands named by ``spec``.

    Args:
        spec (str | Sequence[str]): Band names (``'B4'``, ``'B04'``, ``'VV'``) and/or group
            names (keys of ``groups``, e.g. ``'hr'``). Named bands keep the order given; when
            ``spec`` holds only groups, the bands are in file order (as the DFC2020 baseline
            reads them).
        file_bands (Sequence[str]): Bands of the file, in order.
        groups (dict, optional): Group name -> band names.
        what (str): What is selected, for error messages.

    Returns:
        tuple[int]: Band indices, without repeats.
    """
    groups = groups or {}
    items = [spec] if isinstance(spec, str) else list(spec)
    if not items:
        raise ValueError(f'{what}: select at least one band of {tuple(file_bands)}')
    names, only_groups = [], True
    for item in items:
        key = str(item).strip().lower()
        if key in groups:
            names.extend(groups[key])
        else:
            only_groups = False
            names.append(canonical_band(item))
    index = {b: i for i, b in enumerate(file_bands)}
    unknown = [n for n in names if n not in index]
    if unknown:
        raise ValueError(f'{what}: unknown band(s) {unknown}; expected names of '
                         f'{tuple(file_bands)}' + (f' or groups {tuple(groups)}' if groups else ''))
    picked = list(dict.fromkeys(index[n] for n in names))
    return tuple(sorted(picked) if only_groups else picked)


#: The 10 DFC2020 land-cover classes (label values 1..10 of the ``dfc`` masks; 0 is no data).
DFC2020_CLASSES = ('Forest', 'Shrubland', 'Savanna', 'Grassland', 'Wetlands', 'Croplands',
                   'Urban/Built-up', 'Snow/Ice', 'Barren', 'Water')
SAVANNA, SNOW_ICE = 3, 8

#: IGBP class (0..17, band 1 of the SEN12MS ``lc`` files) -> simplified DFC2020 class (1..10):
#: forests 1-5 -> 1, shrublands 6-7 -> 2, savannas 8-9 -> 3, grassland 10 -> 4, wetlands 11 -> 5,
#: croplands 12 and cropland/natural mosaic 14 -> 6, urban 13 -> 7, snow 15 -> 8, barren 16 -> 9,
#: water 17 -> 10 (the mapping of the DFC2020 baseline and of Schmitt et al. 2019).
IGBP_TO_DFC2020 = np.array([0, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 6, 8, 9, 10], np.int64)

IGNORE = 255
# <roi>_<sensor>_<scene>_p<patch>.tif, e.g. ROIs1158_spring_s2_1_p30.tif,
# ROIs0000_validation_s2_0_p0.tif
_PATCH = re.compile(r'(?P<roi>ROIs\d+_[A-Za-z0-9]+)_s2_(?P<scene>[^_]+)_p(?P<patch>\d+)\.tiff?')


def dfc2020_class_lut(no_savanna=False, no_snow_ice=False):
    """Look-up table DFC2020 value (0..10) -> zero-based class index, ``255`` = ignored.

    Returns:
        tuple[np.ndarray, tuple[str]]: The (11, ) table and the names of the kept classes.
    """
    removed = {SAVANNA} if no_savanna else set()
    if no_snow_ice:
        removed.add(SNOW_ICE)
    kept = [c for c in range(1, 11) if c not in removed]
    lut = np.full(11, IGNORE, np.int64)
    lut[kept] = np.arange(len(kept))
    return lut, tuple(DFC2020_CLASSES[c - 1] for c in kept)


def majority_label(mask, lut, path, igbp=False):
    """Zero-based majority class of a land-cover mask, or None when no pixel has a class.

    Args:
        mask (np.ndarray): (H, W) DFC2020 (0..10) or, with ``igbp``, IGBP (0..17) values.
        lut (np.ndarray): Table of :func:`dfc2020_class_lut`.
        path (str): The mask's file, for errors.
        igbp (bool): The mask holds IGBP classes, mapped with :data:`IGBP_TO_DFC2020` first.

    Pixels of no data (0) and of removed classes are not counted; ties go to the lower class.
    """
    counts = _class_counts(mask, lut, path, igbp)
    return int(counts.argmax()) if counts.sum() else None


def _class_counts(mask, lut, path, igbp):
    """Pixels of each kept class (zero-based) in ``mask``; a value outside the scheme is an
    error naming ``path``."""
    values = mask.astype(np.int64)
    table = IGBP_TO_DFC2020 if igbp else np.arange(11)
    bad = (values < 0) | (values >= len(table))
    if bad.any():
        raise ValueError(f'{path}: land-cover value {int(values[bad][0])} outside the '
                         f'{"IGBP classes 0..17" if igbp else "DFC2020 classes 0..10"}')
    classes = lut[table[values]]
    num = int(lut[lut != IGNORE].max()) + 1
    return np.bincount(classes[classes != IGNORE].ravel(), minlength=num)


def class_fractions(mask, lut, path, igbp=False):
    """Fraction of the mask's pixels in each kept class.

    The denominator is every pixel of the mask, no data and removed classes included, as the
    multi-label scene labels of SSLTransformerRS (pixel counts over the window size) and the
    IGBP class fractions of SEN12MS's own classification loader.

    Args:
        mask, lut, path, igbp: As :func:`majority_label`.

    Returns:
        np.ndarray: (number of kept classes, ) float64 fractions, summing to at most 1.
    """
    return _class_counts(mask, lut, path, igbp) / max(mask.size, 1)


def multi_label(mask, lut, path, igbp=False, threshold=0.1):
    """Zero-based classes covering at least ``threshold`` of a mask, or None when no pixel has
    a class.

    The multi-label scene label of SSLTransformerRS (``dfc_multilabel_one_hot``: the classes
    making up at least 10 % of a scene) and of SEN12MS's ``classification/dataset.py``
    (``label_type='multi_label'``, class fractions ``>= threshold``, default 0.1).

    Args:
        mask, lut, path, igbp: As :func:`majority_label`.
        threshold (float): Smallest fraction of the mask's pixels (see
            :func:`class_fractions`) a class must cover. Defaults to 0.1.

    Returns:
        list[int] | None: Sorted class indices (possibly empty when labelled pixels exist but
        no class reaches the threshold), or None when no pixel has a kept class.
    """
    fractions = class_fractions(mask, lut, path, igbp=igbp)
    if not fractions.any():
        return None
    return [int(c) for c in np.flatnonzero(fractions >= threshold)]


@DATASETS.register_module()
class SEN12MS(SARClassificationDataset):
    """SEN12MS Sentinel-1 + Sentinel-2 patch triplets, scene label = majority land-cover class.

    M. Schmitt, L. H. Hughes, C. Qiu, X. X. Zhu, "SEN12MS - a curated dataset of georeferenced
    multi-spectral Sentinel-1/2 imagery for deep learning and data fusion", ISPRS Annals 2019
    (arXiv:1906.07789). Scene-level labels as in the DFC2020 baseline (M. Schmitt et al.,
    "Weakly supervised semantic segmentation of satellite images for land cover mapping:
    challenges and opportunities", arXiv:2002.08254; github.com/lukasliebel/dfc2020_baseline)
    and its scene-classification use by Scheibenreif et al., "Self-supervised vision
    transformers for land-cover segmentation and classification", CVPRW 2022
    (SSLTransformerRS): the IGBP band of the ``lc`` mask is mapped to the 10 simplified DFC2020
    classes and the most frequent class is the label. With ``label_mode='multi'`` the label is
    the set of classes covering at least ``label_threshold`` of the mask (default 10 %), the
    multi-label targets of SSLTransformerRS (``dfc_multilabel_one_hot``) and of SEN12MS's own
    classification loader (``label_type='multi_label'``, ``threshold=0.1``).

    **Layout** (as the published SEN12MS release and the baseline's loader)::

        data_root/ROIs1158_spring/s1_1/ROIs1158_spring_s1_1_p30.tif   # 2 bands float32 dB
                                 /s2_1/ROIs1158_spring_s2_1_p30.tif   # 13 bands uint16
                                 /lc_1/ROIs1158_spring_lc_1_p30.tif   # 4 bands, band 1 IGBP
        data_root/ROIs1868_summer/..., ROIs1970_fall/..., ROIs2017_winter/...

    Every ``s2`` patch is a sample; its partners are found by replacing ``s2`` with ``s1`` /
    the label sensor in the folder and file names. A missing partner, a patch whose band count
    is not 2 (S1: VV, VH) or 13 (S2: B1..B12 with B8A) (checked on loading) and a mask value
    outside its classes are errors naming the file. Patches without a single labelled pixel
    (all no data or removed classes) are skipped with a warning.

    Each sample is the pair (S1, S2), stacked by ``LoadModalityPair`` (S1 channels first) with
    the selected bands: the dataset sets ``modality_bands`` and ``modality_band_counts`` that
    the loader applies and checks, and ``modality_channels`` of the model must be
    ``(len(s1_bands), len(s2_bands))`` (see :attr:`modality_channels`). Scaling (S1 dB clip,
    S2 reflectance) is the pipeline's ``S1DbClipScale`` / ``S2ReflectanceScale``.

    Args:
        subsets (Sequence[str], optional): ROI folders to use (e.g. ``('ROIs1158_spring',)``).
            Defaults to every ``ROIs*`` folder under the root.
        s1_bands (Sequence[str]): S1 bands by name (``'VV'``, ``'VH'``). Defaults to both.
        s2_bands (str | Sequence[str]): S2 bands by name (``'B4'``, ``'B08'``, ``'B8A'``) and/or
            resolution group: ``'hr'`` (B2, B3, B4, B8), ``'mr'`` (B5, B6, B7, B8A, B11, B12),
            ``'lr'`` (B1, B9, B10), ``'all'``. Groups alone give file order, as the baseline;
            names keep their order. Defaults to ``'all'`` (13 bands).
        no_savanna (bool): Drop the class Savanna (its pixels are ignored, later classes move
            down: 9 classes), the option of the DFC2020 baseline. Defaults to False.
        no_snow_ice (bool): Also drop Snow/Ice, absent from the DFC2020 validation/test data;
            with ``no_savanna`` the 8-class scheme of SSLTransformerRS. Defaults to False.
        label_source (str): ``'igbp'`` (band 1 of the ``lc`` masks, mapped to DFC2020 classes)
            or ``'dfc'`` (the ``dfc`` masks of DFC2020, already in its classes).
            Defaults to ``'igbp'``.
        label_mode (str): ``'single'``: ``gt_label`` is the majority class (an int).
            ``'multi'``: ``gt_label`` is the sorted list of classes covering at least
            ``label_threshold`` of the mask, as mmpretrain's ``MultiLabelDataset`` (for
            ``MultiLabelLinearClsHead`` and ``MultiLabelMetric``); the fraction is over all
            pixels of the patch, no data and removed classes (``no_savanna``, ``no_snow_ice``)
            included, so removed classes never appear; a patch whose labelled pixels reach the
            threshold in no class keeps an empty set (an all-zero target, as SSLTransformerRS);
            :meth:`get_gt_labels` gives the (N, classes) one-hot matrix. ``num_shots`` needs
            single labels. Defaults to ``'single'``.
        label_threshold (float): The fraction of ``label_mode='multi'``, in (0, 1].
            Defaults to 0.1.
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``,
            ``data_prefix``, ``pipeline``, ``num_shots``, ``seed``, ``fewshot_split``, ...);
            ``metainfo`` classes, when given, must match the scheme's number of classes.
    """

    DEFAULT_LABEL_SOURCE = 'igbp'

    def __init__(self,
                 *args,
                 subsets=None,
                 s1_bands=S1_BANDS,
                 s2_bands='all',
                 no_savanna=False,
                 no_snow_ice=False,
                 label_source=None,
                 label_mode='single',
                 label_threshold=0.1,
                 metainfo=None,
                 **kwargs):
        label_source = label_source or self.DEFAULT_LABEL_SOURCE
        name = type(self).__name__
        if label_source not in ('igbp', 'dfc'):
            raise ValueError(f"{name}: label_source must be 'igbp' or 'dfc', "
                             f'got {label_source!r}')
        if label_mode not in ('single', 'multi'):
            raise ValueError(f"{name}: label_mode must be 'single' or 'multi', got {label_mode!r}")
        if not 0 < float(label_threshold) <= 1:
            raise ValueError(f'{name}: label_threshold must be in (0, 1], got {label_threshold!r}')
        if label_mode == 'multi' and kwargs.get('num_shots') is not None:
            raise ValueError(f"{name}: num_shots draws per-class shots of single labels; it "
                             "cannot be used with label_mode='multi'")
        self.label_mode = label_mode
        self.label_threshold = float(label_threshold)
        self.subsets = None if subsets is None else tuple(
            [subsets] if isinstance(subsets, str) else subsets)
        self.s1_band_indices = select_bands(s1_bands, S1_BANDS, what=f'{name} s1_bands')
        self.s2_band_indices = select_bands(
            s2_bands, S2_BANDS, S2_BAND_GROUPS, what=f'{name} s2_bands')
        self.label_source = label_source
        self.lut, classes = dfc2020_class_lut(no_savanna, no_snow_ice)
        metainfo = dict(metainfo or {})
        given = metainfo.get('classes')
        if given is not None and len(given) != len(classes):
            raise ValueError(f'{name}: metainfo has {len(given)} classes but the scheme '
                             f'(no_savanna={no_savanna}, no_snow_ice={no_snow_ice}) has '
                             f'{len(classes)}: {classes}')
        metainfo.setdefault('classes', classes)
        super().__init__(*args, metainfo=metainfo, **kwargs)

    def get_cat_ids(self, idx):
        """Classes of sample ``idx``: ``[label]``, or the label set with ``label_mode='multi'``."""
        if self.label_mode == 'multi':
            return list(self.get_data_info(idx)['gt_label'])
        return super().get_cat_ids(idx)

    def get_gt_labels(self):
        """(N, ) class indices, or with ``label_mode='multi'`` the (N, classes) one-hot
        ``int64`` matrix of the label sets."""
        if self.label_mode != 'multi':
            return super().get_gt_labels()
        onehot = np.zeros((len(self), len(self.CLASSES)), np.int64)
        for i in range(len(self)):
            onehot[i, self.get_data_info(i)['gt_label']] = 1
        return onehot

    @property
    def s1_band_names(self):
        return tuple(S1_BANDS[i] for i in self.s1_band_indices)

    @property
    def s2_band_names(self):
        return tuple(S2_BANDS[i] for i in self.s2_band_indices)

    @property
    def modality_channels(self):
        """``(S1 channels, S2 channels)`` of the stacked pair, for the model's config."""
        return (len(self.s1_band_indices), len(self.s2_band_indices))

    def _s2_patches(self, root):
        pattern = osp.join(root, 'ROIs*', 's2_*', '*.tif')
        paths = sorted(glob.glob(pattern)) + sorted(glob.glob(pattern + 'f'))
        if self.subsets is not None:
            found = {osp.basename(osp.dirname(osp.dirname(p))) for p in paths}
            missing = [s for s in self.subsets if s not in found]
            if missing:
                raise FileNotFoundError(f'{type(self).__name__}: no s2 patches under '
                                        f'{osp.join(root, missing[0])}/s2_*/ (subsets '
                                        f'{self.subsets}; found {sorted(found) or "none"})')
            paths = [p for p in paths if osp.basename(osp.dirname(osp.dirname(p))) in self.subsets]
        return paths

    @staticmethod
    def _partner(s2_path, sensor):
        """Path of the ``sensor`` patch beside an ``s2`` patch (folder and file renamed)."""
        folder, name = osp.split(s2_path)
        roi_dir, scene_dir = osp.split(folder)
        return osp.join(roi_dir, sensor + scene_dir[len('s2'):],
                        name.replace('_s2_', f'_{sensor}_', 1))

    def load_data_list(self):
        root = self.img_prefix
        if not osp.isdir(root):
            raise FileNotFoundError(f'{type(self).__name__}: data root not found: {root!r}')
        s2_paths = self._s2_patches(root)
        if not s2_paths:
            raise ValueError(f'{type(self).__name__}: no samples found: no '
                             f'ROIs*/s2_*/*.tif under {root!r}')
        label_sensor = 'lc' if self.label_source == 'igbp' else 'dfc'
        counts = (len(S1_BANDS), len(S2_BANDS))
        bands = (self.s1_band_indices, self.s2_band_indices)
        data_list, unlabelled = [], []
        for s2 in s2_paths:
            if not _PATCH.fullmatch(osp.basename(s2)):
                raise ValueError(f'{s2}: not a SEN12MS/DFC2020 patch name '
                                 '(<ROIsNNNN_season>_s2_<scene>_p<N>.tif)')
            s1, mask_path = self._partner(s2, 's1'), self._partner(s2, label_sensor)
            for partner, what in ((s1, 'Sentinel-1'), (mask_path, f'{label_sensor} mask')):
                if not osp.isfile(partner):
                    raise FileNotFoundError(f'{s2}: missing partner file ({what}): {partner}')
            mask = read_sar(mask_path)[0][:, :, 0]  # IGBP is band 1 of the 4-band lc files
            igbp = self.label_source == 'igbp'
            if self.label_mode == 'multi':
                label = multi_label(mask, self.lut, mask_path, igbp, self.label_threshold)
            else:
                label = majority_label(mask, self.lut, mask_path, igbp=igbp)
            if label is None:
                unlabelled.append(mask_path)
                continue
            data_list.append(
                dict(
                    img_path=s2,
                    img_paths=(s1, s2),
                    mask_path=mask_path,
                    gt_label=label,
                    modality_bands=bands,
                    modality_band_counts=counts))
        if unlabelled:
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__}: skipped {len(unlabelled)} patches without labelled '
                f'pixels (e.g. {unlabelled[0]})')
        if not data_list:
            raise ValueError(f'{type(self).__name__}: no labelled patches under {root!r}')
        return self._apply_few_shot(data_list)


@DATASETS.register_module()
class DFC2020(SEN12MS):
    """DFC2020 (IEEE GRSS Data Fusion Contest 2020): S1 + S2 patches with 10 m land-cover masks.

    The SEN12MS extension of the contest: 986 validation and 5128 test patches of 256 x 256
    pixels with hand-made high-resolution DFC labels (Schmitt et al., arXiv:2002.08254; the
    baseline loader github.com/lukasliebel/dfc2020_baseline). Scene label: the majority class
    of the ``dfc`` mask, used for scene classification by SSLTransformerRS and by the
    multi-modal SupCon study of github.com/bakiuzun/SupCon_SSL. Layout::

        data_root/ROIs0000_validation/s1_validation/ROIs0000_validation_s1_0_p0.tif
                                     /s2_validation/ROIs0000_validation_s2_0_p0.tif
                                     /dfc_validation/ROIs0000_validation_dfc_0_p0.tif
        data_root/ROIs0000_test/s1_0/ROIs0000_test_s1_0_p0.tif, s2_0/..., dfc_0/...

    Everything else, arguments included, is :class:`SEN12MS` with ``label_source='dfc'``
    (``'igbp'`` uses the low-resolution ``lc_*`` masks shipped beside them).

    Args:
        **kwargs: Arguments of :class:`SEN12MS` (``subsets``, e.g.
            ``('ROIs0000_validation', )``, ``s1_bands``, ``s2_bands``, ``no_savanna``,
            ``no_snow_ice``, ``label_source``, ...).
    """

    DEFAULT_LABEL_SOURCE = 'dfc'
