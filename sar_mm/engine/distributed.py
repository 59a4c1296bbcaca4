"""Distributed training on machines without a GPU (gloo backend), with the OpenMMLab launchers.

mmengine 0.10.7 always calls ``torch.cuda.set_device`` when it initialises a ``pytorch`` or
``slurm`` launch and hands ``device_ids=[LOCAL_RANK]`` to DistributedDataParallel; both fail on a
CPU-only machine. :func:`prepare_cpu_distributed` initialises the process group with gloo itself
(mmengine then skips its own initialisation) and sets ``device_ids=None`` for the model wrapper,
so ``tools/dist_train.sh CONFIG 2`` trains with two CPU processes and writes the same
checkpoints as one process. ``SyncBatchNorm`` has no CPU kernel; on CPU the model is wrapped by
:class:`CPUDistributedDataParallel`, which turns SyncBN layers (e.g. the default norm of
mmpretrain's ``NonLinearNeck`` in SimCLR) into plain BN first, as mmengine does for
non-distributed runs.
"""
import gc
import os
import subprocess
from datetime import timedelta

import torch
import torch.distributed as torch_dist
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's ``MMDistributedDataParallel`` for CPU processes: SyncBN becomes per-process BN.

    ``torch.nn.SyncBatchNorm`` only runs on accelerators, so a config written for GPUs (SimCLR's
    projection neck uses SyncBN) would fail in its first CPU iteration. Each SyncBN layer is
    replaced by a batch norm over the process's own batch (mmengine's
    ``revert_sync_batchnorm``, which keeps the weights and statistics) and the change is logged.

    Args:
        module (nn.Module): The model.
        **kwargs: ``MMDistributedDataParallel`` arguments (``device_ids`` must be None on CPU).
    """

    def __init__(self, module, **kwargs):
        num_sync = sum(isinstance(m, torch.nn.SyncBatchNorm) for m in module.modules())
        if num_sync:
            module = revert_sync_batchnorm(module)
            print_log(
                f'CPU distributed training: {num_sync} SyncBatchNorm layers run as '
                'per-process BatchNorm (SyncBN has no CPU kernel)',
                logger='current')
        super().__init__(module=module, **kwargs)


def _slurm_env_to_torchrun_env(port):
    """Fill RANK/WORLD_SIZE/LOCAL_RANK/MASTER_* from SLURM's variables (as mmengine does)."""
    node_list = os.environ['SLURM_NODELIST']
    os.environ.setdefault('MASTER_PORT', str(port or 29500))
    if 'MASTER_ADDR' not in os.environ:
        addr = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
        os.environ['MASTER_ADDR'] = addr
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ['SLURM_LOCALID']
    os.environ['RANK'] = os.environ['SLURM_PROCID']


def prepare_cpu_distributed(cfg, launcher):
    """Make a ``pytorch``/``slurm`` launch work without CUDA; a no-op with a GPU or no launcher.

    Args:
        cfg (mmengine.Config): The config; ``env_cfg.dist_cfg`` and ``model_wrapper_cfg`` are
            updated in place.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        bool: Whether a CPU process group was initialised here.
    """
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    if launcher == 'slurm':
        _slurm_env_to_torchrun_env(cfg.get('env_cfg', {}).get('dist_cfg', {}).get('port'))
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} is not supported without a GPU; '
                         "use 'pytorch' (tools/dist_train.sh) or 'slurm'")
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    timeout = timedelta(seconds=int(dist_cfg.get('timeout', 1800)))
    torch_dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        timeout=timeout)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type') == 'MMDistributedDataParallel':
        wrapper['type'] = 'CPUDistributedDataParallel'
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True


def finish_distributed():
    """Wait for every rank, then destroy the process group (a no-op outside distributed runs).

    Exiting with a live gloo group lets rank 0 tear its threads down while another rank is still
    talking to it ("terminate called without an active exception", SIGABRT), so a finished
    ``dist_train.sh`` / ``dist_test.sh`` run could be reported as failed. The group must also
    be the last owner of its gloo threads: a DistributedDataParallel reducer that is still alive
    keeps the group alive past ``destroy_process_group``, and its threads are then torn down
    during interpreter finalisation, which aborts the same way. Callers therefore drop their
    runner first (``del runner``); unreachable cycles that still hold the wrapped model are
    collected here before the group goes.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        gc.collect()
        torch_dist.barrier()
        torch_dist.destroy_process_group()
        gc.collect()
