"""Tiny models saved as checkpoints and one SAR image written in every format, for the API and
demo tests."""
import os
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import save_checkpoint

from ..conftest import ROOT

RESNET_CLS = 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py'
VIT_CLS = 'configs/fewshot/vit-tiny-p8-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py'
FCOS = 'configs/fcos/fcos_r18-1ch_fpn_gn-head_1xb4-12e_synthetic-sar-ships.py'
DEEPLAB = 'configs/deeplabv3/deeplabv3_r18-d8-1ch_1xb4-2k_synthetic-sar-ships.py'
CLASSES = ['tank', 'truck', 'apc', 'bus', 'van']


def config_path(config):
    return osp.join(ROOT, config)


def build_model(config, seed=0):
    """The config's model (data preprocessor merged, as the Runner does), initialised."""
    cfg = Config.fromfile(config_path(config))
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def save_random_checkpoint(config, path, seed=0, dataset_meta=None):
    """Save a randomly initialised model of ``config`` as an mmengine checkpoint."""
    model = build_model(config, seed)
    meta = {} if dataset_meta is None else {'dataset_meta': dataset_meta}
    save_checkpoint({'state_dict': model.state_dict(), 'meta': meta}, str(path))
    return str(path)


def sar_amplitude(size=32, seed=0, gain=2000.0):
    """Integer-valued amplitudes (1..65535) with a bright target: every format stores them
    exactly, so every format must give the same prediction."""
    rng = np.random.default_rng(seed)
    amp = rng.gamma(1.0, 0.2, (size, size)) * gain
    amp[size // 4:size // 2, size // 3:2 * size // 3] *= 6
    return np.clip(np.round(amp), 1, 65535).astype(np.float32)


def write_all_formats(folder, amp, phase_seed=1):
    """``amp`` as MSTAR Phoenix raw (with phase, numeric extension), 16-bit PNG, float32 TIFF
    and complex64 .npy; returns ``{kind: path}``."""
    import cv2
    import tifffile

    from sar_mm.fileio import write_mstar_raw
    os.makedirs(folder, exist_ok=True)
    phase = np.random.default_rng(phase_seed).uniform(-np.pi, np.pi, amp.shape)
    paths = dict(
        mstar=osp.join(folder, 'HB03787.015'),
        png16=osp.join(folder, 'chip16.png'),
        tiff=osp.join(folder, 'chipf32.tif'),
        npy=osp.join(folder, 'chipc64.npy'))
    write_mstar_raw(paths['mstar'], amp, phase, TargetType='t72')
    cv2.imwrite(paths['png16'], amp.astype(np.uint16))
    tifffile.imwrite(paths['tiff'], amp.astype(np.float32))
    np.save(paths['npy'], (amp * np.exp(1j * phase)).astype(np.complex64))
    return paths
