"""Mixed precision on CPU, where mmengine's AmpOptimWrapper (CUDA/NPU/MLU only) refuses to run."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from sar_mm.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """An :class:`~mmengine.optim.OptimWrapper` that runs forward passes under CPU autocast.

    bfloat16 keeps float32's exponent range, so no loss scaling is needed; parameters, gradients
    and the optimizer state stay float32. ``tools/train.py --amp`` picks this wrapper when no GPU
    is present and mmengine's ``AmpOptimWrapper`` otherwise.

    Args:
        dtype (str | torch.dtype): Autocast dtype, ``'bfloat16'`` (default) or ``'float16'``.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype='bfloat16', **kwargs):
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        if self.cast_dtype not in (torch.bfloat16, torch.float16):
            raise ValueError(f'dtype must be bfloat16 or float16, got {dtype}')

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=self.cast_dtype):
            yield
