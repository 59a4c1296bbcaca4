"""METER-ML: Sentinel-1 + Sentinel-2 image pairs of methane-emitting sites, 7 source classes."""
import json
import os.path as osp

from mmpretrain.registry import DATASETS

from .sar_classification import SARClassificationDataset
from .sen12ms import S1_BANDS, select_bands

#: Sentinel-2 bands of each METER-ML file, by resolution (see the layout notes of METERML).
METERML_S2_FILES = {
    'sentinel-2-10m.npy': ('B2', 'B3', 'B4', 'B8'),
    'sentinel-2-20m.npy': ('B5', 'B6', 'B7', 'B8A', 'B11', 'B12'),
    'sentinel-2-60m.npy': ('B1', 'B9'),
}
METERML_S2_GROUPS = {
    '10m': METERML_S2_FILES['sentinel-2-10m.npy'],
    '20m': METERML_S2_FILES['sentinel-2-20m.npy'],
    '60m': METERML_S2_FILES['sentinel-2-60m.npy']
}


@DATASETS.register_module()
class METERML(SARClassificationDataset):
    """METER-ML sites as co-registered (Sentinel-1, Sentinel-2) pairs with a methane-source class.

    B. Zhu, N. Lui, J. Irvin et al., "METER-ML: A Multi-Sensor Earth Observation Benchmark for
    Automated Methane Source Mapping", CDCEO workshop 2022 (arXiv:2207.11166). Used with the
    multi-modal SupCon study of github.com/bakiuzun/SupCon_SSL.

    **Layout.** A GeoJSON-like list file (``ann_file``, e.g. ``train_dataset.json``) whose
    ``features`` each have ``properties`` with ``Image_Folder`` (the site's folder, relative to
    the list file's folder) and ``Type`` (its source type); each site folder holds one array
    per sensor, (H, W, C)::

        data_root/train_dataset.json
        data_root/<Image_Folder>/sentinel-1.npy        # (H, W, 2): VV, VH
                                /sentinel-2-10m.npy    # (H, W, 4): B2, B3, B4, B8
                                /naip.png              # (not used)

    What is established from the published SupCon_SSL loader: the JSON keys, the folder per
    site, the file names ``sentinel-1.npy`` / ``sentinel-2-10m.npy`` / ``naip.png``, the
    (H, W, C) layout with 2 S1 and 4 S2-10 m channels, and the 7 classes with compound types
    (``'CAFOs-Landfills'``, ``'WWTreatment-Mines'``, ...) labelled by their **first** source.
    **Assumptions** (the METER-ML repository could not be read here): the channel order VV, VH
    and B2, B3, B4, B8; the 20 m (B5, B6, B7, B8A, B11, B12) and 60 m (B1, B9) files and their
    band order. The images are small (72 x 72 in SupCon_SSL's pipeline) and kept as stored.
    Sites missing from disk are errors (SupCon_SSL silently skips them); so are a missing
    partner file, an unknown ``Type`` and (on loading) a wrong band count, naming the file.

    The raw values are not dB or reflectance / 10000 (SupCon_SSL normalises with per-band
    means around 1.3-1.7e3 for S1 and 1.0-2.6e3 for S2-10 m): normalise with the data
    preprocessor's per-channel ``mean``/``std``.

    Args:
        ann_file (str): The JSON list (relative to ``data_root``).
        s1_bands (Sequence[str]): S1 bands by name. Defaults to ``('VV', 'VH')``.
        s2_bands (str | Sequence[str]): S2 bands by name, or a group ``'10m'``, ``'20m'``,
            ``'60m'``; all from one file (the files differ in resolution). Defaults to
            ``'10m'``.
        exclude_negatives (bool): Drop the ``Negative`` sites (the class list stays the same).
            Defaults to False.
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``,
            ``pipeline``, ``num_shots``, ``seed``, ``fewshot_split``, ...).
    """

    METAINFO = dict(
        classes=('CAFOs', 'Landfills', 'Mines', 'Negative', 'ProcessingPlants',
                 'RefineriesAndTerminals', 'WWTreatment'))
    S1_FILE = 'sentinel-1.npy'

    def __init__(self, *args, s1_bands=S1_BANDS, s2_bands='10m', exclude_negatives=False, **kwargs):
        self.s1_band_indices = select_bands(s1_bands, S1_BANDS, what='METERML s1_bands')
        self.s2_file, self.s2_band_indices = None, None
        for filename, bands in METERML_S2_FILES.items():
            try:
                self.s2_band_indices = select_bands(
                    s2_bands, bands, METERML_S2_GROUPS, what='METERML s2_bands')
            except ValueError:
                continue
            self.s2_file = filename
            break
        if self.s2_file is None:
            raise ValueError(f'METERML: s2_bands {s2_bands!r} must all come from one of the '
                             f'files {METERML_S2_FILES} (or be a group of '
                             f'{tuple(METERML_S2_GROUPS)})')
        self.exclude_negatives = bool(exclude_negatives)
        super().__init__(*args, **kwargs)

    @property
    def modality_channels(self):
        """``(S1 channels, S2 channels)`` of the stacked pair, for the model's config."""
        return (len(self.s1_band_indices), len(self.s2_band_indices))

    def load_data_list(self):
        if not self.ann_file:
            raise ValueError('METERML: ann_file (the METER-ML JSON list, e.g. '
                             'train_dataset.json) is required')
        try:
            with open(self.ann_file, encoding='utf-8') as f:
                features = json.load(f)['features']
        except FileNotFoundError as err:
            raise FileNotFoundError(f'METERML: list file not found: {self.ann_file}') from err
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f'{self.ann_file}: not a METER-ML list (a JSON object with '
                             f'"features"): {type(err).__name__}: {err}') from err
        folder_root = osp.dirname(self.ann_file)
        classes = self.CLASSES
        counts = (len(S1_BANDS), len(METERML_S2_FILES[self.s2_file]))
        bands = (self.s1_band_indices, self.s2_band_indices)
        data_list = []
        for index, feature in enumerate(features):
            where = f'{self.ann_file}, feature {index}'
            try:
                props = feature['properties']
                folder, kind = props['Image_Folder'], props['Type']
            except (KeyError, TypeError) as err:
                raise ValueError(f'{where}: needs properties "Image_Folder" and "Type"') \
                    from err
            source = str(kind).split('-')[0]  # compound types: the first source listed
            label = self.class_index(source)
            if label is None:
                raise ValueError(f'{where}: Type {kind!r} is not one of the classes '
                                 f'{tuple(classes)} (nor a "-"-joined list starting with one)')
            if self.exclude_negatives and classes[label] == 'Negative':
                continue
            site = osp.join(folder_root, folder)
            s1, s2 = osp.join(site, self.S1_FILE), osp.join(site, self.s2_file)
            for path in (s1, s2):
                if not osp.isfile(path):
                    raise FileNotFoundError(f'{where}: missing file of the pair: {path}')
            data_list.append(
                dict(
                    img_path=s2,
                    img_paths=(s1, s2),
                    gt_label=label,
                    modality_bands=bands,
                    modality_band_counts=counts))
        if not data_list:
            raise ValueError(f'METERML: no samples in {self.ann_file}')
        return self._apply_few_shot(data_list)
