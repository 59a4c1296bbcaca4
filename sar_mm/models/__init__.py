"""sar_mm models; importing this package registers them in mmpretrain's ``MODELS``.

* :mod:`.target_generators`: per-patch prediction targets (SAR-JEPA's multi-scale ratio
  gradient and its baselines);
* :mod:`.backbones`: a ResNet with a resolution-keeping stem for small SAR chips;
* :mod:`.selfsup`: self-supervised algorithms (SAR-JEPA);
* :mod:`.necks`: necks shared by mmdet and mmseg (ViT simple feature pyramid);
* :mod:`.losses`: mini-batch and dataset class-balanced focal losses, SupCon;
* :mod:`.classifiers`: SupCon and multi-modal classifiers;
* :mod:`.explainers`: SAR knowledge points (per-image and amortised noise explainers).
"""
# the order is the registration order
# isort: off
from . import target_generators  # noqa: F401  (first: the algorithms build the generators)
from . import backbones, necks, selfsup  # noqa: F401,E402
from . import heads  # noqa: F401,E402  (pretraining heads: SAR-JEPA's loss)
from . import classifiers, losses  # noqa: F401,E402
from . import explainers  # noqa: F401,E402  (SAR knowledge points)
from .target_generators import *  # noqa: F401,F403,E402
# isort: on
