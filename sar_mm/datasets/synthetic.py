"""Reproducible synthetic SAR data: speckled vehicle chips and ship scenes.

Used by ``make demo`` and the tests, so that both run on a fresh clone without downloads. The
images follow the usual SAR image model: a reflectivity map (clutter with a Gamma texture, bright
target scatterers, a radar shadow behind each vehicle) multiplied by fully developed speckle,
``I = R * S`` with ``S ~ Gamma(L, 1/L)`` for ``L`` looks (Goodman's model; mean 1, variance 1/L).
Files are written in real SAR storage formats: 16-bit PNG amplitude chips and float32 amplitude
TIFF scenes. Everything is drawn from ``numpy.random.Generator(PCG64(seed))``, so a seed gives the
same files on any machine.
"""
import json
import os
import os.path as osp

import numpy as np

# Synthetic vehicle classes: body length/width (pixels at 64-px chips) and where the bright
# scatterers sit along the body (fractions of length, width), plus an optional bright disc (turret).
VEHICLE_CLASSES = {
    'tank':
    dict(length=22, width=11, scatterers=[(0.0, 0.0)], turret=4.5),
    'truck':
    dict(length=30, width=8, scatterers=[(0.38, -0.3), (0.38, 0.3)], turret=0),
    'apc':
    dict(
        length=20,
        width=10,
        scatterers=[(-0.45, -0.45), (-0.45, 0.45), (0.45, -0.45), (0.45, 0.45)],
        turret=0),
    'bulldozer':
    dict(length=15, width=13, scatterers=[(0.5, -0.4), (0.5, 0.0), (0.5, 0.4)], turret=0),
    'air_defence':
    dict(
        length=19,
        width=10,
        scatterers=[(-0.1, -0.2), (-0.1, 0.2), (0.1, -0.2), (0.1, 0.2)],
        turret=2.5),
}
# 16-bit storage gain: amplitude * AMPLITUDE_GAIN is written to the PNG.
AMPLITUDE_GAIN = 2000.0


def _rng(seed, *stream):
    return np.random.Generator(np.random.PCG64([int(seed)] + [int(s) for s in stream]))


def speckle(reflectivity, looks, rng):
    """Intensity of an L-look speckled image: ``R * Gamma(L, 1/L)``."""
    return reflectivity * rng.gamma(looks, 1.0 / looks, size=reflectivity.shape)


def clutter(shape, mean, texture_shape, rng):
    """Textured clutter reflectivity: ``mean`` times a smoothed Gamma texture (K-like)."""
    texture = rng.gamma(texture_shape, 1.0 / texture_shape, size=shape)
    # a 3x3 box smoothing keeps the texture correlated over a few pixels
    padded = np.pad(texture, 1, mode='reflect')
    smooth = sum(padded[i:i + shape[0], j:j + shape[1]] for i in range(3) for j in range(3)) / 9
    return mean * smooth


def _rotated_coords(shape, centre, angle):
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    dy, dx = yy - centre[0], xx - centre[1]
    c, s = np.cos(angle), np.sin(angle)
    along = dx * c + dy * s
    across = -dx * s + dy * c
    return along, across


def vehicle_chip(class_name, size, rng, looks=3):
    """One speckled vehicle chip: returns (amplitude float32 (size, size), target mask)."""
    spec = VEHICLE_CLASSES[class_name]
    centre = (size / 2 + rng.uniform(-3, 3), size / 2 + rng.uniform(-3, 3))
    angle = rng.uniform(0, 2 * np.pi)
    scale = size / 64.0 * rng.uniform(0.9, 1.1)
    length, width = spec['length'] * scale, spec['width'] * scale
    along, across = _rotated_coords((size, size), centre, angle)
    body = (np.abs(along) <= length / 2) & (np.abs(across) <= width / 2)
    refl = clutter((size, size), 0.02, 4.0, rng)
    # radar shadow: the body's footprint shifted away from the sensor (down-range = +y)
    shift = int(round(0.35 * length))
    shadow = np.zeros_like(body)
    shadow[shift:] = body[:-shift] if shift else body
    shadow &= ~body
    refl[shadow] = 0.002
    refl[body] = 0.25
    for fa, fc in spec['scatterers']:
        ca, cc = fa * length / 2, fc * width / 2
        blob = (along - ca)**2 + (across - cc)**2 <= (1.2 * scale)**2
        refl[blob] = rng.uniform(6, 12)
    if spec['turret']:
        refl[along**2 + across**2 <= (spec['turret'] * scale)**2] = 3.0
    amplitude = np.sqrt(speckle(refl, looks, rng)).astype(np.float32)
    return amplitude, body


