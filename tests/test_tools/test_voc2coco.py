"""VOC (SSDD release) -> COCO conversion: box convention, errors, and the CLI."""
import json
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import ROOT, run_tool

TOOL = 'tools/dataset_converters/voc2coco.py'
# image id -> (height, width, ships as 0-based inclusive pixel ranges (c0, r0, c1, r1))
IMAGES = {
    '000001': (30, 40, [(2, 3, 9, 7), (20, 10, 35, 28)]),
    '000002': (24, 32, [(0, 0, 4, 2)]),
    '000009': (16, 16, []),
}
SPLITS = {'train': ['000001', '000002'], 'test': ['000009']}


def _xml(filename, h, w, objects, extra=''):
    objs = ''.join(f'<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{x0}</xmin>'
                   f'<ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>'
                   for name, (x0, y0, x1, y1) in objects)
    return (f'<annotation><folder>JPEGImages</folder><filename>{filename}</filename>'
            f'<size><width>{w}</width><height>{h}</height><depth>1</depth></size>'
            f'{objs}{extra}</annotation>')


def _voc_boxes(ships):
    """The 1-based inclusive VOC boxes of ships given as 0-based inclusive pixel ranges."""
    return [(c0 + 1, r0 + 1, c1 + 1, r1 + 1) for c0, r0, c1, r1 in ships]


@pytest.fixture
def voc_root(tmp_path):
    """An SSDD-like VOC tree whose ships are bright rectangles exactly on their annotated pixels."""
    import cv2
    root = tmp_path / 'SSDD'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (root / sub).mkdir(parents=True)
    for image_id, (h, w, ships) in IMAGES.items():
        img = np.full((h, w), 10, np.uint8)
        for c0, r0, c1, r1 in ships:
            img[r0:r1 + 1, c0:c1 + 1] = 250
        cv2.imwrite(str(root / 'JPEGImages' / f'{image_id}.png'), img)
        objects = [('ship', b) for b in _voc_boxes(ships)]
        (root / 'Annotations' / f'{image_id}.xml').write_text(
            _xml(f'{image_id}.png', h, w, objects))
    for split, ids in SPLITS.items():
        (root / 'ImageSets' / 'Main' / f'{split}.txt').write_text('\n'.join(ids) + '\n')
    return root


def test_round_trip_boxes_match_xml_and_pixels(voc_root, tmp_path):
    import cv2

    from sar_mm.datasets.converters import convert_voc_to_coco, parse_voc_xml
    written = convert_voc_to_coco(str(voc_root), str(tmp_path / 'coco'), progress=False)
    assert set(written) == {'train', 'test'}
    with open(written['train'][0]) as f:
        coco = json.load(f)
    assert coco['categories'] == [dict(id=1, name='ship', supercategory='none')]
    images = {im['id']: im for im in coco['images']}
    assert [im['file_name'] for im in coco['images']] == ['000001.png', '000002.png']
    num = 0
    for image in coco['images']:
        image_id = image['file_name'][:-4]
        h, w, ships = IMAGES[image_id]
        assert (image['height'], image['width']) == (h, w)
        xml_boxes = [
            o['bbox']
            for o in parse_voc_xml(str(voc_root / 'Annotations' / f'{image_id}.xml'))['objects']
        ]
        anns = [a for a in coco['annotations'] if a['image_id'] == image['id']]
        assert len(anns) == len(xml_boxes) == len(ships)
        pixels = cv2.imread(str(voc_root / 'JPEGImages' / image['file_name']), cv2.IMREAD_UNCHANGED)
        for ann, (xmin, ymin, xmax, ymax) in zip(anns, xml_boxes):
            # the stated convention: 1-based inclusive VOC -> 0-based COCO [x, y, w, h]
            assert ann['bbox'] == [xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]
            assert ann['area'] == ann['bbox'][2] * ann['bbox'][3]
            assert ann['iscrowd'] == 0 and ann['category_id'] == 1
            assert ann['image_id'] in images
            # ... which covers exactly the ship's pixels
            x, y, bw, bh = map(int, ann['bbox'])
            assert (pixels[y:y + bh, x:x + bw] == 250).all()
            ring = pixels[max(y - 1, 0):y + bh + 1, max(x - 1, 0):x + bw + 1]
            assert (ring == 250).sum() == bw * bh  # no bright pixel just outside the box
            num += 1
    assert num == 3
    assert len({a['id'] for a in coco['annotations']}) == 3
    with open(written['test'][0]) as f:
        test = json.load(f)
    # images without ships are kept by default (negatives)
    assert len(test['images']) == 1 and test['annotations'] == []


def test_converted_json_loads_in_ssdd_dataset(voc_root, tmp_path):
    from mmdet.registry import DATASETS
    from mmengine.registry import DefaultScope

    from sar_mm.datasets.converters import convert_voc_to_coco
    convert_voc_to_coco(str(voc_root), str(voc_root / 'coco'), splits=['train'], progress=False)
    with DefaultScope.overwrite_default_scope('mmdet'):
        ds = DATASETS.build(
            dict(
                type='SSDD',
                data_root=str(voc_root),
                ann_file='coco/train.json',
                data_prefix=dict(img='JPEGImages/'),
                pipeline=[
                    dict(type='LoadSARImage'),
                    dict(type='LoadAnnotations'),
                    dict(type='PackDetInputs')
                ]))
        sample = ds[0]
    h, w, ships = IMAGES['000001']
    assert tuple(sample['inputs'].shape) == (1, h, w)
    np.testing.assert_allclose(sample['data_samples'].gt_instances.bboxes.numpy(),
                               [[c0, r0, c1 + 1, r1 + 1] for c0, r0, c1, r1 in ships])


