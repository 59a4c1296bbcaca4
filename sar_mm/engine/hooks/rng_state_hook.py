"""Save the random streams in epoch checkpoints, so a resumed run repeats the uninterrupted one.

mmengine 0.10.7 resumes the model, optimizer, parameter schedulers, message hub, epoch and
iteration, and the ``DefaultSampler`` shuffles each epoch with its own generator seeded by
``seed + epoch``, so the sample order of a resumed epoch is the uninterrupted one. It does not
save the process-wide generators: Python's ``random``, numpy's global ``np.random`` (every
augmentation: crops, flips, speckle, calibration gain, DRAA) and torch's CPU/CUDA generators
(SAR-JEPA's windows and masks, dropout, the data loader's base seed). A resumed run restarts them
from ``randomness.seed``, so its augmentations and masks differ from the uninterrupted run's from
the first resumed iteration on. :class:`RNGStateHook` closes that gap; ``docs/reproducibility.md``
lists what it covers and what it cannot.
"""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size, is_distributed
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import get_worker_info

from sar_mm.registry import HOOKS

#: Checkpoint key holding the states (next to ``meta``, ``state_dict``, ``optimizer``).
RNG_STATE_KEY = 'rng_state'
#: Key a data-loader worker adds to each batch to report its generators' states.
WORKER_STATE_KEY = '_sar_mm_worker_rng_state'


def get_process_rng_state() -> dict:
    """This process's Python, numpy and torch (CPU and, when initialised, CUDA) generator states.

    Stored as tensors, ints, floats and strings only, so a checkpoint holding them still loads
    with ``torch.load(weights_only=True)`` and sar_mm's allow-list, without new globals.
    """
    version, py_state, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    cuda = []
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda = [s.clone() for s in torch.cuda.get_rng_state_all()]
    return dict(
        python=dict(
            version=int(version),
            state=torch.tensor(py_state, dtype=torch.int64),
            gauss=None if gauss is None else float(gauss)),
        numpy=dict(
            name=str(name),
            keys=torch.from_numpy(keys.astype(np.int64)),
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached)),
        torch=dict(cpu=torch.get_rng_state().clone(), cuda=cuda))


def set_process_rng_state(state: dict, source: str = 'the RNG state') -> None:
    """Set the generators from :func:`get_process_rng_state`'s output.

    Args:
        state (dict): The states.
        source (str): Where they come from, for the error message (e.g. a checkpoint path).
    """
    try:
        py, npy, th = state['python'], state['numpy'], state['torch']
        py_tuple = (py['version'], tuple(int(v) for v in py['state'].tolist()), py['gauss'])
        np_tuple = (npy['name'], npy['keys'].numpy().astype(np.uint32), int(npy['pos']),
                    int(npy['has_gauss']), float(npy['cached_gaussian']))
        cpu, cuda = th['cpu'], th.get('cuda', [])
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(f'{source}: malformed random-generator state ({err!r}); expected the '
                         'python/numpy/torch dict RNGStateHook saves') from err
    random.setstate(py_tuple)
    np.random.set_state(np_tuple)
    torch.set_rng_state(cpu)
    if cuda and torch.cuda.is_available():
        if len(cuda) != torch.cuda.device_count():
            print_log(
                f'{source}: {len(cuda)} CUDA generator states saved, '
                f'{torch.cuda.device_count()} devices now; CUDA generators not restored',
                logger='current',
                level=30)
        else:
            torch.cuda.set_rng_state_all(cuda)


class WorkerRNGStateCollate:
    """Wrap a collate function: a data-loader worker adds its generators' states to each batch.

    The states after a worker's last batch of an epoch are the ones its next epoch starts from
    (persistent workers keep their generators across epochs), and the main process only sees a
    worker through the batches it sends; :class:`RNGStateHook` removes the entry before the batch
    reaches the model. Batches that are not dicts are passed on unchanged.

    Args:
        collate_fn (callable): The data loader's collate function.
    """

    def __init__(self, collate_fn):
        self.collate_fn = collate_fn

    def __call__(self, samples):
        batch = self.collate_fn(samples)
        info = get_worker_info()
        if info is not None and isinstance(batch, dict):
            batch[WORKER_STATE_KEY] = (info.id, get_process_rng_state())
        return batch


