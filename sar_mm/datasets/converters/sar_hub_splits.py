"""SAR-HUB's published recognition splits, written as sar_mm list files for a user's data.

SAR-HUB (H. Yang, X. Kang, L. Liu, Y. Liu, Z. Huang, "SAR-HUB: Pre-training, fine-tuning, and
explaining", Remote Sensing 15(23):5534, 2023; github.com/XAI4SAR/SAR-HUB) publishes the
train/test lists of its target-recognition experiments in
``Fine-tuning/Target_recognition/data/{MSTAR,FSS,OSS}/*.txt``. The repository has no licence
file, so the lists are not redistributed with sar_mm: :func:`write_sar_hub_splits` reads them
from a SAR-HUB checkout and writes, for the files of the user's own copy of each dataset, one
sar_mm list per SAR-HUB list (``<path relative to the data root><TAB><class name>``, ``#``
comment lines naming the source), which :class:`~sar_mm.datasets.MSTAR`,
:class:`~sar_mm.datasets.FUSARShip` and :class:`~sar_mm.datasets.OpenSARShip` read.

SAR-HUB's lists name its own converted copies, by absolute paths of the authors' machine or
paths under its MSTAR root; each entry is matched to a file of the user's data root by a key
that the release's file names keep (checked on SAR-HUB commit 26788b2):

- ``mstar``: ``/train/ZIL-131/HB19954.025_Mag.npy 8`` (``train.txt`` 2747 chips at 17 deg,
  ``test.txt`` 2425 at 15 deg, ``train_10.txt`` 268 and ``train_30.txt`` 817 of the 17 deg
  chips; labels 0..9 in sar_mm's SOC-10 order). Key: the class (the entry's folder) and the
  chip number ``HBnnnnn``; both are needed, the same ``HB`` number recurs across targets. A
  user file matches when its name starts with that number (raw ``HB19954.025``, SAR-HUB's
  ``HB19954.025_Mag.npy``, the JPEG release's ``hb19954.jpeg``; case ignored) and a folder
  above it names the class (any spelling :class:`~sar_mm.datasets.MSTAR` accepts, serial-number
  folders included).
- ``fusar``: ``.../data1/Cargo/Ship_C01S07N1121.npy 0`` (``FuSAR_train6.txt`` 1677,
  ``FuSAR_test6.txt`` 1661; labels 0..5 in :class:`~sar_mm.datasets.FUSARShip`'s order). Key:
  the release's chip name ``Ship_CxxSyyNzzzz`` (``FUSAR-Ship1.0/<type>/<subtype>/*.tiff``).
- ``opensarship``: ``.../OpenSARShip_uint8/Cargo/1456_5194_140_20_vv.jpg 11``
  (``{low,medium,large}_{train,test}.txt``, 12523 VV chips in all, labels 0..13 of
  ``OpenSARShip.SAR_HUB_CLASSES``). SAR-HUB's names are ``<Center_x>_<Center_y>_<AIS
  length>_<AIS width>_<pol>`` of the release's ``Ship.xml``; the release names its chips
  ``[Visual_]<type>_x<Center_x>_y<Center_y>[_<pol>].tif``. Key: the centre ``(x, y)``; a user
  file with a polarisation suffix must have the entry's (``vv``). The scene is not part of
  SAR-HUB's names, so two scenes with a chip at the same centre cannot be told apart: such an
  entry is reported as ambiguous.

Several files of the data root can carry one key (the release's ``Patch``, ``Patch_Cal`` and
``Patch_Uint8`` copies of an OpenSARShip chip; a raw and a JPEG copy of an MSTAR chip): an entry
with more than one candidate is an error unless ``include`` patterns keep one of them. An entry
without a file is an error naming the SAR-HUB list file and line, unless ``allow_missing``, when
it is left out and listed in a ``# missing`` comment of the written list.
"""
import fnmatch
import os
import os.path as osp
import re

from sar_mm.fileio import supported_extensions
from ..fusar_ship import FUSARShip
from ..mstar import MSTAR
from ..opensarship import OpenSARShip
from ..sar_classification import normalize_class_name

SAR_HUB = 'github.com/XAI4SAR/SAR-HUB'
LISTS_DIR = 'Fine-tuning/Target_recognition/data'


class SARHubSplitError(ValueError):
    """A SAR-HUB list or a data root that cannot give the split; the message says where."""


