"""Generic SAR image classification dataset with the few-shot protocol built in."""
import os.path as osp
import re

from mmengine.fileio import get_file_backend, get_text
from mmengine.logging import MMLogger
from mmpretrain.datasets import CustomDataset
from mmpretrain.datasets.custom import find_folders
from mmpretrain.registry import DATASETS

from sar_mm.fileio import supported_extensions
from .fewshot import select_few_shot

_INDEX = re.compile(r'[+-]?\d+')


def normalize_class_name(name):
    """Case-, space-, '_'- and '-'-insensitive key of a class name ('BTR_60' -> 'btr60')."""
    return re.sub(r'[\s_\-]+', '', str(name)).lower()


class AnnotationLineError(ValueError):
    """A line of a list file that cannot be used; the message names the file and the line."""

    def __init__(self, ann_file, lineno, problem):
        self.ann_file = ann_file
        self.lineno = lineno
        self.problem = problem
        super().__init__(f'{ann_file}, line {lineno}: {problem}')


def read_list_lines(list_file, owner=None):
    """The lines of a list file that name samples: blank lines and ``#`` comments skipped.

    Args:
        list_file (str): Path or URI of the list (read with mmengine's file backends).
        owner (str, optional): Who reads it, named in the error (e.g. the dataset class).

    Returns:
        list[tuple[int, str]]: ``(line number, stripped line)`` pairs, numbered from 1.

    Raises:
        FileNotFoundError: ``list_file`` does not exist.
    """
    try:
        text = get_text(list_file)
    except FileNotFoundError as err:
        who = f'{owner}: ' if owner else ''
        raise FileNotFoundError(f'{who}list file not found: {list_file}') from err
    lines = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith('#'):
            lines.append((lineno, line))
    return lines


def split_list_line(line, list_file, lineno, label_required=True):
    """``(path, label field)`` of a ``path<TAB>label`` or ``path label`` line of a list file.

    Without a tab the label is the last whitespace-separated field, so paths may contain spaces
    and class names need the tab when they do.

    Args:
        line (str): A stripped line (see :func:`read_list_lines`).
        list_file (str): The list file, named in errors.
        lineno (int): The line's number, named in errors.
        label_required (bool): When False, a line of a single field is a path without a
            label and gives ``(path, None)``. Defaults to True.

    Returns:
        tuple[str, str | None]: The path and the label field as written.

    Raises:
        AnnotationLineError: a tab-separated line without exactly two non-empty fields, or a
            line of one field when ``label_required``.
    """
    if '\t' in line:
        fields = [f.strip() for f in line.split('\t')]
        if len(fields) != 2 or not all(fields):
            raise AnnotationLineError(
                list_file, lineno,
                f'cannot parse {line!r}: a tab-separated line needs exactly two fields, '
                '"<relative/path><TAB><label>"')
        return fields[0], fields[1]
    fields = line.rsplit(None, 1)
    if len(fields) != 2:
        if not label_required:
            return line, None
        raise AnnotationLineError(
            list_file, lineno, f'cannot parse {line!r}: expected "<relative/path> <label>" '
            '(or a tab separator when class names contain spaces)')
    return fields[0], fields[1]


def read_image_list(list_file, data_root=None):
    """The images of a ``path [label]`` list file, checked to exist.

    The lines follow :class:`SARClassificationDataset`'s list format (:func:`read_list_lines`,
    :func:`split_list_line`) with the label optional; labels are kept as written (a class index
    or name), not resolved against any classes.

    Args:
        list_file (str): The list file.
        data_root (str, optional): Root of the relative paths. Defaults to the list file's
            folder (absolute paths are kept).

    Returns:
        list[tuple[str, str | None]]: ``(image path, label field or None)`` in list order.

    Raises:
        FileNotFoundError: the list file or a listed image does not exist (naming the line).
        AnnotationLineError: a line that cannot be parsed.
        ValueError: the list names no image.
    """
    root = osp.dirname(list_file) if data_root is None else data_root
    items = []
    for lineno, line in read_list_lines(list_file):
        path, label = split_list_line(line, list_file, lineno, label_required=False)
        full = osp.join(root, path)
        if not osp.isfile(full):
            raise FileNotFoundError(f'{list_file}, line {lineno}: image not found: {full}')
        items.append((full, label))
    if not items:
        raise ValueError(f'{list_file}: the list file names no image')
    return items


