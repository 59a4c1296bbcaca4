"""Unlabelled SAR images pooled from several folders, for self-supervised pretraining."""
import os
import os.path as osp

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from sar_mm.fileio import supported_extensions


@DATASETS.register_module()
class SARUnlabeledDataset(BaseDataset):
    """Every SAR image found (recursively, by extension) under one or more folders.

    Pools sets such as MSAR, SAR-Ship, SARSim and SAMPLE for pretraining; files are listed in
    sorted order, so the dataset is the same on every machine.

    Args:
        data_root (str): Common root of ``roots``. Defaults to ''.
        roots (Sequence[str] | str): Folders to scan, relative to ``data_root`` (or absolute).
            Defaults to ``('',)``, the data root itself.
        extensions (Sequence[str]): File extensions to keep (case-insensitive). Defaults to the
            formats of :func:`sar_mm.fileio.read_sar`.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    def __init__(self, data_root='', roots=('', ), extensions=supported_extensions(), **kwargs):
        self.roots = [roots] if isinstance(roots, str) else list(roots)
        self.extensions = tuple(e.lower() for e in extensions)
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self):
        data_list = []
        for root in self.roots:
            folder = osp.join(self.data_root, root) if self.data_root else root
            if not osp.isdir(folder):
                raise FileNotFoundError(f'{self.__class__.__name__}: folder not found: {folder}')
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames.sort()
                for name in sorted(filenames):
                    if name.lower().endswith(self.extensions):
                        data_list.append(dict(img_path=osp.join(dirpath, name)))
        if not data_list:
            raise ValueError(f'{self.__class__.__name__}: no files with extensions '
                             f'{self.extensions} under {self.roots} (data_root={self.data_root!r})')
        return data_list
