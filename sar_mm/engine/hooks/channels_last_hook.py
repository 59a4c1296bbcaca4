"""Run the model's convolutions in the channels-last (NHWC) memory format."""
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def to_channels_last(model):
    """Store every 4-D parameter and buffer of ``model`` channels-last, in place.

    ``Module.to(memory_format=...)`` keeps each ``Parameter`` object (only its data is
    replaced), so an optimizer or a model wrapper built before the call keeps working, and a
    state dict loaded afterwards is copied into the channels-last storage.

    Args:
        model (nn.Module): The model, or a model wrapper (its ``module`` is converted).

    Returns:
        int: The number of 4-D parameters converted (convolution weights).

    Example:
        >>> import torch.nn as nn
        >>> net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8))
        >>> to_channels_last(net)
        1
        >>> net[0].weight.is_contiguous(memory_format=torch.channels_last)
        True
    """
    module = model.module if is_model_wrapper(model) else model
    module.to(memory_format=torch.channels_last)
    return sum(p.dim() == 4 for p in module.parameters())


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Store the convolution weights channels-last when a train, val or test loop starts.

    oneDNN (CPUs) and cuDNN (GPUs, with mixed precision) have faster NHWC kernels for 2-D
    convolutions; with the weights channels-last, a convolution's output is channels-last too,
    so a whole conv net runs in NHWC although the data preprocessor hands it NCHW batches.
    Results are the same up to floating-point summation order (measured in
    ``tests/test_engine/test_channels_last_hook.py``); ``benchmarks/channels_last.py``
    times a training step both ways. Transformers only have their patch embedding converted,
    so they gain little. ``tools/train.py``, ``tools/test.py`` and ``tools/fewshot_eval.py``
    add this hook with ``--channels-last``.

    The conversion happens when a loop starts (``before_train``, ``before_val``,
    ``before_test``): after the weights are initialised, loaded or resumed, so the same seed
    gives the same initial model with and without the hook (a random initialiser fills a
    tensor in storage order, so filling channels-last weights would permute them), and after
    the optimizer is built (parameters keep their identity). In a distributed run the wrapped
    module is converted after DistributedDataParallel has laid out its gradient buckets, so DDP
    copies each gradient into its bucket (correct, one extra copy; torch warns once that the
    strides differ).

    Args:
        priority (str): Hook priority; ``'VERY_HIGH'`` so that no other hook sees the model
            before it is converted.
    """

    def __init__(self, priority='VERY_HIGH'):
        self.priority = priority
        self._logged = False

    def _convert(self, runner):
        num = to_channels_last(runner.model)
        if not self._logged:
            self._logged = True
            print_log(
                f'ChannelsLastHook: {num} 4-D parameters (convolution weights) stored '
                'channels-last',
                logger='current')

    def before_train(self, runner):
        self._convert(runner)

    def before_val(self, runner):
        self._convert(runner)

    def before_test(self, runner):
        self._convert(runner)
