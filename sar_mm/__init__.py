"""sar_mm: SAR self-supervised learning and target recognition for OpenMMLab 2.x.

``import sar_mm`` (or ``custom_imports = dict(imports=['sar_mm'])`` in a config) registers every
sar_mm module where mmpretrain, mmdet and mmseg configs find it, and installs the safe checkpoint
loader used by ``load_from`` and ``--resume``.
"""
from .version import __version__

# the order is the registration order
# isort: off
from . import fileio  # noqa: E402,F401  (no registry)
from . import datasets, engine, models  # noqa: E402,F401  (register on import)
from . import evaluation  # noqa: E402,F401  (register on import)
# isort: on

__all__ = ['__version__']
