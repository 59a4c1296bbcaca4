"""The image listing and draw behind tools/analysis_tools/explain_kp.py (folders, list files)."""
import os.path as osp

import pytest

from sar_mm.apis import list_sar_samples
from sar_mm.datasets import AnnotationLineError, read_image_list, select_interleaved
from .helpers import sar_amplitude, write_all_formats


def test_a_folder_gives_its_sar_images_mstar_raw_files_included(tmp_path):
    write_all_formats(str(tmp_path / 'chips' / 'sub'), sar_amplitude(8))
    items = list_sar_samples(str(tmp_path / 'chips'))
    assert [(osp.basename(p), label) for p, label in items] == [('HB03787.015', None),
                                                                ('chip16.png', None),
                                                                ('chipc64.npy', None),
                                                                ('chipf32.tif', None)]


def test_a_list_file_with_and_without_labels(tmp_path):
    names = write_all_formats(str(tmp_path / 'chips'), sar_amplitude(8))
    rel = {k: osp.relpath(p, tmp_path) for k, p in names.items()}
    lines = ['# comment', '', f'{rel["mstar"]} 2', f'{rel["tiff"]}\tT 72', rel['png16']]
    (tmp_path / 'list.txt').write_text('\n'.join(lines) + '\n')
    items = list_sar_samples(str(tmp_path / 'list.txt'))
    assert items == [(str(tmp_path / rel['mstar']), '2'), (str(tmp_path / rel['tiff']), 'T 72'),
                     (str(tmp_path / rel['png16']), None)]
    # paths relative to another root
    (tmp_path / 'elsewhere.txt').write_text(f'{osp.basename(names["png16"])} 0\n')
    assert read_image_list(str(tmp_path / 'elsewhere.txt'),
                           str(tmp_path / 'chips')) == [(names['png16'], '0')]


def test_list_file_errors_name_the_line(tmp_path):
    (tmp_path / 'missing.txt').write_text('# header\nnot_there.npy 0\n')
    with pytest.raises(FileNotFoundError, match=r'missing\.txt, line 2: image not found'):
        read_image_list(str(tmp_path / 'missing.txt'))
    (tmp_path / 'tabs.txt').write_text('a.npy\tb\tc\n')
    with pytest.raises(AnnotationLineError, match=r'tabs\.txt, line 1: .*exactly two fields'):
        read_image_list(str(tmp_path / 'tabs.txt'))
    (tmp_path / 'empty.txt').write_text('# nothing\n')
    with pytest.raises(ValueError, match='names no image'):
        read_image_list(str(tmp_path / 'empty.txt'))
    with pytest.raises(FileNotFoundError, match='no such image file or folder'):
        list_sar_samples(str(tmp_path / 'nowhere'))


def test_select_interleaved_takes_the_labels_in_turn():
    labels = ['b'] * 6 + ['a'] * 3 + [None] * 2
    picked = select_interleaved(labels, 5, seed=0)
    # labels in the order of str(label): 'None', 'a', 'b', then again
    assert [labels[i] for i in picked] == [None, 'a', 'b', None, 'a']
    assert len(set(picked)) == 5
    assert picked == select_interleaved(labels, 5, seed=0)
    assert picked != select_interleaved(labels, 5, seed=1)
    assert select_interleaved(labels, 0, seed=0) == list(range(11))
    assert select_interleaved(labels, 50, seed=0) == list(range(11))
