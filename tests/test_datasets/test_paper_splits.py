"""SAR-HUB's published splits: tools/dataset_converters/sar_hub_splits.py and the
``configs/_base_/datasets/*_sar-hub-split.py`` configs.

A fake SAR-HUB checkout holds lists in the release's exact format (its absolute paths of the
authors' machine or MSTAR-root paths, its folder spellings and label indices); small data
roots in the real layouts of each dataset (MSTAR's JPEG release with the same ``hb`` number in
several class folders, raw Phoenix files in serial-number folders, FUSAR-Ship1.0's tree,
OpenSARShip's scene folders with ``Patch``, ``Patch_Cal`` and ``Patch_Uint8`` copies) are
generated here. The written lists must build each config's dataset with the right classes
and counts; missing, ambiguous and inconsistent entries must fail naming the file and line.
"""
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from ..conftest import ROOT, load_tool

LISTS = ('Fine-tuning', 'Target_recognition', 'data')
CONFIGS = osp.join(ROOT, 'configs', '_base_', 'datasets')
TOOL = 'tools/dataset_converters/sar_hub_splits.py'
# SAR-HUB's MSTAR folder spellings and label indices (its train.txt), and the chips of each
# class here: the same hb numbers recur in several classes, as in the JPEG release
MSTAR_HUB = {'2S1': 0, 'BMP-2': 1, 'T-62': 6, 'ZSU-234': 9}
MSTAR_17 = {
    '2S1': (19377, 19379, 19381),
    'BMP-2': (19377, 19383),
    'T-62': (19377, 19389, 19391),
    'ZSU-234': (19379, 19400, 19402)
}
MSTAR_15 = {'2S1': (15001, 15003), 'BMP-2': (15001, ), 'T-62': (15005, ), 'ZSU-234': (15007, )}
# the JPEG release's folder names (sar_mm's spellings)
MSTAR_FOLDER = {'2S1': '2S1', 'BMP-2': 'BMP2', 'T-62': 'T62', 'ZSU-234': 'ZSU_23_4'}
MSTAR_EXT = {'2S1': '000', 'BMP-2': '000', 'T-62': '016', 'ZSU-234': '026'}


