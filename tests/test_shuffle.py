"""Dinucleotide shuffles: exact dinucleotide counts and ends, uniform over all such sequences,
seeded, the same on every backend and thread count."""

from __future__ import annotations

from collections import Counter

import exactpwm
import numpy as np
import pytest
from conftest import BACKENDS
from exactpwm.core.shuffle import dinucleotide_shuffle


def pairs(codes: np.ndarray) -> Counter:
    return Counter(zip(codes[:-1].tolist(), codes[1:].tolist()))


@pytest.mark.parametrize("length", [0, 1, 2, 3, 5, 50, 1000])
def test_counts_and_ends_are_kept(length):
    rng = np.random.default_rng(length)
    X = rng.integers(0, 4, size=(7, length)).astype(np.uint8)
    if length > 10:
        X[:, 3:7] = 4  # an N run: N is a letter of its own
    out = dinucleotide_shuffle(X, 9, seed=3)
    assert out.shape == (7, 9, length) and out.dtype == np.uint8
    for i in range(7):
        for j in range(9):
            assert pairs(out[i, j]) == pairs(X[i])
            assert Counter(out[i, j].tolist()) == Counter(X[i].tolist())
            if length:
                assert out[i, j, 0] == X[i, 0] and out[i, j, -1] == X[i, -1]


def _eulerian_walks(seq: np.ndarray) -> set:
    """Every sequence with seq's dinucleotide counts and first letter (brute force, depth first)."""
    left = pairs(seq)
    found = set()

    def walk(path):
        if len(path) == len(seq):
            found.add(tuple(path))
            return
        for (a, b), c in list(left.items()):
            if a == path[-1] and c:
                left[(a, b)] -= 1
                walk(path + [b])
                left[(a, b)] += 1
    walk([int(seq[0])])
    return found


def test_uniform_over_every_sequence_with_the_same_pairs():
    """All sequences with the same dinucleotide counts and ends, found by brute force, each drawn
    about equally often."""
    seq = exactpwm.encode("ACAGATACGTAGCATA")
    same = _eulerian_walks(seq)
    draws = dinucleotide_shuffle(seq[None], 20000, seed=11)[0]
    seen = Counter(tuple(r.tolist()) for r in draws)
    assert set(seen) == same and len(same) > 20
    expected = 20000 / len(same)
    assert all(abs(c - expected) < 5 * np.sqrt(expected) for c in seen.values()), seen


def test_seeded_and_independent_of_backend_and_threads():
    X = np.random.default_rng(5).integers(0, 5, size=(40, 300)).astype(np.uint8)
    ref = dinucleotide_shuffle(X, 20, seed=7, threads=1)
    for backend in BACKENDS:
        for threads in (1, 2, 0):
            np.testing.assert_array_equal(dinucleotide_shuffle(X, 20, seed=7, threads=threads, backend=backend), ref)
    assert not np.array_equal(dinucleotide_shuffle(X, 20, seed=8), ref)
    # a sequence's shuffles do not depend on the other sequences given with it
    np.testing.assert_array_equal(dinucleotide_shuffle(X[5:6], 20, seed=7)[0], ref[5])


def test_inputs_and_errors():
    one_hot = exactpwm.one_hot("ACGTNACGT", np.float32)[None]
    np.testing.assert_array_equal(dinucleotide_shuffle(one_hot, 3), dinucleotide_shuffle("ACGTNACGT", 3))
    with pytest.raises(ValueError, match="one length"):
        dinucleotide_shuffle(["ACGT", "ACG"])
    with pytest.raises(ValueError, match="codes 0..4"):
        dinucleotide_shuffle(np.array([[0, 9, 1]]))
    with pytest.raises(ValueError, match="n must be >= 0"):
        dinucleotide_shuffle("ACGT", -1)