def _mstar_class(name):
    try:
        return MSTAR.canonical_classes([name])[0]
    except ValueError:
        return None


def _class_by_name(classes):
    keys = {normalize_class_name(c): c for c in classes}
    return lambda name: keys.get(normalize_class_name(name))


_OSS_CLASS = _class_by_name(OpenSARShip.SAR_HUB_CLASSES)
_FUSAR_CLASS = _class_by_name(FUSARShip.METAINFO['classes'])
_MSTAR_CHIP = re.compile(r'(hb\d+)', re.IGNORECASE)
_FUSAR_CHIP = re.compile(r'(ship_c\d+s\d+n\d+)', re.IGNORECASE)
_OSS_HUB = re.compile(r'(\d+)_(\d+)_\d+_\d+_(vv|vh|hh|hv)\.\w+', re.IGNORECASE)
_OSS_RELEASE = re.compile(r'.*_x(\d+)_y(\d+)(?:_(vv|vh|hh|hv))?\.\w+', re.IGNORECASE)
_RAW_MSTAR = re.compile(r'\.\d{3}$')


def _mstar_entry(path, label, classes):
    """``(key, class)`` of a SAR-HUB MSTAR entry (``/train/ZIL-131/HB19954.025_Mag.npy``)."""
    parts = path.replace('\\', '/').strip('/').split('/')
    chip = _MSTAR_CHIP.match(parts[-1])
    cls = _mstar_class(parts[-2]) if len(parts) > 1 else None
    if chip is None or cls is None:
        return None, f'expected "<...>/<class folder>/HBnnnnn.<ext>", got {path!r}'
    return (cls, chip[1].lower()), cls


def _mstar_file(relpath):
    """Keys of a data-root file: ``(class, chip)`` with the class of the nearest folder."""
    parts = relpath.split('/')
    chip = _MSTAR_CHIP.match(parts[-1])
    if chip is None:
        return None, None
    for folder in reversed(parts[:-1]):
        cls = _mstar_class(folder)
        if cls is not None:
            return (cls, chip[1].lower()), None
    return None, None


def _fusar_entry(path, label, classes):
    parts = path.replace('\\', '/').split('/')
    chip = _FUSAR_CHIP.search(parts[-1])
    if chip is None:
        return None, f'expected a chip named "Ship_CxxSyyNzzzz.<ext>", got {path!r}'
    folder = _FUSAR_CLASS(parts[-2]) if len(parts) > 1 else None
    return chip[1].lower(), folder


def _fusar_file(relpath):
    chip = _FUSAR_CHIP.search(relpath.rsplit('/', 1)[-1])
    return (chip[1].lower(), None) if chip else (None, None)


def _oss_entry(path, label, classes):
    parts = path.replace('\\', '/').split('/')
    m = _OSS_HUB.fullmatch(parts[-1])
    if m is None:
        return None, ('expected "<type>/<x>_<y>_<length>_<width>_<pol>.<ext>", '
                      f'got {path!r}')
    folder = _OSS_CLASS(parts[-2]) if len(parts) > 1 else None
    return (int(m[1]), int(m[2]), m[3].lower()), folder


def _oss_file(relpath):
    name = relpath.rsplit('/', 1)[-1]
    m = _OSS_HUB.fullmatch(name) or _OSS_RELEASE.fullmatch(name)
    if m is None:
        return None, None
    return (int(m[1]), int(m[2])), (m[3].lower() if m[3] else None)


#: Per dataset: SAR-HUB folder, its lists, the sar_mm dataset and classes (SAR-HUB label
#: order), how to key an entry and a file.
SPECS = {
    'mstar':
    dict(
        folder='MSTAR',
        lists=('train.txt', 'test.txt', 'train_10.txt', 'train_30.txt'),
        dataset='MSTAR',
        classes=MSTAR.SOC10,
        entry=_mstar_entry,
        file=_mstar_file),
    'fusar':
    dict(
        folder='FSS',
        lists=('FuSAR_train6.txt', 'FuSAR_test6.txt'),
        dataset='FUSARShip',
        classes=FUSARShip.METAINFO['classes'],
        entry=_fusar_entry,
        file=_fusar_file),
    'opensarship':
    dict(
        folder='OSS',
        lists=tuple(f'{size}_{part}.txt' for size in ('low', 'medium', 'large')
                    for part in ('train', 'test')),
        dataset="OpenSARShip (variant='sar-hub14')",
        classes=OpenSARShip.SAR_HUB_CLASSES,
        entry=_oss_entry,
        file=_oss_file),
}


