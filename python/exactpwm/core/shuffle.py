"""Dinucleotide shuffles: the references of DeepSHAP and of shuffled occlusion.

A shuffle keeps a sequence's dinucleotide counts exactly, and its first and last letters
(Altschul & Erickson 1985), drawn uniformly among all such sequences (a random Eulerian walk; see
``cpp/src/shuffle.cpp``). N is a fifth letter: its runs and neighbours are kept as counts too. Seeded: a
sequence's shuffles depend only on the ``seed`` and on the sequence itself, not on its place among
the others, the batch, the backend or the thread count.
"""

from __future__ import annotations

import numpy as np

from exactpwm._engine import engine
from exactpwm.core._checks import check_number, resolve_threads
from exactpwm.core.sequence import code_rows
from exactpwm.core.types import Sequences

__all__ = ["dinucleotide_shuffle"]


def dinucleotide_shuffle(sequences: Sequences, n: int = 20, *, seed: int = 0, threads: int = 0,
                         backend: str = "auto") -> np.ndarray:
    """``n`` dinucleotide shuffles of each sequence.

    Parameters
    ----------
    sequences : str, a list of equal-length str, (N, L) uint8 codes 0..4, or one-hot (N, 4, L)
        (an all-zero column is N)
    n : shuffles per sequence (20, as DeepSHAP users take)
    seed : any integer >= 0; the shuffles depend only on it and the input

    Returns
    -------
    (N, n, L) uint8 codes (a single str gives (1, n, L)): ``out[i, j]`` is shuffle j of sequence i.
    """
    n = int(check_number(n, "n", low=0, integer=True))
    seed = int(check_number(seed, "seed", low=0, high=2 ** 64 - 1, integer=True))
    X = code_rows(sequences)
    N, L = X.shape
    codes = np.ascontiguousarray(X.reshape(-1))
    offsets = np.arange(N + 1, dtype=np.int64) * L
    out = np.empty((n, codes.size), np.uint8)
    engine(backend).dinucleotide_shuffle(codes, offsets, n, seed, out, resolve_threads(threads))
    return out.reshape(n, N, L).transpose(1, 0, 2).copy()
