"""Pure numpy readers for SAR files: no torch, no registry (see ``sar_mm.datasets`` for those)."""
from .mstar import read_mstar_raw, write_mstar_raw
from .readers import SARFileError, read_sar, supported_extensions

__all__ = ['SARFileError', 'read_sar', 'read_mstar_raw', 'supported_extensions', 'write_mstar_raw']