def _image(path, size=130, value=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(value)
    if path.endswith(('.tif', '.tiff')):
        import tifffile
        tifffile.imwrite(path, rng.integers(0, 255, (size, size), dtype=np.uint8))
    elif path.endswith(('.jpeg', '.jpg', '.png')):
        assert cv2.imwrite(path, rng.integers(0, 255, (size, size), dtype=np.uint8))
    else:  # a raw Phoenix file: listed, not read here
        with open(path, 'wb') as f:
            f.write(b'\x00' * 16)
    return path


def _write(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(path)


@pytest.fixture
def tool():
    return load_tool(TOOL)


@pytest.fixture
def sar_hub(tmp_path):
    """A SAR-HUB checkout with MSTAR, FSS and OSS lists in the release's format."""
    root = tmp_path / 'SAR-HUB'
    data = root.joinpath(*LISTS)

    def mstar(part, chips):
        return [
            f'/{part}/{folder}/HB{n}.{MSTAR_EXT[folder]}_Mag.npy {MSTAR_HUB[folder]}'
            for folder, numbers in chips.items() for n in numbers
        ]

    train = mstar('train', MSTAR_17)
    _write(data / 'MSTAR' / 'train.txt', train)
    _write(data / 'MSTAR' / 'test.txt', mstar('test', MSTAR_15))
    _write(data / 'MSTAR' / 'train_10.txt', train[::4])
    _write(data / 'MSTAR' / 'train_30.txt', train[::2])
    fusar = '/DATA/yhd/pycharm_YHD/transfer/SAR_Data/FUSAR_Ship/data_npy'
    _write(data / 'FSS' / 'FuSAR_train6.txt', [
        f'{fusar}/data1/Cargo/Ship_C01S07N1121.npy 0',
        f'{fusar}/data1/Cargo/Ship_C01S02N0004.npy 0',
        f'{fusar}/data4/Fishing/Ship_C04S02N0602.npy 2',
        f'{fusar}/data5/Tug/Ship_C13S01N0011.npy 5',
    ])
    _write(data / 'FSS' / 'FuSAR_test6.txt', [
        f'{fusar}/data1/Cargo/Ship_C01S07N0902.npy 0',
        f'{fusar}/data4/Tanker/Ship_C12S03N0020.npy 4',
    ])
    oss = '/DATA/yhd/pycharm_YHD/transfer/SAR_Data/OpenSARship/OpenSARShip_uint8'
    for size, train, test in (
        ('low', [('Tug', 0, 100, 200, 30, 8), ('Cargo', 11, 1456, 5194, 140, 20)],
         [('Search_and_Rescue_vessel', 3, 700, 800, 40, 9)]),
        ('medium', [('Cargo', 11, 278, 4072, 254, 43), ('Tanker', 12, 6262, 8671, 180, 30)],
         [('Dredging_or_underwater_ops', 10, 60, 5880, 90, 20)]),
        ('large', [('Fishing', 13, 909, 5436, 0, 0)], [('Cargo', 11, 4890, 3401, 190, 32)]),
    ):
        for part, rows in (('train', train), ('test', test)):
            _write(data / 'OSS' / f'{size}_{part}.txt', [
                f'{oss}/{t}/{x}_{y}_{length}_{width}_vv.jpg {label}'
                for t, label, x, y, length, width in rows
            ])
    return str(root)


@pytest.fixture
def mstar_root(tmp_path):
    """MSTAR's JPEG release layout (train/ = 17 deg, test/ = 15 deg), 8-bit chips."""
    root = tmp_path / 'mstar_soc10'
    for part, chips in (('train', MSTAR_17), ('test', MSTAR_15)):
        for folder, numbers in chips.items():
            for n in numbers:
                _image(str(root / part / MSTAR_FOLDER[folder] / f'hb{n}.jpeg'), value=n)
    return str(root)


def build_dataset(config, loader, data_root):
    from mmpretrain.registry import DATASETS

    import sar_mm  # noqa: F401  (registers the datasets and transforms)
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    dataset_cfg = cfg[loader].dataset.to_dict()
    dataset_cfg['data_root'] = data_root
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(dataset_cfg)


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def class_counts(dataset):
    counts = {}
    for info in infos(dataset):
        name = dataset.CLASSES[info['gt_label']]
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_mstar_lists_build_the_split_config(tool, sar_hub, mstar_root, capsys):
    tool.main(['mstar', '--sar-hub', sar_hub, '--data-root', mstar_root])
    out = capsys.readouterr().out
    assert 'train.txt: 11 of 11 chips' in out and 'test.txt: 5 of 5 chips' in out
    written = osp.join(mstar_root, 'splits', 'sar-hub')
    assert sorted(os.listdir(written)) == ['test.txt', 'train.txt', 'train_10.txt', 'train_30.txt']
    with open(osp.join(written, 'train.txt')) as f:
        lines = f.read().splitlines()
    assert lines[0].startswith('# SAR-HUB split MSTAR/train.txt (github.com/XAI4SAR/SAR-HUB')
    # same number, three targets: the class folder decides
    assert {
        'train/2S1/hb19377.jpeg\t2S1', 'train/BMP2/hb19377.jpeg\tBMP2',
        'train/T62/hb19377.jpeg\tT62'
    } <= set(lines)
    train = build_dataset('mstar_soc10_sar-hub-split.py', 'train_dataloader', mstar_root)
    test = build_dataset('mstar_soc10_sar-hub-split.py', 'test_dataloader', mstar_root)
    assert train.CLASSES == test.CLASSES == ('2S1', 'BMP2', 'BRDM_2', 'BTR60', 'BTR70', 'D7', 'T62',
                                             'T72', 'ZIL131', 'ZSU_23_4')
    assert class_counts(train) == {'2S1': 3, 'BMP2': 2, 'T62': 3, 'ZSU_23_4': 3}
    assert class_counts(test) == {'2S1': 2, 'BMP2': 1, 'T62': 1, 'ZSU_23_4': 1}
    assert all('/test/' in d['img_path'] for d in infos(test))
    sample = train[0]  # the config's pipeline reads the chip
    assert tuple(sample['inputs'].shape) == (1, 128, 128)
    # the 10 % list, as the config's documented override reads it
    from sar_mm.datasets import MSTAR
    subset = MSTAR(data_root=mstar_root, ann_file='splits/sar-hub/train_10.txt')
    assert len(subset) == 3


def test_mstar_raw_files_in_serial_number_folders(tool, sar_hub, tmp_path):
    """Raw Phoenix files (HB19377.000) under 17_DEG/<target>/<serial>/ folders match too."""
    root = tmp_path / 'MSTAR_raw'
    folders = {
        '2S1': '2S1/B01',
        'BMP-2': 'BMP2/SN_9563',
        'T-62': 'T62/A51',
        'ZSU-234': 'ZSU234/D08'
    }
    for folder, numbers in MSTAR_17.items():
        for n in numbers:
            _image(str(root / '17_DEG' / folders[folder] / f'HB{n}.{MSTAR_EXT[folder]}'))
    from sar_mm.datasets.converters import write_sar_hub_splits
    summary = write_sar_hub_splits(sar_hub, str(root), 'mstar', lists=['train.txt'])
    assert summary['train.txt']['written'] == 11
    assert summary['train.txt']['counts'] == {'2S1': 3, 'BMP2': 2, 'T62': 3, 'ZSU_23_4': 3}
    train = build_dataset('mstar_soc10_sar-hub-split.py', 'train_dataloader', str(root))
    assert 'BMP2/SN_9563/HB19377.000' in train.get_data_info(3)['img_path']


def test_missing_entries(sar_hub, mstar_root):
    """A SAR-HUB entry without a file names the SAR-HUB list and line; allow_missing writes
    the rest; a written entry whose file is gone names the written list and line."""
    from sar_mm.datasets.converters import SARHubSplitError, write_sar_hub_splits
    os.remove(osp.join(mstar_root, 'train', 'T62', 'hb19389.jpeg'))
    hub_train = osp.join(sar_hub, *LISTS, 'MSTAR', 'train.txt')
    with pytest.raises(SARHubSplitError) as err:
        write_sar_hub_splits(sar_hub, mstar_root, 'mstar')
    message = str(err.value)
    assert message.startswith('2 SAR-HUB entries have no file')  # train.txt and train_30.txt
    assert f'{hub_train}, line 7: no file of {mstar_root} for /train/T-62/HB19389.016_Mag.npy' \
        in message
    assert not osp.exists(osp.join(mstar_root, 'splits'))
    summary = write_sar_hub_splits(sar_hub, mstar_root, 'mstar', allow_missing=True)
    assert (summary['train.txt']['written'], summary['train.txt']['missing']) == (10, 1)
    written = summary['train.txt']['path']
    with open(written) as f:
        text = f.read()
    assert '# missing (SAR-HUB line 7): /train/T-62/HB19389.016_Mag.npy' in text
    train = build_dataset('mstar_soc10_sar-hub-split.py', 'train_dataloader', mstar_root)
    assert class_counts(train)['T62'] == 2
    # a chip removed after the lists were written: the dataset names the list and the line
    os.remove(osp.join(mstar_root, 'train', 'ZSU_23_4', 'hb19400.jpeg'))
    lineno = text.splitlines().index('train/ZSU_23_4/hb19400.jpeg\tZSU_23_4') + 1
    with pytest.raises(
            FileNotFoundError, match=re.escape(f'{written}, line {lineno}: image not found')):
        build_dataset('mstar_soc10_sar-hub-split.py', 'train_dataloader', mstar_root)


def test_ambiguous_copies_and_include(sar_hub, mstar_root):
    from sar_mm.datasets.converters import SARHubSplitError, write_sar_hub_splits
    _image(osp.join(mstar_root, 'raw', 'T62', 'HB19391.016'))  # a second copy of one chip
    with pytest.raises(SARHubSplitError, match=r'1 SAR-HUB entries match several files') as err:
        write_sar_hub_splits(sar_hub, mstar_root, 'mstar', lists=['train.txt'])
    assert 'line 8: /train/T-62/HB19391.016_Mag.npy matches 2 files: raw/T62/HB19391.016, ' \
        'train/T62/hb19391.jpeg' in str(err.value)
    summary = write_sar_hub_splits(
        sar_hub, mstar_root, 'mstar', lists=['train.txt'], exclude=['raw/*'])
    assert summary['train.txt']['written'] == 11


def test_inconsistent_or_malformed_sar_hub_lines(sar_hub, mstar_root):
    from sar_mm.datasets.converters import SARHubSplitError, write_sar_hub_splits
    hub_train = osp.join(sar_hub, *LISTS, 'MSTAR', 'train.txt')
    with open(hub_train) as f:
        lines = f.read().splitlines()
    _write(hub_train, lines[:2] + ['/train/T-62/HB19389.016_Mag.npy 7'] + lines[3:])
    expected = f"{hub_train}, line 3: the folder of '/train/T-62/HB19389.016_Mag.npy' is " \
        "class 'T62', its label 7 is 'T72'"
    with pytest.raises(SARHubSplitError, match=re.escape(expected)):
        write_sar_hub_splits(sar_hub, mstar_root, 'mstar')
    _write(hub_train, lines[:1] + ['/train/T-62/HB19389.016_Mag.npy'])
    with pytest.raises(SARHubSplitError, match=re.escape(hub_train) + ', line 2: expected "<path>'):
        write_sar_hub_splits(sar_hub, mstar_root, 'mstar')
    _write(hub_train, lines[:1] + ['/train/T-62/chip.npy 6'])
    with pytest.raises(SARHubSplitError, match=re.escape(hub_train) + ', line 2: expected'):
        write_sar_hub_splits(sar_hub, mstar_root, 'mstar')
    with pytest.raises(SARHubSplitError, match='no SAR-HUB FSS lists found'):
        write_sar_hub_splits(mstar_root, mstar_root, 'fusar')


def test_command_line_error(tool, sar_hub, tmp_path, capsys):
    with pytest.raises(SystemExit, match='sar_hub_splits: error: data root not found'):
        tool.main(['mstar', '--sar-hub', sar_hub, '--data-root', str(tmp_path / 'none')])


def test_fusar_lists_build_the_split_config(tool, sar_hub, tmp_path, capsys):
    """FUSAR-Ship1.0's tree (<type>/<subtype>/Ship_*.tiff) against SAR-HUB's absolute paths."""
    root = tmp_path / 'FUSAR-Ship'
    for rel in ('Cargo/BulkCarrier/Ship_C01S07N1121.tiff', 'Cargo/Other/Ship_C01S02N0004.tiff',
                'Fishing/Trawler/Ship_C04S02N0602.tiff', 'Tug/Tug/Ship_C13S01N0011.tiff',
                'Cargo/BulkCarrier/Ship_C01S07N0902.tiff', 'Tanker/Oil/Ship_C12S03N0020.tiff',
                'Other/Unknown/Ship_C15S01N0001.tiff'):
        _image(str(root / 'FUSAR-Ship1.0' / rel), size=140)
    tool.main(['fusar', '--sar-hub', sar_hub, '--data-root', str(root)])
    assert 'FuSAR_train6.txt: 4 of 4 chips' in capsys.readouterr().out
    train = build_dataset('fusar_ship_sar-hub-split.py', 'train_dataloader', str(root))
    test = build_dataset('fusar_ship_sar-hub-split.py', 'test_dataloader', str(root))
    assert train.CLASSES == ('Cargo', 'Dredger', 'Fishing', 'Passenger', 'Tanker', 'Tug')
    assert class_counts(train) == {'Cargo': 2, 'Fishing': 1, 'Tug': 1}
    assert class_counts(test) == {'Cargo': 1, 'Tanker': 1}
    assert tuple(test[1]['inputs'].shape) == (1, 128, 128)


def test_opensarship_lists_build_the_split_config(tool, sar_hub, tmp_path):
    """The release's scene folders: Patch, Patch_Cal and Patch_Uint8 (VV and VH) copies."""
    from sar_mm.datasets.converters import SARHubSplitError, write_sar_hub_splits
    root = tmp_path / 'OpenSARShip'
    chips = [('Tug', 100, 200), ('Cargo', 1456, 5194), ('Other Type', 700, 800),
             ('Cargo', 278, 4072), ('Tanker', 6262, 8671), ('Other Type', 60, 5880),
             ('Fishing', 909, 5436), ('Cargo', 4890, 3401), ('Cargo', 11, 12)]
    for i, (t, x, y) in enumerate(chips):
        scene = root / f'OpenSARShip{1 + i % 2}' / f'S1A_IW_GRDH_1SDV_scene{i % 3}'
        _image(str(scene / 'Patch' / f'{t}_x{x}_y{y}.tif'), size=40)
        _image(str(scene / 'Patch_Cal' / f'{t}_x{x}_y{y}.tif'), size=40)
        for pol in ('vh', 'vv'):
            _image(str(scene / 'Patch_Uint8' / f'Visual_{t}_x{x}_y{y}_{pol}.tif'), size=40)
    with pytest.raises(SARHubSplitError, match='matches 3 files'):
        write_sar_hub_splits(sar_hub, str(root), 'opensarship')
    tool.main([
        'opensarship', '--sar-hub', sar_hub, '--data-root',
        str(root), '--include', '*/Patch_Uint8/*'
    ])
    with open(osp.join(str(root), 'splits', 'sar-hub', 'low_test.txt')) as f:
        row = f.read().splitlines()[-1]
    assert row.endswith('/Patch_Uint8/Visual_Other Type_x700_y800_vv.tif\tSearch and Rescue Vessel')
    train = build_dataset('opensarship_sar-hub-split.py', 'train_dataloader', str(root))
    test = build_dataset('opensarship_sar-hub-split.py', 'test_dataloader', str(root))
    assert len(train.CLASSES) == 14 and train.CLASSES[0] == 'Tug' and \
        train.CLASSES[13] == 'Fishing'
    assert class_counts(train) == {'Cargo': 1, 'Tanker': 1}  # the medium subset
    assert class_counts(test) == {'Dredging or Underwater Ops': 1}
    assert tuple(test[0]['inputs'].shape) == (1, 96, 96)
