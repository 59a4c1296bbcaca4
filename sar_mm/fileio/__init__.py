"""Pure numpy readers for SAR files: no torch, no registry (see ``sar_mm.datasets`` for those)."""
from .readers import SARFileError, read_sar, supported_extensions

__all__ = ['SARFileError', 'read_sar', 'supported_extensions']
