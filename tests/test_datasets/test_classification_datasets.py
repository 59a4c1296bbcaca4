"""SAR classification datasets: list/folder parsing, line-numbered errors, few-shot, registry."""
import os
import os.path as osp
import random

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

SOC10 = ('2S1', 'BMP2', 'BRDM_2', 'BTR60', 'BTR70', 'D7', 'T62', 'T72', 'ZIL131', 'ZSU_23_4')
# Folder spellings met in MSTAR copies, in SOC10 order.
MSTAR_FOLDERS = ('2S1', 'BMP2', 'BRDM2', 'BTR_60', 'BTR70', 'D7', 'T62', 'T72', 'ZIL_131', 'ZSU234')


def _write_chip(path, seed=0, size=8):
    """A small amplitude chip: 16-bit PNG, float32 .npy, float32 .tif, or raw bytes otherwise."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    amplitude = rng.gamma(2.0, 500.0, size=(size, size))
    ext = osp.splitext(path)[1].lower()
    if ext == '.png':
        assert cv2.imwrite(path, np.clip(amplitude, 0, 65535).astype(np.uint16))
    elif ext == '.npy':
        np.save(path, amplitude.astype(np.float32))
    elif ext in ('.tif', '.tiff'):
        import tifffile
        tifffile.imwrite(path, amplitude.astype(np.float32))
    else:  # raw-named file (e.g. MSTAR '.015'): only listed, never read here
        with open(path, 'wb') as f:
            f.write(b'\x00' * 16)
    return path


def _write_list(path, lines):
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(path)


def _mstar_tree(root, per_class=3, folders=MSTAR_FOLDERS, raw=True):
    """``root/<folder>/`` with ``per_class`` chips each: .npy, .png and (raw) .015 files."""
    exts = ('.015', '.npy', '.png') if raw else ('.npy', '.png')
    for c, folder in enumerate(folders):
        for i in range(per_class):
            _write_chip(
                osp.join(root, folder, f'HB{c:02d}{i:03d}{exts[i % len(exts)]}'), seed=c * 100 + i)
    return str(root)


# --------------------------------------------------------------------------- MSTAR


def test_mstar_folder_mode_aliases_and_raw_extensions(tmp_path):
    from sar_mm.datasets import MSTAR, SARClassificationDataset
    root = _mstar_tree(tmp_path / 'mstar' / '17_DEG', per_class=3)
    # files that must not be listed: MSTAR tool outputs and notes
    _write_chip(str(tmp_path / 'mstar' / '17_DEG' / 'T72' / 'HB00000.015.hdr'))
    _write_chip(str(tmp_path / 'mstar' / '17_DEG' / 'T72' / 'notes.txt'))
    _write_chip(str(tmp_path / 'mstar' / '17_DEG' / 'T72' / 'HB00000.15'))
    ds = MSTAR(data_prefix=root)
    assert ds.metainfo['classes'] == SOC10
    assert len(ds) == 30
    labels = [d['gt_label'] for d in ds]
    assert np.bincount(labels).tolist() == [3] * 10
    for d in ds:  # the alias folder of each sample gives its SOC10 label
        folder = osp.basename(osp.dirname(d['img_path']))
        assert SOC10[d['gt_label']] == SOC10[MSTAR_FOLDERS.index(folder)]
    names = sorted(osp.basename(d['img_path']) for d in ds)
    assert sum(n.endswith('.015') for n in names) == 10
    assert not any(n.endswith(('.hdr', '.txt', '.15')) for n in names)
    # the 3-digit raw extension is MSTAR's: the generic dataset does not list those files
    generic = SARClassificationDataset(data_prefix=root)
    assert len(generic) == 20
    assert not any(d['img_path'].endswith('.015') for d in generic)


def test_mstar_skips_unselected_folders_and_serial_number_aliases(tmp_path):
    from sar_mm.datasets import MSTAR
    root = _mstar_tree(
        tmp_path / 'mixed',
        per_class=2,
        folders=('2S1', 'BRDM_2', 'BTR_60', 'D7', 'SLICY', 'T62', 'ZIL131', 'ZSU_23_4',
                 'BMP2_SN9563', 'T72_SN132'))
    soc = MSTAR(data_prefix=root)  # SLICY is not a SOC class: its folder is skipped
    assert len(soc) == 9 * 2
    assert not any('SLICY' in d['img_path'] for d in soc)
    by_folder = {osp.basename(osp.dirname(d['img_path'])): SOC10[d['gt_label']] for d in soc}
    assert by_folder['BMP2_SN9563'] == 'BMP2' and by_folder['T72_SN132'] == 'T72'
    mixed = MSTAR(data_prefix=root, variant='mixed8')
    assert mixed.metainfo['classes'] == ('2S1', 'BRDM_2', 'BTR60', 'D7', 'SLICY', 'T62', 'ZIL131',
                                         'ZSU_23_4')
    assert len(mixed) == 8 * 2 and np.bincount([d['gt_label'] for d in mixed]).tolist() == [2] * 8


def test_mstar_class_subsets_are_validated(tmp_path):
    from sar_mm.datasets import MSTAR
    root = _mstar_tree(tmp_path / 'soc', per_class=2)
    sub = MSTAR(data_prefix=root, classes=['t_72', 'bmp2', 'BTR-70'])
    assert sub.metainfo['classes'] == ('T72', 'BMP2', 'BTR70')
    assert len(sub) == 6
    assert {
        osp.basename(osp.dirname(d['img_path'])): d['gt_label']
        for d in sub
    } == {
        'T72': 0,
        'BMP2': 1,
        'BTR70': 2
    }
    assert MSTAR(data_prefix=root, variant='soc3').metainfo['classes'] == ('BMP2', 'BTR70', 'T72')
    assert MSTAR(
        data_prefix=root,
        metainfo=dict(classes=('ZSU234', 'D7'))).metainfo['classes'] == ('ZSU_23_4', 'D7')
    with pytest.raises(ValueError, match="unknown class 'M1A1'"):
        MSTAR(data_prefix=root, classes=['T72', 'M1A1'])
    with pytest.raises(ValueError, match='given twice'):
        MSTAR(data_prefix=root, classes=['T72', 'T_72'])
    with pytest.raises(ValueError, match='variant'):
        MSTAR(data_prefix=root, variant='eoc1')
    with pytest.raises(ValueError, match='not both'):
        MSTAR(data_prefix=root, classes=['T72'], metainfo=dict(classes=['BMP2']))


def test_mstar_few_shot_is_deterministic_stratified_and_order_free(tmp_path):
    from sar_mm.datasets import MSTAR
    root = _mstar_tree(tmp_path / 'soc', per_class=6)
    train = MSTAR(data_prefix=root, num_shots=2, seed=3)
    rest = MSTAR(data_prefix=root, num_shots=2, seed=3, fewshot_split='rest')
    full = MSTAR(data_prefix=root)
    assert len(train) == 20 and np.bincount([d['gt_label'] for d in train]).tolist() == [2] * 10
    assert np.bincount([d['gt_label'] for d in rest]).tolist() == [4] * 10
    train_paths = [d['img_path'] for d in train]
    assert set(train_paths).isdisjoint(d['img_path'] for d in rest)
    assert set(train_paths) | {d['img_path'] for d in rest} == {d['img_path'] for d in full}
    assert train_paths == [d['img_path'] for d in MSTAR(data_prefix=root, num_shots=2, seed=3)]
    other_seeds = [{d['img_path']
                    for d in MSTAR(data_prefix=root, num_shots=2, seed=s)} for s in (4, 5)]
    assert any(paths != set(train_paths) for paths in other_seeds)
    # the same shots from a shuffled list file naming the classes by their aliases
    lines = [
        f'{osp.relpath(d["img_path"], str(tmp_path))}\t{MSTAR_FOLDERS[d["gt_label"]]}' for d in full
    ]
    random.Random(0).shuffle(lines)
    ann = _write_list(tmp_path / 'soc_train.txt', lines)
    listed = MSTAR(data_root=str(tmp_path), ann_file=ann, num_shots=2, seed=3)
    assert sorted(d['img_path'] for d in listed) == sorted(train_paths)
    with pytest.raises(ValueError, match='fewer than the 7 shots'):
        MSTAR(data_prefix=root, num_shots=7)


def test_mstar_loads_through_the_pipeline(tmp_path):
    from sar_mm.datasets import MSTAR
    root = _mstar_tree(tmp_path / 'soc', per_class=2, raw=False)
    ds = MSTAR(data_prefix=root, pipeline=[dict(type='LoadSARImage'), dict(type='PackInputs')])
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (1, 8, 8)
    assert sample['data_samples'].gt_label.tolist() == [ds.get_data_info(0)['gt_label']]


# --------------------------------------------------------------------------- list-file errors


def _list_case(tmp_path, bad_line, lineno, make_image=True):
    """A 4-line MSTAR list whose line ``lineno`` is ``bad_line``; the other lines are valid."""
    for i in range(4):
        _write_chip(str(tmp_path / 'chips' / f'c{i}.npy'), seed=i)
    lines = ['# MSTAR SOC 17 deg', 'chips/c0.npy 0', 'chips/c1.npy T72', 'chips/c2.npy\tBTR_60']
    lines.insert(lineno - 1, bad_line)
    return _write_list(tmp_path / 'mstar_train.txt', lines)


@pytest.mark.parametrize('bad_line,lineno,error,problem', [
    ('chips/c3.npy', 3, ValueError, 'cannot parse'),
    ('chips/c3.npy\tT72\textra', 2, ValueError, 'exactly two fields'),
    ('chips/missing.npy 1', 4, FileNotFoundError, 'image not found'),
    ('chips/c3.npy 10', 5, ValueError, r'label index 10 is outside the 10 classes'),
    ('chips/c3.npy -1', 3, ValueError, 'label index -1 is outside'),
    ('chips/c3.npy M1A1', 2, ValueError, "label 'M1A1' is not one of the classes"),
])
def test_list_errors_name_the_file_and_line(tmp_path, bad_line, lineno, error, problem):
    from sar_mm.datasets import MSTAR
    ann = _list_case(tmp_path, bad_line, lineno)
    with pytest.raises(error, match=rf'mstar_train\.txt, line {lineno}: .*{problem}'):
        MSTAR(data_root=str(tmp_path), ann_file=ann)


def test_list_errors_with_the_generic_dataset(tmp_path):
    """Without known classes, indices are still range-checked below and names define classes."""
    from sar_mm.datasets import SARClassificationDataset
    for i in range(3):
        _write_chip(str(tmp_path / f'c{i}.png'), seed=i)
    ann = _write_list(tmp_path / 'plain.txt', ['c0.png 0', 'c1.png 1', 'c2.png -3'])
    with pytest.raises(ValueError, match=r'plain\.txt, line 3: label index -3'):
        SARClassificationDataset(data_root=str(tmp_path), ann_file=ann)
    ann = _write_list(tmp_path / 'mixed.txt', ['c0.png ship', 'c1.png 1'])
    with pytest.raises(ValueError, match=r'mixed\.txt, line 2: label index 1 mixed with class'):
        SARClassificationDataset(data_root=str(tmp_path), ann_file=ann)
    ann = _write_list(tmp_path / 'named.txt', ['c0.png ship', 'c1.png\tsea clutter', 'c2.png ship'])
    ds = SARClassificationDataset(data_root=str(tmp_path), ann_file=ann)
    assert ds.metainfo['classes'] == ('sea clutter', 'ship')
    assert [d['gt_label'] for d in ds] == [1, 0, 1]
    # check_files=False skips the existence check (e.g. for remote storage)
    ann = _write_list(tmp_path / 'remote.txt', ['far/away.png 0'])
    assert len(SARClassificationDataset(data_root=str(tmp_path), ann_file=ann,
                                        check_files=False)) == 1


def test_empty_and_missing_sources_are_errors(tmp_path):
    from sar_mm.datasets import MSTAR, SARClassificationDataset
    ann = _write_list(tmp_path / 'empty_list.txt', ['# nothing yet', '', '   '])
    with pytest.raises(ValueError, match=r'no samples found in .*empty_list\.txt'):
        MSTAR(data_root=str(tmp_path), ann_file=ann)
    with pytest.raises(FileNotFoundError, match=r'list file not found: .*absent\.txt'):
        MSTAR(data_root=str(tmp_path), ann_file='absent.txt')
    (tmp_path / 'tree' / 'T72').mkdir(parents=True)
    _write_chip(str(tmp_path / 'tree' / 'T72' / 'notes.txt'))
    with pytest.raises(ValueError, match=r'no samples found in .*tree.*folders: T72'):
        MSTAR(data_prefix=str(tmp_path / 'tree'))
    with pytest.raises(ValueError, match=r'no samples found in .*tree'):
        SARClassificationDataset(data_prefix=str(tmp_path / 'tree'))
    with pytest.raises(FileNotFoundError, match='image folder not found'):
        MSTAR(data_prefix=str(tmp_path / 'nowhere'))


# --------------------------------------------------------------------------- ship sets


def test_opensarship_tab_list_with_spaced_class_names(tmp_path):
    from sar_mm.datasets import OpenSARShip
    scene = 'OpenSARShip1/S1A_IW_GRDH_0001/Patch_Cal'
    items = [('Cargo_x10661_y11170.tif', 'Cargo'), ('Tanker_x10_y20.tif', 'Other Type'),
             ('Law_x1_y2.tif', 'Law Enforcement'), ('Cargo_x5_y6.tif', 'Cargo')]
    for i, (name, _) in enumerate(items):
        _write_chip(str(tmp_path / scene / name), seed=i)
    lines = [f'{scene}/{name}\t{label}' for name, label in items]
    ann = _write_list(tmp_path / 'opensarship_all.txt', lines)
    ds = OpenSARShip(
        data_root=str(tmp_path),
        ann_file=ann,
        pipeline=[dict(type='LoadSARImage'), dict(type='PackInputs')])
    assert ds.metainfo['classes'] == ('Cargo', 'Law Enforcement', 'Other Type')
    assert [ds.get_data_info(i)['gt_label'] for i in range(len(ds))] == [0, 2, 1, 0]
    assert tuple(ds[0]['inputs'].shape) == (1, 8, 8)
    # given classes: names match them (case/space-insensitively), indices index them
    given = OpenSARShip(
        data_root=str(tmp_path),
        ann_file=ann,
        metainfo=dict(classes=('Other Type', 'Cargo', 'LawEnforcement')))
    assert [d['gt_label'] for d in given] == [1, 0, 2, 1]
    # a spaced name after a space separator is not a class; the error says so
    spaced = _write_list(tmp_path / 'spaced.txt', [lines[0], f'{scene}/{items[1][0]} Other Type'])
    with pytest.raises(ValueError, match=r"spaced\.txt, line 2: label 'Type' .*need a tab"):
        OpenSARShip(
            data_root=str(tmp_path),
            ann_file=spaced,
            metainfo=dict(classes=('Cargo', 'Other Type')))
    with pytest.raises(ValueError, match=r"opensarship_all\.txt, line 1: label 'Cargo' is not one"):
        OpenSARShip(data_root=str(tmp_path), ann_file=ann, variant='3class')
    three = _write_list(tmp_path / 'three.txt',
                        [f'{scene}/{items[0][0]}\tBulk Carrier', f'{scene}/{items[1][0]}\tTanker'])
    ds3 = OpenSARShip(data_root=str(tmp_path), ann_file=three, variant='3class')
    assert ds3.metainfo['classes'] == OpenSARShip.THREE_CLASSES
    assert [d['gt_label'] for d in ds3] == [0, 2]


def test_fusar_ship_sarhub_style_absolute_list(tmp_path):
    from sar_mm.datasets import FUSARShip
    paths = [
        _write_chip(str(tmp_path / 'FUSAR' / cls / f'Ship_C01S07N{i:04d}.npy'), seed=i)
        for i, cls in enumerate(['Cargo', 'Fishing', 'Tanker', 'Tug'])
    ]
    ann = _write_list(tmp_path / 'FuSAR_train.txt',
                      [f'{paths[0]} 0', f'{paths[1]} 2', f'{paths[2]} 4', f'{paths[3]} Tug'])
    ds = FUSARShip(ann_file=ann)
    assert ds.metainfo['classes'] == ('Cargo', 'Dredger', 'Fishing', 'Passenger', 'Tanker', 'Tug')
    assert [d['gt_label'] for d in ds] == [0, 2, 4, 5]
    assert [d['img_path'] for d in ds] == paths
    with pytest.raises(
            ValueError, match=r'FuSAR_train\.txt, line 3: label index 4 is outside '
            r'the 3 classes'):
        FUSARShip(ann_file=ann, metainfo=dict(classes=('Cargo', 'Fishing', 'Tanker')))
    # folder mode reads the selected categories of the release tree and skips the others
    _write_chip(str(tmp_path / 'FUSAR' / 'Other' / 'Reserved' / 'Ship_C99.npy'))
    folders = FUSARShip(data_prefix=str(tmp_path / 'FUSAR'))
    assert sorted(d['gt_label'] for d in folders) == [0, 2, 4, 5]


# --------------------------------------------------------------------------- aircraft, urban


def test_sar_acd_folders_with_aliases(tmp_path):
    from sar_mm.datasets import SARACD
    for i, folder in enumerate(['A220', 'a330', 'ARJ21', 'B737', 'Boeing_787']):
        for j in range(2):
            _write_chip(str(tmp_path / 'SAR-ACD' / folder / f'{j}.png'), seed=i * 10 + j)
    ds = SARACD(data_prefix=str(tmp_path / 'SAR-ACD'))
    assert ds.metainfo['classes'] == ('A220', 'A330', 'ARJ21', 'Boeing737', 'Boeing787')
    assert np.bincount([d['gt_label'] for d in ds]).tolist() == [2] * 5
    assert {osp.basename(osp.dirname(d['img_path'])): d['gt_label'] for d in ds}['B737'] == 3


def test_opensarurban_names_and_aliases(tmp_path):
    from sar_mm.datasets import OpenSARUrban
    names = [
        'denselow_x4233_y10364_Polygon27_vv.npy', 'highbuildings_x1_y2_Polygon3_vv.npy',
        'highbuilding_x3_y4_Polygon5_vv.npy', 'StorageArea_x8_y9_Polygon50_vv.npy'
    ]
    for i, name in enumerate(names):
        _write_chip(str(tmp_path / 'OSU' / name), seed=i)
    ann = _write_list(tmp_path / 'osu_val.txt', [
        f'OSU/{names[0]} denselow', f'OSU/{names[1]} highbuildings', f'OSU/{names[2]} highbuilding',
        f'OSU/{names[3]} 8'
    ])
    ds = OpenSARUrban(data_root=str(tmp_path), ann_file=ann)
    classes = ds.metainfo['classes']
    assert len(classes) == 10
    assert [classes[d['gt_label']]
            for d in ds] == ['DenseResidential', 'HighBuildings', 'HighBuildings', 'StorageArea']


# --------------------------------------------------------------------------- BigEarthNet-S1


def _ben_files(tmp_path, n=3):
    return [
        _write_chip(str(tmp_path / 'BEN' / f'S1A_IW_GRDH_1SDV_{i}_VV.npy'), seed=i)
        for i in range(n)
    ]


def test_bigearthnet_s1_multi_label(tmp_path):
    from mmpretrain.datasets import MultiLabelDataset

    from sar_mm.datasets import BigEarthNetS1
    _ben_files(tmp_path)
    ann = _write_list(tmp_path / 'ben_train.txt', [
        'BEN/S1A_IW_GRDH_1SDV_0_VV.npy 9,10', 'BEN/S1A_IW_GRDH_1SDV_1_VV.npy\t18',
        'BEN/S1A_IW_GRDH_1SDV_2_VV.npy 13,2,2,0'
    ])
    ds = BigEarthNetS1(
        data_root=str(tmp_path),
        ann_file=ann,
        pipeline=[dict(type='LoadSARImage'), dict(type='PackInputs')])
    assert isinstance(ds, MultiLabelDataset)
    assert len(ds.metainfo['classes']) == 19
    assert ds.metainfo['classes'][18] == 'Marine waters'
    assert [ds.get_data_info(i)['gt_label'] for i in range(3)] == [[9, 10], [18], [0, 2, 13]]
    assert ds.get_cat_ids(2) == [0, 2, 13]
    assert ds[0]['data_samples'].gt_label.tolist() == [9, 10]


@pytest.mark.parametrize('bad_line,problem', [
    ('BEN/S1A_IW_GRDH_1SDV_2_VV.npy 3,19', r'label index 19 is outside the 19 classes'),
    ('BEN/S1A_IW_GRDH_1SDV_2_VV.npy 3,x', 'cannot parse labels'),
    ('BEN/S1A_IW_GRDH_1SDV_2_VV.npy 3,,4', 'cannot parse labels'),
    ('BEN/S1A_IW_GRDH_1SDV_2_VV.npy 3, 4', 'without spaces'),
    ('BEN/S1A_IW_GRDH_1SDV_2_VV.npy', 'cannot parse'),
    ('BEN/S1A_IW_GRDH_1SDV_9_VV.npy 3', 'image not found'),
])
def test_bigearthnet_s1_errors_name_the_line(tmp_path, bad_line, problem):
    from sar_mm.datasets import BigEarthNetS1
    _ben_files(tmp_path)
    ann = _write_list(tmp_path / 'ben_val.txt', ['BEN/S1A_IW_GRDH_1SDV_0_VV.npy 1', bad_line])
    with pytest.raises((ValueError, FileNotFoundError),
                       match=rf'ben_val\.txt, line 2: .*{problem}'):
        BigEarthNetS1(data_root=str(tmp_path), ann_file=ann)


def test_bigearthnet_s1_rejects_few_shot_and_folder_mode(tmp_path):
    from sar_mm.datasets import BigEarthNetS1
    _ben_files(tmp_path)
    ann = _write_list(tmp_path / 'ben.txt', ['BEN/S1A_IW_GRDH_1SDV_0_VV.npy 1'])
    with pytest.raises(ValueError, match='multi-label.*num_shots'):
        BigEarthNetS1(data_root=str(tmp_path), ann_file=ann, num_shots=5)
    with pytest.raises(ValueError, match='needs a list file'):
        BigEarthNetS1(data_prefix=str(tmp_path / 'BEN'))


# --------------------------------------------------------------------------- registry


def _registry_cases(tmp_path):
    """``(type name, build kwargs, expected length)`` for every dataset, on tiny files."""
    _mstar_tree(tmp_path / 'mstar', per_class=1)
    for i, folder in enumerate(['Cargo', 'Dredger', 'Fishing', 'Passenger', 'Tanker', 'Tug']):
        _write_chip(str(tmp_path / 'fusar' / folder / 'a.npy'), seed=i)
    _write_chip(str(tmp_path / 'oss' / 'a.tif'))
    oss = _write_list(tmp_path / 'oss.txt', ['oss/a.tif\tOther Type'])
    for i, folder in enumerate(['A220', 'A330', 'ARJ21', 'Boeing737', 'Boeing787']):
        _write_chip(str(tmp_path / 'acd' / folder / 'a.png'), seed=i)
    _write_chip(str(tmp_path / 'osu' / 'Vegetation' / 'a.npy'))
    _ben_files(tmp_path, n=1)
    ben = _write_list(tmp_path / 'ben.txt', ['BEN/S1A_IW_GRDH_1SDV_0_VV.npy 4,5'])
    return [
        ('SARClassificationDataset', dict(data_prefix=str(tmp_path / 'acd')), 5),
        ('MSTAR', dict(data_prefix=str(tmp_path / 'mstar')), 10),
        ('FUSARShip', dict(data_prefix=str(tmp_path / 'fusar')), 6),
        ('OpenSARShip', dict(data_root=str(tmp_path), ann_file=oss), 1),
        ('SARACD', dict(data_prefix=str(tmp_path / 'acd')), 5),
        ('OpenSARUrban', dict(data_prefix=str(tmp_path / 'osu')), 1),
        ('BigEarthNetS1', dict(data_root=str(tmp_path), ann_file=ben), 1),
    ]


def test_every_dataset_builds_from_the_registry_by_plain_name(tmp_path):
    from mmpretrain.registry import DATASETS

    import sar_mm.datasets as sar_datasets
    cases = _registry_cases(tmp_path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for name, kwargs, length in cases:
            assert DATASETS.get(name) is getattr(sar_datasets, name)
            ds = DATASETS.build(dict(type=name, **kwargs))
            assert type(ds) is getattr(sar_datasets, name)
            assert len(ds) == length, name
