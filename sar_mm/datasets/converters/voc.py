"""Pascal VOC (SSDD, LS-SSDD-v1.0 releases) to COCO json conversion.

Box convention: VOC ``<bndbox>`` values are 1-based, inclusive pixel indices (pixel ``xmin``
through pixel ``xmax`` belong to the object), while COCO boxes are continuous 0-based coordinates
in which pixel ``i`` covers ``[i, i + 1)``. ``box_convention='voc'`` (the default) therefore
writes ``[xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]``, so the COCO box covers exactly
the annotated pixels. ``box_convention='corners'`` reads the four values as continuous corner
coordinates instead and writes ``[xmin, ymin, xmax - xmin, ymax - ymin]`` (what mmdet's
``XMLDataset`` does). Boxes are clipped to the image.
"""
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET

from mmengine.logging import print_log

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp', '.npy')
BOX_CONVENTIONS = ('voc', 'corners')


class VOCFormatError(ValueError):
    """A VOC annotation file that cannot be converted; the message names the file."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f'{path}: {problem}')


def read_split_ids(path):
    """Image ids of an ``ImageSets/Main/<split>.txt`` file (first token of each non-empty line)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file not found: {path}')
    with open(path) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    return ids


def _number(node, tag, xml_path, where):
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise VOCFormatError(xml_path, f'{where} lacks <{tag}>')
    try:
        return float(child.text)
    except ValueError:
        raise VOCFormatError(xml_path, f'{where} has a non-numeric <{tag}>: {child.text!r}')


def parse_voc_xml(xml_path, classes=('ship', )):
    """Parse one VOC annotation file.

    Args:
        xml_path (str): The ``.xml`` file.
        classes (Sequence[str]): Known class names; any other ``<name>`` is an error.

    Returns:
        dict: ``filename`` (str or None), ``width``/``height`` (int, 0 when ``<size>`` is absent)
        and ``objects``: a list of ``dict(name, bbox=(xmin, ymin, xmax, ymax))`` as written.

    Raises:
        FileNotFoundError: the file does not exist.
        VOCFormatError: malformed XML, an object without ``<bndbox>`` or a coordinate, inverted
            box, or a class not in ``classes``.
    """
    if not osp.isfile(xml_path):
        raise FileNotFoundError(f'annotation file not found: {xml_path}')
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as err:
        raise VOCFormatError(xml_path, f'malformed XML ({err})') from err
    if root.tag != 'annotation':
        raise VOCFormatError(xml_path, f'root element is <{root.tag}>, expected <annotation>')
    filename = root.findtext('filename')
    filename = filename.strip() if filename else None
    size = root.find('size')
    width = height = 0
    if size is not None:
        try:
            width = int(float(size.findtext('width') or 0))
            height = int(float(size.findtext('height') or 0))
        except ValueError as err:
            raise VOCFormatError(xml_path, f'non-numeric <size> ({err})') from err
    objects = []
    for i, obj in enumerate(root.findall('object')):
        name = (obj.findtext('name') or '').strip()
        where = f'object {i} ({name or "no name"})'
        if not name:
            raise VOCFormatError(xml_path, f'object {i} has no <name>')
        if name not in classes:
            raise VOCFormatError(
                xml_path, f'{where}: unknown class {name!r}; known classes: '
                f'{list(classes)} (pass --classes to add it)')
        box = obj.find('bndbox')
        if box is None:
            raise VOCFormatError(xml_path, f'{where} has no <bndbox>')
        xmin, ymin, xmax, ymax = (
            _number(box, t, xml_path, where) for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        if xmax < xmin or ymax < ymin:
            raise VOCFormatError(
                xml_path, f'{where} has an inverted box '
                f'(xmin, ymin, xmax, ymax) = {(xmin, ymin, xmax, ymax)}')
        objects.append(dict(name=name, bbox=(xmin, ymin, xmax, ymax)))
    return dict(filename=filename, width=width, height=height, objects=objects)


def voc_box_to_coco(bbox, convention='voc', width=None, height=None):
    """``(xmin, ymin, xmax, ymax)`` of a VOC file to a COCO ``[x, y, w, h]`` (see module doc)."""
    if convention not in BOX_CONVENTIONS:
        raise ValueError(f'box convention must be one of {BOX_CONVENTIONS}, got {convention!r}')
    xmin, ymin, xmax, ymax = bbox
    if convention == 'voc':
        x0, y0, x1, y1 = xmin - 1, ymin - 1, xmax, ymax
    else:
        x0, y0, x1, y1 = xmin, ymin, xmax, ymax
    x0, y0 = max(x0, 0.0), max(y0, 0.0)
    if width:
        x1 = min(x1, float(width))
    if height:
        y1 = min(y1, float(height))
    return [x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0)]


def _find_image(img_dir, image_id, xml_filename):
    for ext in IMAGE_EXTENSIONS:
        for candidate in (image_id + ext, image_id + ext.upper()):
            if osp.isfile(osp.join(img_dir, candidate)):
                return candidate
    if xml_filename and osp.isfile(osp.join(img_dir, xml_filename)):
        return xml_filename
    return None