def ship_scene(size, num_ships, rng, looks=2):
    """A sea scene with ships: returns (amplitude float32, instance masks list, boxes xyxy)."""
    refl = clutter((size, size), 0.01, 2.0, rng)
    masks, boxes = [], []
    occupied = np.zeros((size, size), bool)
    for _ in range(num_ships * 10):
        if len(masks) == num_ships:
            break
        length = rng.uniform(0.06, 0.2) * size
        width = length * rng.uniform(0.18, 0.3)
        centre = rng.uniform(length / 2 + 2, size - length / 2 - 2, size=2)
        along, across = _rotated_coords((size, size), centre, rng.uniform(0, np.pi))
        hull = (along / (length / 2))**2 + (across / (width / 2))**2 <= 1.0
        if hull.sum() < 6 or (hull & occupied).any():
            continue
        occupied |= hull
        refl[hull] = rng.uniform(0.5, 2.0)
        for frac in rng.uniform(-0.4, 0.4, size=3):
            refl[hull & ((along - frac * length)**2 + across**2 <= 2.0)] = rng.uniform(10, 40)
        ys, xs = np.nonzero(hull)
        masks.append(hull)
        boxes.append([float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)])
    amplitude = np.sqrt(speckle(refl, looks, rng)).astype(np.float32)
    return amplitude, masks, boxes


def _write_png16(path, amplitude):
    import cv2
    data = np.clip(np.round(amplitude * AMPLITUDE_GAIN), 0, 65535).astype(np.uint16)
    if not cv2.imwrite(path, data):
        raise OSError(f'could not write {path}')