def find_sar_hub_lists(sar_hub, dataset):
    """The folder of ``dataset``'s lists in a SAR-HUB checkout (or that folder itself)."""
    folder = SPECS[dataset]['folder']
    for candidate in (osp.join(sar_hub, *LISTS_DIR.split('/'), folder), osp.join(sar_hub,
                                                                                 folder), sar_hub):
        if osp.isfile(osp.join(candidate, SPECS[dataset]['lists'][0])):
            return candidate
    raise SARHubSplitError(
        f'{sar_hub}: no SAR-HUB {folder} lists found; looked for '
        f'{SPECS[dataset]["lists"][0]} in {osp.join(sar_hub, LISTS_DIR, folder)}, '
        f'{osp.join(sar_hub, folder)} and {sar_hub} (pass a clone of {SAR_HUB})')


def read_sar_hub_list(path, dataset):
    """The entries of one SAR-HUB list: ``[(line number, path, key, class name)]``.

    Raises:
        SARHubSplitError: a line that is not ``<path> <label>`` with a label of the dataset's
            classes, a path that gives no key, or a class folder that contradicts the label;
            the message names the file and the line.
    """
    spec = SPECS[dataset]
    classes = spec['classes']
    entries = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) != 2 or not re.fullmatch(r'\d+', fields[1]):
                raise SARHubSplitError(
                    f'{path}, line {lineno}: expected "<path> <label index>", got {line!r}')
            label = int(fields[1])
            if label >= len(classes):
                raise SARHubSplitError(
                    f'{path}, line {lineno}: label {label} is outside the {len(classes)} '
                    f'classes of SAR-HUB\'s {spec["folder"]} lists')
            key, folder = spec['entry'](fields[0], label, classes)
            if key is None:
                raise SARHubSplitError(f'{path}, line {lineno}: {folder}')
            if folder is not None and folder != classes[label]:
                raise SARHubSplitError(
                    f'{path}, line {lineno}: the folder of {fields[0]!r} is class {folder!r}, '
                    f'its label {label} is {classes[label]!r}')
            entries.append((lineno, fields[0], key, classes[label]))
    if not entries:
        raise SARHubSplitError(f'{path}: the list names no chip')
    return entries


