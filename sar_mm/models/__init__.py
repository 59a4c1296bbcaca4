"""sar_mm models; importing this package registers them in mmpretrain's ``MODELS``.

* :mod:`.target_generators`: per-patch prediction targets (SAR-JEPA's multi-scale ratio
  gradient and its baselines);
* :mod:`.selfsup`: self-supervised algorithms (SAR-JEPA);
* :mod:`.necks`: necks shared by mmdet and mmseg (ViT simple feature pyramid).
"""
from . import target_generators  # noqa: F401  (first: the algorithms build the generators)
from . import necks, selfsup  # noqa: F401,E402
from .target_generators import *  # noqa: F401,F403,E402
