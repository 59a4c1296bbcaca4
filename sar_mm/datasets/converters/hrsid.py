"""HRSID scenes with boxes from their masks (the ``hrsid_mini`` layout) to COCO train / val.

HRSID: S. Wei, X. Zeng, Q. Qu, M. Wang, H. Su, J. Shi, "HRSID: A high-resolution SAR images
dataset for ship detection and instance segmentation", IEEE Access 8, 2020 (800 x 800 scenes).
The ``hrsid_mini`` layout holds ``images/*.jpg`` (8-bit scenes) and ``boxes_from_masks.json``:
per image file name, the boxes of its ship mask components as inclusive pixel ranges
``[x0, y0, x1, y1]``.

Box convention: an inclusive pixel range covers the continuous interval ``[x0, x1 + 1)``, so a box
becomes the COCO box ``[x0, y0, x1 + 1 - x0, y1 + 1 - y0]`` (scaled with the image).
"""
import json
import os
import os.path as osp

import cv2
import numpy as np

from sar_mm.fileio import read_sar


def convert_hrsid_mini(src, out, img_size, num_train=28, seed=0, min_box=3):
    """hrsid_mini (``images/*.jpg`` + ``boxes_from_masks.json``) -> COCO train / val splits.

    The images (sorted by name) are split at random (``seed``): ``num_train`` for training, the
    rest for validation. Each is written as an 8-bit grey PNG (its first band) scaled so that its
    longer side is ``img_size`` pixels (``cv2.INTER_AREA``), to ``out/images/<split>/``, with
    ``out/annotations/<split>.json`` (one category, ``ship``, id 1). Components narrower or lower
    than ``min_box`` pixels (at the original size; mask specks) are dropped.

    Args:
        src (str): The hrsid_mini folder.
        out (str): Output folder.
        img_size (int): Longer side of the written images, in pixels.
        num_train (int): Images in the training split. Defaults to 28 (of hrsid_mini's 36).
        seed (int): Seed of the split. Defaults to 0.
        min_box (int): Smallest kept box side, in original pixels. Defaults to 3.

    Returns:
        dict: Per split, ``dict(images=..., ships=...)`` counts.

    Raises:
        FileNotFoundError: ``src`` has no ``boxes_from_masks.json``.
    """
    box_file = osp.join(src, 'boxes_from_masks.json')
    if not osp.isfile(box_file):
        raise FileNotFoundError(f'{box_file} not found: {src} must be a hrsid_mini-style '
                                'folder (images/*.jpg and boxes_from_masks.json)')
    with open(box_file) as f:
        boxes = json.load(f)
    names = sorted(boxes)
    order = np.random.default_rng(seed).permutation(len(names))
    splits = dict(
        train=[names[i] for i in order[:num_train]], val=[names[i] for i in order[num_train:]])
    os.makedirs(osp.join(out, 'annotations'), exist_ok=True)
    summary = {}
    for split, members in splits.items():
        os.makedirs(osp.join(out, 'images', split), exist_ok=True)
        images, anns = [], []
        for name in members:
            array, _ = read_sar(osp.join(src, 'images', name))  # (H, W, C)
            h, w = array.shape[:2]
            scale = img_size / max(h, w)
            nh, nw = round(h * scale), round(w * scale)
            grey = cv2.resize(array[..., 0], (nw, nh), interpolation=cv2.INTER_AREA)
            file_name = osp.splitext(name)[0] + '.png'
            cv2.imwrite(
                osp.join(out, 'images', split, file_name),
                np.clip(grey.round(), 0, 255).astype(np.uint8))
            images.append(dict(id=len(images) + 1, file_name=file_name, width=nw, height=nh))
            for x0, y0, x1, y1 in boxes[name]:
                if x1 - x0 + 1 < min_box or y1 - y0 + 1 < min_box:
                    continue
                bw, bh = (x1 + 1 - x0) * scale, (y1 + 1 - y0) * scale
                anns.append(
                    dict(
                        id=len(anns) + 1,
                        image_id=images[-1]['id'],
                        category_id=1,
                        iscrowd=0,
                        bbox=[x0 * scale, y0 * scale, bw, bh],
                        area=bw * bh))
        with open(osp.join(out, 'annotations', f'{split}.json'), 'w') as f:
            json.dump(
                dict(images=images, annotations=anns, categories=[dict(id=1, name='ship')]), f)
        summary[split] = dict(images=len(images), ships=len(anns))
    return summary