def index_data_root(data_root, dataset, include=None, exclude=None):
    """``{key: [(relative path, polarisation or None)]}`` of the files under ``data_root``.

    Only files of a format sar_mm reads are listed (plus raw MSTAR files, ``HB03333.015``);
    ``include`` / ``exclude`` are ``fnmatch`` patterns on the relative path (``/``-separated).
    """
    if not osp.isdir(data_root):
        raise SARHubSplitError(f'data root not found: {data_root}')
    extensions = tuple(supported_extensions())
    file_key = SPECS[dataset]['file']
    index = {}
    for root, dirs, files in os.walk(data_root, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            lower = name.lower()
            if not (lower.endswith(extensions) or
                    (dataset == 'mstar' and _RAW_MSTAR.search(lower))):
                continue
            rel = osp.relpath(osp.join(root, name), data_root).replace(os.sep, '/')
            if include and not any(fnmatch.fnmatch(rel, p) for p in include):
                continue
            if exclude and any(fnmatch.fnmatch(rel, p) for p in exclude):
                continue
            key, pol = file_key(rel)
            if key is not None:
                index.setdefault(key, []).append((rel, pol))
    return index


def _candidates(index, key, dataset):
    if dataset != 'opensarship':
        return [rel for rel, _ in index.get(key, ())]
    x, y, pol = key
    return [rel for rel, p in index.get((x, y), ()) if p is None or p == pol]


def write_sar_hub_splits(sar_hub,
                         data_root,
                         dataset,
                         out_dir=None,
                         lists=None,
                         include=None,
                         exclude=None,
                         allow_missing=False):
    """Write sar_mm lists of SAR-HUB's splits of ``dataset`` for the files of ``data_root``.

    Args:
        sar_hub (str): A clone of github.com/XAI4SAR/SAR-HUB (or its list folder).
        data_root (str): The user's copy of the dataset (any layout; see the module docstring).
        dataset (str): ``'mstar'``, ``'fusar'`` or ``'opensarship'``.
        out_dir (str, optional): Where the lists go, under SAR-HUB's file names. Defaults to
            ``<data_root>/splits/sar-hub`` (the configs' ``ann_file`` paths).
        lists (Sequence[str], optional): SAR-HUB list files to convert. Defaults to all of
            the dataset's.
        include (Sequence[str], optional): ``fnmatch`` patterns; only matching files (path
            relative to ``data_root``) are candidates.
        exclude (Sequence[str], optional): ``fnmatch`` patterns of files to ignore.
        allow_missing (bool): Leave out entries without a file (listed as ``# missing``
            comments) instead of failing. Defaults to False.

    Returns:
        dict: Per list file: ``path`` written, ``entries``, ``written``, ``missing`` and
        ``counts`` (chips per class).

    Raises:
        SARHubSplitError: an unreadable SAR-HUB list, an entry with no file (unless
            ``allow_missing``) or with several candidate files, naming the list and lines.
    """
    if dataset not in SPECS:
        raise SARHubSplitError(f'dataset must be one of {tuple(SPECS)}, got {dataset!r}')
    spec = SPECS[dataset]
    source = find_sar_hub_lists(sar_hub, dataset)
    names = list(lists or spec['lists'])
    unknown = [n for n in names if n not in spec['lists']]
    if unknown:
        raise SARHubSplitError(f'{dataset}: unknown SAR-HUB lists {unknown}; choose from '
                               f'{spec["lists"]}')
    parsed = {name: read_sar_hub_list(osp.join(source, name), dataset) for name in names}
    index = index_data_root(data_root, dataset, include, exclude)
    out_dir = out_dir or osp.join(data_root, 'splits', 'sar-hub')
    resolved, missing, ambiguous = {}, {}, []
    for name, entries in parsed.items():
        resolved[name], missing[name] = [], []
        for lineno, path, key, cls in entries:
            found = _candidates(index, key, dataset)
            if len(found) == 1:
                resolved[name].append((found[0], cls))
            elif not found:
                missing[name].append((lineno, path))
            else:
                ambiguous.append(f'{osp.join(source, name)}, line {lineno}: {path} matches '
                                 f'{len(found)} files: {", ".join(found[:4])}')
    if ambiguous:
        raise SARHubSplitError(
            f'{len(ambiguous)} SAR-HUB entries match several files of {data_root}; keep one '
            'copy of each chip with include / exclude patterns (e.g. --include '
            '"*/Patch_Uint8/*"):\n  ' + '\n  '.join(ambiguous[:10]))
    lost = sum(len(m) for m in missing.values())
    if lost and not allow_missing:
        lines = [
            f'{osp.join(source, name)}, line {lineno}: no file of {data_root} for {path}'
            for name, items in missing.items() for lineno, path in items
        ]
        raise SARHubSplitError(
            f'{lost} SAR-HUB entries have no file under {data_root} (allow_missing / '
            '--allow-missing writes the lists without them):\n  ' + '\n  '.join(lines[:10]) +
            ('\n  ...' if len(lines) > 10 else ''))
    os.makedirs(out_dir, exist_ok=True)
    summary = {}
    for name in names:
        rows, gone = resolved[name], missing[name]
        out = osp.join(out_dir, name)
        with open(out, 'w', encoding='utf-8') as f:
            f.write(f'# SAR-HUB split {spec["folder"]}/{name} ({SAR_HUB}, {LISTS_DIR}), '
                    f'written by tools/dataset_converters/sar_hub_splits.py\n')
            f.write(f'# for sar_mm.datasets.{spec["dataset"]}: <path relative to the data '
                    f'root><TAB><class>; {len(rows)} of {len(rows) + len(gone)} entries found\n')
            for rel, cls in rows:
                f.write(f'{rel}\t{cls}\n')
            for lineno, path in gone:
                f.write(f'# missing (SAR-HUB line {lineno}): {path}\n')
        counts = {}
        for _, cls in rows:
            counts[cls] = counts.get(cls, 0) + 1
        summary[name] = dict(
            path=out,
            entries=len(rows) + len(gone),
            written=len(rows),
            missing=len(gone),
            counts=counts)
    return summary