def make_classification_set(out_dir, per_class, size=64, seed=0, classes=None):
    """16-bit PNG vehicle chips in ``images/<class>/`` plus ``meta/all.txt`` (``path label`` lines
    relative to ``out_dir``) and ``meta/classes.txt``.

    Returns:
        dict: ``classes`` (tuple) and ``num_samples``.
    """
    classes = tuple(classes or VEHICLE_CLASSES)
    lines = []
    for label, name in enumerate(classes):
        os.makedirs(osp.join(out_dir, 'images', name), exist_ok=True)
        rng = _rng(seed, 1, label)
        for i in range(per_class):
            amplitude, _ = vehicle_chip(name, size, rng)
            rel = f'images/{name}/{name}_{i:04d}.png'
            _write_png16(osp.join(out_dir, rel), amplitude)
            lines.append(f'{rel} {label}')
    os.makedirs(osp.join(out_dir, 'meta'), exist_ok=True)
    with open(osp.join(out_dir, 'meta', 'all.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(out_dir, 'meta', 'classes.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    return dict(classes=classes, num_samples=len(lines))


def make_dual_polarisation_set(out_dir, per_class, size=64, seed=0, classes=None, looks=3):
    """Co-registered co-/cross-polarised (VV, VH) vehicle chips for paired-modality tests.

    VV is :func:`vehicle_chip`; VH is drawn from it, co-registered: the VV intensity times a
    cross-pol ratio (0.1 on clutter, 0.25 on the body, 0.5 on the body of turreted classes,
    whose volume scattering depolarises more) times independent speckle. Writes 16-bit PNG
    amplitude ``images/<class>/<name>_{vv,vh}.png`` and ``meta/all.txt`` with
    ``vv_path vh_path label`` lines (relative to ``out_dir``), plus ``meta/classes.txt``.

    Returns:
        dict: ``classes`` (tuple) and ``num_samples``.
    """
    classes = tuple(classes or VEHICLE_CLASSES)
    lines = []
    for label, name in enumerate(classes):
        os.makedirs(osp.join(out_dir, 'images', name), exist_ok=True)
        rng = _rng(seed, 4, label)
        body_ratio = 0.5 if VEHICLE_CLASSES[name]['turret'] else 0.25
        for i in range(per_class):
            vv, body = vehicle_chip(name, size, rng, looks=looks)
            ratio = np.where(body, body_ratio, 0.1)
            vh = np.sqrt(speckle(vv.astype(np.float64)**2 * ratio, looks, rng))
            rel = [f'images/{name}/{name}_{i:04d}_{pol}.png' for pol in ('vv', 'vh')]
            _write_png16(osp.join(out_dir, rel[0]), vv)
            _write_png16(osp.join(out_dir, rel[1]), vh.astype(np.float32))
            lines.append(f'{rel[0]} {rel[1]} {label}')
    os.makedirs(osp.join(out_dir, 'meta'), exist_ok=True)
    with open(osp.join(out_dir, 'meta', 'all.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(out_dir, 'meta', 'classes.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    return dict(classes=classes, num_samples=len(lines))


def make_unlabeled_set(out_dir, num, size=64, seed=0):
    """Unlabelled float32 ``.npy`` amplitude chips: vehicles of every class and empty clutter."""
    os.makedirs(out_dir, exist_ok=True)
    rng = _rng(seed, 2)
    names = list(VEHICLE_CLASSES)
    for i in range(num):
        kind = rng.integers(len(names) + 1)
        if kind == len(names):
            amplitude = np.sqrt(speckle(clutter((size, size), 0.02, 4.0, rng), 3, rng))
        else:
            amplitude, _ = vehicle_chip(names[kind], size, rng)
        np.save(osp.join(out_dir, f'chip_{i:05d}.npy'), amplitude.astype(np.float32))
    return dict(num_samples=num)


def make_ship_scenes(out_dir, splits, size=256, max_ships=4, seed=0):
    """Ship scenes as float32 amplitude TIFFs with COCO boxes and semantic masks.

    Writes ``images/<split>/*.tif``, ``masks/<split>/*.png`` (0 sea, 1 ship) and
    ``annotations/<split>.json`` (COCO, one category ``ship``) for each ``split: count`` item.
    """
    import cv2
    import tifffile
    summary = {}
    for split_index, (split, count) in enumerate(sorted(splits.items())):
        img_dir = osp.join(out_dir, 'images', split)
        mask_dir = osp.join(out_dir, 'masks', split)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(mask_dir, exist_ok=True)
        os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
        rng = _rng(seed, 3, split_index)
        images, annotations = [], []
        for i in range(count):
            amplitude, masks, boxes = ship_scene(size, int(rng.integers(1, max_ships + 1)), rng)
            name = f'{split}_{i:04d}'
            tifffile.imwrite(osp.join(img_dir, name + '.tif'), amplitude)
            semantic = np.zeros((size, size), np.uint8)
            for m in masks:
                semantic[m] = 1
            cv2.imwrite(osp.join(mask_dir, name + '.png'), semantic)
            images.append(dict(id=i + 1, file_name=name + '.tif', width=size, height=size))
            for m, (x0, y0, x1, y1) in zip(masks, boxes):
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=i + 1,
                        category_id=1,
                        iscrowd=0,
                        bbox=[x0, y0, x1 - x0, y1 - y0],
                        area=float(m.sum())))
        with open(osp.join(out_dir, 'annotations', f'{split}.json'), 'w') as f:
            json.dump(
                dict(images=images, annotations=annotations, categories=[dict(id=1, name='ship')]),
                f)
        summary[split] = dict(images=count, ships=len(annotations))
    return summary


# Sizes of the generated sets: 'demo' for `make demo`, 'tiny' for the test suite.
PRESETS = {
    'demo':
    dict(unlabeled=1500, chip_size=64, per_class=60, scenes=dict(train=60, val=20), scene_size=256),
    'tiny':
    dict(unlabeled=64, chip_size=32, per_class=12, scenes=dict(train=4, val=2), scene_size=128),
}


def make_synthetic_sar(root, preset='demo', seed=0):
    """Write all synthetic sets under ``root``: ``unlabeled/``, ``vehicles/``, ``ships/``."""
    cfg = PRESETS[preset]
    return dict(
        unlabeled=make_unlabeled_set(
            osp.join(root, 'unlabeled'), cfg['unlabeled'], cfg['chip_size'], seed),
        vehicles=make_classification_set(
            osp.join(root, 'vehicles'), cfg['per_class'], cfg['chip_size'], seed),
        ships=make_ship_scenes(
            osp.join(root, 'ships'), cfg['scenes'], cfg['scene_size'], seed=seed),
    )
