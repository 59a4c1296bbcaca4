"""Generic SAR image classification dataset with the few-shot protocol built in."""
from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS

from sar_mm.fileio import supported_extensions
from .fewshot import select_few_shot


@DATASETS.register_module()
class SARClassificationDataset(CustomDataset):
    """SAR chips in a folder-per-class tree or a ``relative/path label`` list file.

    A :class:`mmpretrain.datasets.CustomDataset` that accepts every SAR format ``LoadSARImage``
    reads and draws deterministic, stratified few-shot subsets: with ``num_shots`` set,
    ``fewshot_split='train'`` keeps ``num_shots`` samples per class chosen by ``seed``, and
    ``fewshot_split='rest'`` keeps every other sample (a held-out evaluation set when no official
    test split exists).

    Args:
        num_shots (int, optional): Samples per class to keep. Defaults to None (all samples).
        seed (int): Seed of the few-shot draw. Defaults to 0.
        fewshot_split (str): ``'train'`` (the drawn shots) or ``'rest'`` (their complement).
            Defaults to ``'train'``.
        extensions (Sequence[str]): File extensions to list in folder mode. Defaults to the
            formats of :func:`sar_mm.fileio.read_sar`.
        **kwargs: Arguments of :class:`mmpretrain.datasets.CustomDataset` (``data_root``,
            ``data_prefix``, ``ann_file``, ``metainfo``, ``pipeline``, ...).
    """

    def __init__(self, *args, num_shots=None, seed=0, fewshot_split='train',
                 extensions=supported_extensions(), **kwargs):
        if fewshot_split not in ('train', 'rest'):
            raise ValueError(f"fewshot_split must be 'train' or 'rest', got {fewshot_split!r}")
        self.num_shots = num_shots
        self.seed = seed
        self.fewshot_split = fewshot_split
        super().__init__(*args, extensions=extensions, **kwargs)

    def load_data_list(self):
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'{self.__class__.__name__}: no samples found '
                             f'(ann_file={self.ann_file!r}, data_prefix={self.data_prefix})')
        if self.num_shots is None:
            return data_list
        try:
            chosen = set(select_few_shot([d['gt_label'] for d in data_list], self.num_shots,
                                         self.seed, keys=[d['img_path'] for d in data_list]))
        except ValueError as err:
            raise ValueError(f'{self.__class__.__name__} ({self.ann_file or self.data_prefix}): '
                             f'{err}') from err
        keep = (lambda i: i in chosen) if self.fewshot_split == 'train' else (
            lambda i: i not in chosen)
        return [d for i, d in enumerate(data_list) if keep(i)]
