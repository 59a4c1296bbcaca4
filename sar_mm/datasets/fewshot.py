"""Deterministic, stratified draws of samples: the few-shot subsets of every sar_mm
classification dataset, and small label-interleaved draws for analyses."""
import numpy as np


def select_few_shot(labels, num_shots, seed, keys=None, class_names=None):
    """Pick ``num_shots`` samples of every class, the same ones on any machine for a given seed.

    Samples of each class are ordered by ``keys`` (e.g. file paths; default: their index) before
    a per-class permutation drawn from numpy's PCG64 generator seeded with ``(seed, class)``, so the
    choice does not depend on the order files were listed in, nor on the other classes.

    Args:
        labels (Sequence[int]): Class index of each sample.
        num_shots (int): Samples to draw per class (>= 1).
        seed (int): Seed of the draw.
        keys (Sequence[str], optional): Sort keys of the samples (unique). Defaults to indices.
        class_names (Sequence[str], optional): Names of the classes by index, for the error
            message of a class with too few samples.

    Returns:
        list[int]: Sorted indices of the chosen samples.

    Raises:
        ValueError: ``num_shots`` < 1, or a class has fewer than ``num_shots`` samples.
    """
    if int(num_shots) != num_shots or num_shots < 1:
        raise ValueError(f'num_shots must be a positive integer, got {num_shots}')
    labels = np.asarray(labels)
    if keys is None:
        keys = np.arange(len(labels))
    keys = np.asarray(keys)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < num_shots:
            name = (f'{class_names[int(label)]!r} (index {int(label)})' if class_names is not None
                    and 0 <= int(label) < len(class_names) else str(int(label)))
            raise ValueError(f'class {name} has {len(members)} samples, fewer than the '
                             f'{num_shots} shots asked for')
        members = members[np.argsort(keys[members], kind='stable')]
        rng = np.random.Generator(np.random.PCG64([int(seed), int(label)]))
        chosen.extend(members[rng.permutation(len(members))[:num_shots]].tolist())
    return sorted(chosen)


def select_interleaved(labels, num_samples, seed):
    """Draw ``num_samples`` samples with ``seed``, taking the labels in turn.

    The samples of each label (``None`` is a label like any other) are shuffled by one numpy
    generator seeded with ``seed``, the labels taken in the order of ``str(label)``; then one
    sample of each label is picked after the other until ``num_samples`` are picked, so that a
    small draw covers the labels evenly.

    Args:
        labels (Sequence): The label of each sample (any hashable values).
        num_samples (int): How many to draw; 0 or None, or at least ``len(labels)``: all.
        seed (int): Seed of the draw.

    Returns:
        list[int]: Indices of the drawn samples in the order they were picked (all indices in
        order when every sample is drawn).
    """
    if not num_samples or num_samples >= len(labels):
        return list(range(len(labels)))
    rng = np.random.default_rng(seed)
    groups = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, []).append(index)
    queues = [[members[i] for i in rng.permutation(len(members))]
              for _, members in sorted(groups.items(), key=lambda kv: str(kv[0]))]
    picked = []
    while len(picked) < num_samples:
        for queue in queues:
            if queue and len(picked) < num_samples:
                picked.append(queue.pop(0))
    return picked
