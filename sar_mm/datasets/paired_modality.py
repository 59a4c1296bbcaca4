"""Classification dataset of co-registered image pairs (two polarisations, SAR + optical)."""
from mmengine.fileio import get_file_backend
from mmpretrain.registry import DATASETS

from .sar_classification import AnnotationLineError, SARClassificationDataset


@DATASETS.register_module()
class PairedModalityDataset(SARClassificationDataset):
    """Co-registered pairs of images with one class label, from a ``path_a path_b label`` list.

    Each line of ``ann_file`` names the image of modality a, the image of modality b and the
    label, paths relative to ``data_root``/``data_prefix`` (absolute paths are kept)::

        images/tank/tank_0000_vv.png images/tank/tank_0000_vh.png 0
        s1/scene 1.tif<TAB>s2/scene 1.tif<TAB>urban      # tab separated when paths have spaces

    Labels are class indices or names, as in :class:`SARClassificationDataset` (whose class
    matching, few-shot protocol and line-numbered errors this dataset shares: a line that
    cannot be parsed, a label outside the classes and, with ``check_files``, a missing image
    raise an error naming the list file and the line). Samples carry ``img_paths`` (both
    paths, for ``LoadModalityPair``) and ``img_path`` (the modality-a path, for tools that
    show one image).

    Args:
        num_modalities (int): Paths per line. Defaults to 2.
        **kwargs: Arguments of :class:`SARClassificationDataset` (``data_root``, ``ann_file``
            (required), ``metainfo``, ``pipeline``, ``num_shots``, ``seed``,
            ``fewshot_split``, ``check_files``, ...).
    """

    def __init__(self, *args, num_modalities=2, **kwargs):
        if int(num_modalities) < 2:
            raise ValueError(f'num_modalities must be >= 2, got {num_modalities}')
        self.num_modalities = int(num_modalities)
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        if not self.ann_file:
            raise ValueError(f'{self.__class__.__name__}: ann_file (a list of "path_a path_b '
                             'label" lines) is required; folder mode is not supported')
        return super().load_data_list()

    def _fields(self, line, lineno):
        """``(paths, label field or None)`` of one line."""
        expected = self.num_modalities + (1 if self.with_label else 0)
        form = ' '.join(
            f'<path_{chr(97 + i)}>'
            for i in range(self.num_modalities)) + (' <label>' if self.with_label else '')
        if '\t' in line:
            fields = [f.strip() for f in line.split('\t')]
        else:
            fields = line.split()
        if len(fields) != expected or not all(fields):
            raise AnnotationLineError(
                self.ann_file, lineno,
                f'cannot parse {line!r}: expected {expected} fields "{form}" (separated by tabs '
                'when paths contain spaces)')
        if self.with_label:
            return fields[:-1], fields[-1]
        return fields, None

    def _load_list_file(self):
        backend = get_file_backend(self.img_prefix or self.ann_file, enable_singleton=True)
        isfile = getattr(backend, 'isfile', None) if self.check_files else None
        data_list, line_of = [], []
        for lineno, line in self._read_lines():
            names, field = self._fields(line, lineno)
            paths = [backend.join_path(self.img_prefix, n) if self.img_prefix else n for n in names]
            if isfile is not None:
                for path in paths:
                    try:
                        exists = isfile(path)
                    except NotImplementedError:
                        isfile, exists = None, True
                    if not exists:
                        raise FileNotFoundError(
                            f'{self.ann_file}, line {lineno}: image not found: {path}')
            info = {'img_path': paths[0], 'img_paths': paths}
            if self.with_label:
                info['gt_label'] = self._parse_label(field, lineno, field)
            data_list.append(info)
            line_of.append(lineno)
        if self.with_label:
            self._resolve_names(data_list, line_of)
        return data_list