class RestoreWorkerRNGState:
    """Worker init function: run the original one (mmengine's seeding), then set saved states.

    Args:
        worker_init_fn (callable, optional): The data loader's own worker init function.
        states (list[dict | None]): Per worker id, the states from :func:`get_process_rng_state`.
    """

    def __init__(self, worker_init_fn, states):
        self.worker_init_fn = worker_init_fn
        self.states = list(states)

    def __call__(self, worker_id):
        if self.worker_init_fn is not None:
            self.worker_init_fn(worker_id)
        if worker_id < len(self.states) and self.states[worker_id] is not None:
            set_process_rng_state(self.states[worker_id], f'data-loader worker {worker_id}')


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Keep the random streams of an epoch-based run in its checkpoints and restore them on resume.

    With it, a run resumed from the checkpoint of epoch k draws the same augmentations, masks and
    dropout in every later epoch as the run that was never interrupted, so (with
    ``randomness.deterministic=True`` on CPU) it logs the same losses and ends with the same
    weights. What it does, per rank:

    * ``after_train_epoch`` (before ``CheckpointHook`` saves) records this process's Python,
      numpy and torch generator states (:func:`get_process_rng_state`); with persistent
      data-loader workers also each worker's states, which every worker reports with its batches
      (:class:`WorkerRNGStateCollate`). Distributed runs gather all ranks' states (only rank 0
      writes checkpoints); ``before_save_checkpoint`` stores them under ``checkpoint['rng_state']``
      as tensors and numbers, loadable with ``weights_only=True``.
    * The next epoch starts from the recorded main-process states, in the uninterrupted run as in
      a resumed one: anything drawn between two epochs (a validation loop, the data loader's
      base seed when its iterator is created) then affects neither. Without workers they are set
      in ``before_train_epoch``; with workers at the epoch's first iteration, once the iterator
      (and, in a resumed run, its persistent workers) exists.
    * ``after_load_checkpoint`` of a resumed run (``resume=True``) reads the states of this rank;
      persistent workers start from their saved states (:class:`RestoreWorkerRNGState` runs after
      mmengine's worker seeding). Non-persistent workers need nothing: mmengine's
      ``worker_init_fn`` seeds them with ``seed + num_workers * rank + worker_id`` at the start of
      every epoch, in both runs.

    Not covered (logged): iteration-based loops (mmengine re-loads, and so re-augments, the
    batches it skips after resuming), a resume with a different world size or number of
    workers, and checkpoints saved without the hook (the streams then restart from the seed).
    ``tools/train.py`` adds the hook when ``randomness.deterministic=True``
    (:func:`sar_mm.engine.runner_setup.add_rng_state_hook`); any config can list it::

        custom_hooks = [dict(type='RNGStateHook')]

    Args:
        restore_workers (bool): Record and restore the states of persistent data-loader workers.
            Defaults to True.
    """
    priority = 'VERY_HIGH'  # after_train_epoch must record before CheckpointHook (VERY_LOW) saves

    def __init__(self, restore_workers: bool = True):
        self.restore_workers = restore_workers
        self._enabled = False
        self._record: Optional[dict] = None  # all ranks' states at the last epoch end
        self._pending: Optional[dict] = None  # this rank's states for the epoch to come
        self._worker_states = {}
        self._resumed_workers = None
        self._num_workers = 0
        self._persistent = False

    # ------------------------------------------------------------------ set-up
    def before_train(self, runner) -> None:
        loop = runner.train_loop
        self._enabled = isinstance(loop, EpochBasedTrainLoop)
        if not self._enabled:
            print_log(
                f'RNGStateHook: {type(loop).__name__} is not epoch-based; random streams '
                'are not saved in checkpoints (see docs/reproducibility.md)',
                logger='current',
                level=30)
            return
        loader = loop.dataloader
        self._num_workers = int(getattr(loader, 'num_workers', 0) or 0)
        self._persistent = self._num_workers > 0 and bool(loader.persistent_workers)
        if self._persistent and self.restore_workers:
            if not isinstance(loader.collate_fn, WorkerRNGStateCollate):
                loader.collate_fn = WorkerRNGStateCollate(loader.collate_fn)
            if self._resumed_workers is not None:
                loader.worker_init_fn = RestoreWorkerRNGState(loader.worker_init_fn,
                                                              self._resumed_workers)
                self._resumed_workers = None

    def after_load_checkpoint(self, runner, checkpoint) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from without resume: weights only, streams start from the seed
        source = getattr(runner, '_load_from', None) or 'the resumed checkpoint'
        saved = checkpoint.get(RNG_STATE_KEY)
        if saved is None:
            print_log(
                f'RNGStateHook: {source} holds no random-generator states (saved without '
                'RNGStateHook); the random streams restart from the seed',
                logger='current',
                level=30)
            return
        if not isinstance(saved, dict) or not isinstance(saved.get('ranks'), (list, tuple)):
            raise ValueError(f'{source}: checkpoint[{RNG_STATE_KEY!r}] is not the dict with a '
                             "'ranks' list that RNGStateHook saves")
        world_size = get_world_size()
        if len(saved['ranks']) != world_size:
            print_log(
                f'RNGStateHook: {source} holds the random states of '
                f"{len(saved['ranks'])} processes, this run has {world_size}; the random "
                'streams restart from the seed',
                logger='current',
                level=30)
            return
        mine = saved['ranks'][get_rank()]
        self._pending = dict(epoch=int(saved['epoch']), state=mine['process'], source=source)
        workers = mine.get('workers')
        num_workers = int(saved.get('num_workers', 0))
        if workers and self.restore_workers:
            loader = runner.train_dataloader
            current = int(getattr(loader, 'num_workers', 0) or 0)
            if num_workers != current or not loader.persistent_workers:
                print_log(
                    f'RNGStateHook: {source} saved {num_workers} persistent data-loader '
                    f'workers, this run has {current}'
                    f"{'' if loader.persistent_workers else ' non-persistent'}; their "
                    'streams restart from the worker seeds',
                    logger='current',
                    level=30)
            else:
                self._resumed_workers = list(workers)

    # --------------------------------------------------------------- recording
    def before_train_epoch(self, runner) -> None:
        if self._enabled and self._num_workers == 0:
            self._apply_pending(runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if isinstance(data_batch, dict) and WORKER_STATE_KEY in data_batch:
            worker_id, state = data_batch.pop(WORKER_STATE_KEY)
            self._worker_states[int(worker_id)] = state
        if self._enabled and self._num_workers > 0 and batch_idx == 0:
            self._apply_pending(runner)

    def _apply_pending(self, runner) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending['epoch'] == runner.epoch:
            set_process_rng_state(pending['state'], pending['source'])

    def after_train_epoch(self, runner) -> None:
        if not self._enabled:
            return
        state = get_process_rng_state()
        workers = None
        if self._persistent and self.restore_workers:
            workers = [self._worker_states.get(i) for i in range(self._num_workers)]
        mine = dict(process=state, workers=workers)
        ranks = all_gather_object(mine) if is_distributed() else [mine]
        self._record = dict(
            epoch=runner.epoch + 1, iter=runner.iter, num_workers=self._num_workers, ranks=ranks)
        # the next epoch starts from these states whatever runs in between (validation, ...)
        self._pending = dict(epoch=runner.epoch + 1, state=state, source='the last epoch end')

    def before_save_checkpoint(self, runner, checkpoint) -> None:
        record, meta = self._record, checkpoint.get('meta', {})
        if record is not None and meta.get('epoch') == record['epoch'] and \
                meta.get('iter') == record['iter']:
            checkpoint[RNG_STATE_KEY] = record
