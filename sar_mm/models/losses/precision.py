"""Float32 loss computation under mixed precision."""
import contextlib

import torch


def at_least_float32(tensor):
    """``tensor`` in float32 when it is in a lower-precision float dtype (bfloat16, float16);
    float32 and float64 are kept."""
    return tensor.to(torch.promote_types(tensor.dtype, torch.float32))


def autocast_disabled(tensor):
    """A context that disables autocast on ``tensor``'s device (nothing where that device has
    no autocast).

    The losses of sar_mm compute in float32 inside it on inputs cast with
    :func:`at_least_float32`: under
    ``torch.autocast`` their matrix products (SupCon's similarities) and soft-maxes would
    otherwise run in bfloat16/float16. Gradients flow back through the cast to the
    lower-precision activations as usual.
    """
    device_type = tensor.device.type if isinstance(tensor, torch.Tensor) else 'cpu'
    if not torch.amp.is_autocast_available(device_type):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device_type, enabled=False)
