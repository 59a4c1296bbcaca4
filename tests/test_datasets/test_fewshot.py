import numpy as np
import pytest

from sar_mm.datasets import select_few_shot


def test_stratified_and_deterministic():
    labels = [0] * 10 + [1] * 7 + [2] * 5
    chosen = select_few_shot(labels, 3, seed=4)
    assert len(chosen) == 9
    assert np.bincount(np.asarray(labels)[chosen]).tolist() == [3, 3, 3]
    assert chosen == select_few_shot(labels, 3, seed=4)
    assert chosen != select_few_shot(labels, 3, seed=5)


def test_independent_of_listing_order():
    keys = [f'f{i:02d}' for i in range(20)]
    labels = [i % 2 for i in range(20)]
    chosen = {keys[i] for i in select_few_shot(labels, 4, 0, keys=keys)}
    order = np.random.default_rng(1).permutation(20)
    shuffled = {
        keys[order[i]]
        for i in select_few_shot([labels[j] for j in order], 4, 0, keys=[keys[j] for j in order])
    }
    assert chosen == shuffled


def test_too_many_shots_is_an_error():
    with pytest.raises(ValueError, match='class 1 has 2 samples, fewer than the 3 shots'):
        select_few_shot([0, 0, 0, 1, 1], 3, 0)
    with pytest.raises(ValueError, match="class 'Tanker' \\(index 1\\) has 2 samples"):
        select_few_shot([0, 0, 0, 1, 1], 3, 0, class_names=('Cargo', 'Tanker'))
    with pytest.raises(ValueError, match='positive integer'):
        select_few_shot([0, 1], 0, 0)