def test_corners_convention_and_skip_empty(voc_root):
    from sar_mm.datasets.converters import voc_to_coco
    coco = voc_to_coco(str(voc_root), 'train', box_convention='corners', progress=False)
    xmin, ymin, xmax, ymax = _voc_boxes(IMAGES['000001'][2])[0]
    assert coco['annotations'][0]['bbox'] == [xmin, ymin, xmax - xmin, ymax - ymin]
    kept = voc_to_coco(str(voc_root), 'test', progress=False)
    assert len(kept['images']) == 1
    skipped = voc_to_coco(str(voc_root), 'test', skip_empty=True, progress=False)
    assert skipped['images'] == [] and skipped['annotations'] == []


def _expect_error(voc_root, xml_text, pattern, image_id='000002'):
    from sar_mm.datasets.converters import voc_to_coco
    xml = voc_root / 'Annotations' / f'{image_id}.xml'
    xml.write_text(xml_text)
    with pytest.raises(ValueError) as info:
        voc_to_coco(str(voc_root), 'train', progress=False)
    assert str(xml) in str(info.value)
    assert re.search(pattern, str(info.value)), str(info.value)


def test_malformed_xml_is_named(voc_root):
    _expect_error(voc_root, '<annotation><object><name>ship</name>', 'malformed XML')


def test_missing_bndbox_is_named(voc_root):
    _expect_error(voc_root, '<annotation><object><name>ship</name></object></annotation>',
                  'has no <bndbox>')


def test_missing_coordinate_is_named(voc_root):
    _expect_error(
        voc_root, '<annotation><object><name>ship</name><bndbox><xmin>1</xmin>'
        '<ymin>1</ymin><xmax>3</xmax></bndbox></object></annotation>', 'lacks <ymax>')


def test_unknown_class_is_named(voc_root):
    _expect_error(voc_root, _xml('000002.png', 24, 32, [('boat', (1, 1, 5, 5))]),
                  "unknown class 'boat'")
    from sar_mm.datasets.converters import voc_to_coco
    coco = voc_to_coco(str(voc_root), 'train', classes=['ship', 'boat'], progress=False)
    assert [c['name'] for c in coco['categories']] == ['ship', 'boat']
    assert coco['annotations'][-1]['category_id'] == 2


def test_missing_files_are_named(voc_root):
    from sar_mm.datasets.converters import voc_to_coco
    with pytest.raises(
            FileNotFoundError, match=re.escape(str(voc_root / 'ImageSets' / 'Main' / 'val.txt'))):
        voc_to_coco(str(voc_root), 'val', progress=False)
    (voc_root / 'JPEGImages' / '000002.png').unlink()
    with pytest.raises(
            FileNotFoundError, match=re.escape(str(voc_root / 'Annotations' / '000002.xml'))):
        voc_to_coco(str(voc_root), 'train', progress=False)
    (voc_root / 'Annotations' / '000001.xml').unlink()
    with pytest.raises(
            FileNotFoundError, match=re.escape(str(voc_root / 'Annotations' / '000001.xml'))):
        voc_to_coco(str(voc_root), 'train', progress=False)


def test_cli_writes_json_per_split(voc_root, tmp_path):
    out = tmp_path / 'out'
    proc = run_tool([
        TOOL,
        str(voc_root), '--out-dir',
        str(out), '--splits', 'train', 'test', '--classes', 'ship'
    ])
    assert 'train: 2 images, 3 boxes' in proc.stdout
    assert 'test: 1 images, 0 boxes' in proc.stdout
    with open(out / 'train.json') as f:
        coco = json.load(f)
    assert len(coco['annotations']) == 3
    xmin, ymin, xmax, ymax = _voc_boxes(IMAGES['000002'][2])[0]
    assert coco['annotations'][-1]['bbox'] == [xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]
    proc = run_tool(
        [TOOL, str(voc_root), '--out-dir',
         str(out), '--splits', 'test', '--skip-empty'])
    assert 'skipped 1 image(s) without objects (e.g. 000009)' in proc.stdout + proc.stderr
    with open(out / 'test.json') as f:
        assert json.load(f)['images'] == []


def test_cli_error_names_xml_and_writes_nothing(voc_root, tmp_path):
    xml = voc_root / 'Annotations' / '000009.xml'
    xml.write_text('<annotation><object><name>ship</name></object></annotation>')
    out = tmp_path / 'out'
    proc = subprocess.run(
        [sys.executable, TOOL, str(voc_root), '--out-dir',
         str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode != 0
    assert str(xml) in proc.stderr and 'has no <bndbox>' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not osp.exists(out / 'train.json')