@DATASETS.register_module()
class SARClassificationDataset(CustomDataset):
    """SAR chips in a folder-per-class tree or a ``relative/path label`` list file.

    A :class:`mmpretrain.datasets.CustomDataset` that accepts every SAR format ``LoadSARImage``
    reads, checks its annotations line by line and draws deterministic, stratified few-shot
    subsets: with ``num_shots`` set, ``fewshot_split='train'`` keeps ``num_shots`` samples per class
    chosen by ``seed``, and ``fewshot_split='rest'`` keeps every other sample (a held-out
    evaluation set when no official test split exists).

    **List-file mode** (``ann_file`` given), one sample a line, paths relative to
    ``data_root``/``data_prefix`` (absolute paths are kept)::

        images/tank/tank_0001.png 0                      # space separated: label last
        OpenSARShip1/S1/Patch_Cal/Cargo_x1_y2.tif<TAB>Other Type  # tab separated

    The label is a class index or, when the classes are known, a class name (matched
    case-insensitively, ignoring spaces, ``_`` and ``-``, plus the subclass's
    ``CLASS_ALIASES``). Names containing spaces need the tab separator. Without known classes,
    a list of names defines them: the sorted set of names found. Blank lines and lines starting
    with ``#`` are skipped. A line that cannot be parsed, a label outside the classes and (with
    ``check_files``) a missing image raise an error naming the list file and the line number.

    **Folder mode** (no ``ann_file``): ``data_prefix/<class folder>/**/<file>`` with files
    filtered by ``extensions``. Without known classes the sorted folder names are the classes
    (as :func:`mmpretrain.datasets.custom.find_folders`); with known classes each folder is
    matched to a class by name or alias, and folders matching none are skipped with a warning.

    An empty dataset is an error naming the list file or the folder.

    Args:
        num_shots (int, optional): Samples per class to keep. Defaults to None (all samples).
        seed (int): Seed of the few-shot draw. Defaults to 0.
        fewshot_split (str): ``'train'`` (the drawn shots) or ``'rest'`` (their complement).
            Defaults to ``'train'``.
        extensions (Sequence[str]): File extensions to list in folder mode. Defaults to the
            formats of :func:`sar_mm.fileio.read_sar`.
        check_files (bool): In list-file mode, check that every listed image exists.
            Defaults to True.
        **kwargs: Arguments of :class:`mmpretrain.datasets.CustomDataset` (``data_root``,
            ``data_prefix``, ``ann_file``, ``metainfo``, ``pipeline``, ...).
    """

    #: Extra names accepted for a class, ``{alias: class name}`` (on top of the
    #: case/space/'_'/'-'-insensitive match); used for folder names and list-file labels.
    CLASS_ALIASES = {}

    def __init__(self,
                 *args,
                 num_shots=None,
                 seed=0,
                 fewshot_split='train',
                 extensions=supported_extensions(),
                 check_files=True,
                 **kwargs):
        if fewshot_split not in ('train', 'rest'):
            raise ValueError(f"fewshot_split must be 'train' or 'rest', got {fewshot_split!r}")
        self.num_shots = num_shots
        self.seed = seed
        self.fewshot_split = fewshot_split
        self.check_files = check_files
        super().__init__(*args, extensions=extensions, **kwargs)

    # ------------------------------------------------------------------ class names
    def _class_lookup(self):
        """``(exact, normalized)`` maps from names/aliases to indices of the known classes."""
        classes = self.CLASSES or ()
        exact = {name: i for i, name in enumerate(classes)}
        normalized = {}

        def add(key, index):
            key = normalize_class_name(key)
            if normalized.get(key, index) != index:
                normalized[key] = None  # ambiguous: only exact names resolve
            else:
                normalized[key] = index

        for name, index in exact.items():
            add(name, index)
        for alias, name in self.CLASS_ALIASES.items():
            if name in exact:
                add(alias, exact[name])
        return exact, normalized

    def class_index(self, name):
        """Index of the known class called ``name`` (or one of its aliases), else None."""
        if not hasattr(self, '_lookup_cache') or self._lookup_cache[0] != self.CLASSES:
            self._lookup_cache = (self.CLASSES, self._class_lookup())
        exact, normalized = self._lookup_cache[1]
        if name in exact:
            return exact[name]
        return normalized.get(normalize_class_name(name))

    # ------------------------------------------------------------------ loading
    @property
    def _source(self):
        return self.ann_file or self.img_prefix

    def load_data_list(self):
        if self.ann_file:
            data_list = self._load_list_file()
        else:
            data_list = self._load_folders()
        if not data_list:
            raise ValueError(f'{self.__class__.__name__}: no samples found in {self._source!r}')
        return self._apply_few_shot(data_list)

    def _apply_few_shot(self, data_list):
        if self.num_shots is None:
            return data_list
        try:
            chosen = set(
                select_few_shot([d['gt_label'] for d in data_list],
                                self.num_shots,
                                self.seed,
                                keys=[d['img_path'] for d in data_list],
                                class_names=self.CLASSES))
        except ValueError as err:
            raise ValueError(f'{self.__class__.__name__} ({self._source}): {err}') from err
        keep = (lambda i: i in chosen) if self.fewshot_split == 'train' else (
            lambda i: i not in chosen)
        return [d for i, d in enumerate(data_list) if keep(i)]

    def _read_lines(self):
        """``[(line number, stripped line)]`` of the list file, without blanks and comments."""
        return read_list_lines(self.ann_file, owner=self.__class__.__name__)

    def _split_line(self, line, lineno):
        """``(path, label field)`` of a ``path<TAB>label`` or ``path label`` line."""
        return split_list_line(line, self.ann_file, lineno)

    def _parse_label(self, field, lineno, line):
        """Class index of a label field; a str when it is a name and the classes are unknown."""
        classes = self.CLASSES
        if classes:
            index = self.class_index(field)
            if index is not None:
                return index
        if _INDEX.fullmatch(field):
            index = int(field)
            if index < 0 or (classes and index >= len(classes)):
                bound = f'the {len(classes)} classes (0..{len(classes) - 1})' if classes else \
                    'the classes (indices start at 0)'
                raise AnnotationLineError(self.ann_file, lineno,
                                          f'label index {index} is outside {bound}')
            return index
        if classes:
            hint = ''
            if '\t' not in line and len(line.split()) > 2:
                hint = ' (class names with spaces need a tab between path and label)'
            raise AnnotationLineError(
                self.ann_file, lineno,
                f'label {field!r} is not one of the classes {tuple(classes)}{hint}')
        return field

    def _load_list_file(self):
        backend = get_file_backend(self.img_prefix or self.ann_file, enable_singleton=True)
        isfile = getattr(backend, 'isfile', None) if self.check_files else None
        data_list, line_of = [], []
        for lineno, line in self._read_lines():
            if self.with_label:
                filename, field = self._split_line(line, lineno)
                label = self._parse_label(field, lineno, line)
            else:
                filename, label = line, None
            img_path = backend.join_path(self.img_prefix, filename) if self.img_prefix \
                else filename
            if isfile is not None:
                try:
                    exists = isfile(img_path)
                except NotImplementedError:
                    isfile, exists = None, True
                if not exists:
                    raise FileNotFoundError(
                        f'{self.ann_file}, line {lineno}: image not found: {img_path}')
            info = {'img_path': img_path}
            if self.with_label:
                info['gt_label'] = label
            data_list.append(info)
            line_of.append(lineno)
        if self.with_label:
            self._resolve_names(data_list, line_of)
        return data_list

    def _resolve_names(self, data_list, line_of):
        """Turn class-name labels into indices when the classes come from the list itself."""
        names = [i for i, d in enumerate(data_list) if isinstance(d['gt_label'], str)]
        if not names:
            return
        if len(names) != len(data_list):
            first_index = next(i for i, d in enumerate(data_list)
                               if not isinstance(d['gt_label'], str))
            raise AnnotationLineError(
                self.ann_file, line_of[first_index],
                f'label index {data_list[first_index]["gt_label"]} mixed with class names '
                f'(e.g. {data_list[names[0]]["gt_label"]!r} on line {line_of[names[0]]}) '
                'while no classes are given: use one kind, or set metainfo=dict(classes=...)')
        classes = tuple(sorted({d['gt_label'] for d in data_list}))
        self._metainfo['classes'] = classes
        to_index = {name: i for i, name in enumerate(classes)}
        for d in data_list:
            d['gt_label'] = to_index[d['gt_label']]

    def _load_folders(self):
        root = self.img_prefix
        backend = get_file_backend(root, enable_singleton=True)
        isdir = getattr(backend, 'isdir', None)
        if isdir is not None and not isdir(root):
            raise FileNotFoundError(f'{self.__class__.__name__}: image folder not found: {root!r}')
        folders, folder_to_idx = find_folders(root, backend)
        if not self.with_label:
            folder_to_idx = None
        elif self.CLASSES:
            folder_to_idx, unmatched = {}, []
            for folder in folders:
                index = self.class_index(folder)
                if index is None:
                    unmatched.append(folder)
                else:
                    folder_to_idx[folder] = index
            logger = MMLogger.get_current_instance()
            if unmatched:
                logger.warning(f'{self.__class__.__name__}: skipping folders of {root} that match '
                               f'no class of {tuple(self.CLASSES)}: {", ".join(unmatched)}')
            missing = set(range(len(self.CLASSES))) - set(folder_to_idx.values())
            if missing and folder_to_idx:
                logger.warning(f'{self.__class__.__name__}: no folder under {root} for classes '
                               f'{", ".join(self.CLASSES[i] for i in sorted(missing))}')
        else:
            self._metainfo['classes'] = tuple(folders)
        self.folder_to_idx = folder_to_idx

        data_list = []
        if folder_to_idx is None:
            files = backend.list_dir_or_file(root, list_dir=False, list_file=True, recursive=True)
            return [{
                'img_path': backend.join_path(root, f)
            } for f in sorted(files) if self.is_valid_file(f)]
        for folder in sorted(folder_to_idx):
            folder_path = backend.join_path(root, folder)
            files = backend.list_dir_or_file(
                folder_path, list_dir=False, list_file=True, recursive=True)
            for f in sorted(files):
                if self.is_valid_file(f):
                    data_list.append({
                        'img_path': backend.join_path(folder_path, f),
                        'gt_label': folder_to_idx[folder]
                    })
        if not data_list:
            extensions = ', '.join(sorted(self.extensions))
            raise ValueError(f'{self.__class__.__name__}: no samples found in {root!r} (folders: '
                             f'{", ".join(folders) or "none"}; extensions: {extensions})')
        return data_list