def _image_size(path):
    from sar_mm.fileio import read_sar
    array, _ = read_sar(path)
    return array.shape[1], array.shape[0]


def voc_to_coco(voc_root,
                split,
                classes=('ship', ),
                ann_dir='Annotations',
                img_dir='JPEGImages',
                split_dir=osp.join('ImageSets', 'Main'),
                skip_empty=False,
                box_convention='voc',
                progress=True):
    """Convert one split of a VOC-layout dataset to a COCO dict.

    Args:
        voc_root (str): Folder holding ``ann_dir``, ``img_dir`` and ``split_dir``.
        split (str): Split name; its ids are read from ``<split_dir>/<split>.txt``.
        classes (Sequence[str]): Category names, given ids 1, 2, ... in this order.
            Defaults to ``('ship',)``.
        ann_dir (str): Folder of the ``<id>.xml`` files. Defaults to ``'Annotations'``.
        img_dir (str): Folder of the images; COCO ``file_name`` is relative to it.
            Defaults to ``'JPEGImages'``.
        split_dir (str): Folder of the split lists. Defaults to ``'ImageSets/Main'``.
        skip_empty (bool): Leave out images without objects (with a warning giving their
            count) instead of keeping them as negatives. Defaults to False.
        box_convention (str): ``'voc'`` (1-based inclusive pixels, default) or ``'corners'``.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: COCO json content (``images``, ``annotations``, ``categories``, ``info``).
    """
    if box_convention not in BOX_CONVENTIONS:
        raise ValueError(f'box_convention must be one of {BOX_CONVENTIONS}, got '
                         f'{box_convention!r}')
    classes = tuple(classes)
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f'classes must be non-empty and unique, got {list(classes)}')
    ann_root, img_root = osp.join(voc_root, ann_dir), osp.join(voc_root, img_dir)
    for folder in (ann_root, img_root):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'folder not found: {folder}')
    ids = read_split_ids(osp.join(voc_root, split_dir, f'{split}.txt'))
    cat_ids = {name: i + 1 for i, name in enumerate(classes)}
    images, annotations, skipped = [], [], []
    iterator = ids
    if progress and ids:
        from mmengine.utils import track_iter_progress
        iterator = track_iter_progress(ids)
    for image_id in iterator:
        xml_path = osp.join(ann_root, f'{image_id}.xml')
        parsed = parse_voc_xml(xml_path, classes)
        if not parsed['objects'] and skip_empty:
            skipped.append(image_id)
            continue
        file_name = _find_image(img_root, image_id, parsed['filename'])
        if file_name is None:
            raise FileNotFoundError(f'{xml_path}: no image {image_id}.* (or <filename> '
                                    f'{parsed["filename"]!r}) in {img_root}')
        width, height = parsed['width'], parsed['height']
        if width <= 0 or height <= 0:
            width, height = _image_size(osp.join(img_root, file_name))
        coco_id = len(images) + 1
        images.append(dict(id=coco_id, file_name=file_name, width=width, height=height))
        for obj in parsed['objects']:
            box = voc_box_to_coco(obj['bbox'], box_convention, width, height)
            if box[2] <= 0 or box[3] <= 0:
                raise VOCFormatError(
                    xml_path, f'box {obj["bbox"]} is empty inside the '
                    f'{width}x{height} image')
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=coco_id,
                    category_id=cat_ids[obj['name']],
                    bbox=box,
                    area=box[2] * box[3],
                    iscrowd=0))
    if skipped:
        print_log(
            f'{split}: skipped {len(skipped)} image(s) without objects (e.g. '
            f'{", ".join(skipped[:5])})',
            logger='current',
            level=30)
    return dict(
        info=dict(description=f'{osp.basename(osp.normpath(voc_root))} {split} '
                  f'(converted from VOC, box convention {box_convention!r})'),
        images=images,
        annotations=annotations,
        categories=[dict(id=i, name=n, supercategory='none') for n, i in cat_ids.items()])


def convert_voc_to_coco(voc_root, out_dir, splits=('train', 'test'), **kwargs):
    """Convert each split with :func:`voc_to_coco` and write ``<out_dir>/<split>.json``.

    Args:
        voc_root (str): VOC root folder.
        out_dir (str): Output folder (created if needed).
        splits (Sequence[str]): Split names. Defaults to ``('train', 'test')``.
        **kwargs: Other arguments of :func:`voc_to_coco`.

    Returns:
        dict: ``split -> (json path, number of images, number of boxes)``.
    """
    # convert every split before writing any, so an error leaves no partial output
    cocos = {split: voc_to_coco(voc_root, split, **kwargs) for split in splits}
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for split, coco in cocos.items():
        path = osp.join(out_dir, f'{split}.json')
        with open(path, 'w') as f:
            json.dump(coco, f)
        written[split] = (path, len(coco['images']), len(coco['annotations']))
    return written
