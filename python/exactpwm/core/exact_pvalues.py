"""Exact p-values of real-valued score matrices, by meet in the middle (no score grid).

For a (4, w) matrix M and a 0-order background, the window score is the sum of one entry per
column. The columns are split into two halves; every word of each half is enumerated with its
score and probability (4^a and 4^b of them), one half's scores sorted with their upper-tail
probabilities, and ``P(S >= s) = sum_A P(a) * P(S_B >= s - a)`` is one binary search per word of
the other half. Cost O(4^(w/2) log 4^(w/2)) per score, memory O(4^(w/2)): widths up to
:data:`MAX_WIDTH`.

The sums are float64 in a different order from a scanner's, so ties are resolved with a tolerance:
the value returned lies between ``P(S >= s + tol)`` and ``P(S >= s - tol)`` with
``tol = 1e-9 * (1 + sum of the columns' largest absolute entries)``, far below any difference
between distinct window scores of a real motif; words tied with ``s`` count as at or above it.
This certifies p-values and threshold decisions that the 2^-10 grid of
:class:`exactpwm.core.pvalues.ScoreDistribution` leaves uncertain.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm._engine import engine
from exactpwm._numpy_kernels import pruned_half, stable_argsort
from exactpwm.core._checks import resolve_threads
from exactpwm.core.matrices import as_background

__all__ = ["MAX_TAIL_WORDS", "MAX_WIDTH", "TailTable", "exact_pvalues"]

#: the widest matrix handled (two halves of at most 4**11 words, about 64 MB each)
MAX_WIDTH = 22


def _tolerance(M: np.ndarray) -> float:
    """Scores closer than this count as tied (see the module's notes)."""
    return 1e-9 * (1.0 + float(np.abs(M).max(axis=0).sum()))


def _half(M: np.ndarray, start: int, stop: int, need: float) -> tuple[np.ndarray, np.ndarray, float]:
    """How the words over columns [start, stop) of M are enumerated: (column indices int64, the best
    of the columns after each, need); the widest-ranging columns first, where dropping the words that
    cannot reach ``need`` starts soonest. The order changes no word's score, only the words' order."""
    H = M[:, start:stop]
    cols = np.argsort(-(H.max(axis=0) - H.min(axis=0)), kind="stable")
    rest = np.concatenate([np.cumsum(H.max(axis=0)[cols][::-1])[::-1][1:], [0.0]])[:cols.size]
    return (cols + start).astype(np.int64), rest, float(need)


def exact_pvalues(matrix: Any, scores: Any, background: Any = None) -> np.ndarray:
    """P(window score >= s) under a 0-order background, for each s in ``scores``, exact for the
    real-valued ``matrix`` (see the module's notes for the tie tolerance).

    matrix : (4, w) float score matrix (rows A, C, G, T), w <= :data:`MAX_WIDTH`
    scores : scores to evaluate, any shape
    background : (4,) base probabilities (None: uniform)

    Returns float64 p-values of the shape of ``scores``.
    """
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != 4 or M.shape[1] < 1 or not np.isfinite(M).all():
        raise ValueError(f"a score matrix must be a finite (4, w) array with w >= 1; got shape {M.shape}")
    w = M.shape[1]
    if w > MAX_WIDTH:
        raise ValueError(f"exact p-values by meet in the middle go up to width {MAX_WIDTH}; this matrix has {w} "
                         "columns")
    bg = np.asarray(as_background(background), np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if np.isnan(s).any():
        raise ValueError("scores must not be NaN")
    tol = _tolerance(M)
    a = w // 2
    A, PA = pruned_half(M, bg, *_half(M, 0, a, -np.inf))  # every word of each half
    B, PB = pruned_half(M, bg, *_half(M, a, w, -np.inf))
    order = stable_argsort(B)
    B = B[order]
    tail = np.concatenate([np.cumsum(PB[order][::-1])[::-1], [0.0]])  # tail[i] = P(S_B >= B[i])
    out = np.empty(s.size)
    flat = s.reshape(-1)
    for q in range(flat.size):
        idx = np.searchsorted(B, flat[q] - tol - A, side="left")
        out[q] = float(np.dot(PA, tail[idx]))
    return np.minimum(out, 1.0).reshape(s.shape)


#: the most words a :class:`TailTable` holds by default (two float64 arrays of this length, 16 MB)
MAX_TAIL_WORDS = 1 << 20


class TailTable:
    """Every word of a score matrix scoring in ``[floor, ceiling)``, sorted, with exact upper-tail
    probabilities: exact p-values for the real-valued matrix of any score in ``[floor, ceiling]``
    (the words at or above the ceiling enter as one exact sum). Built by meet in the middle over
    the words of each half of the columns that can reach the floor, then the words in range:
    time and memory O(4^(w/2)) at worst, far less in the far tail.

    Ties: scores within ``tol`` (``1e-9 * (1 + sum of the columns' largest absolute entries)``)
    of each other count as equal, as in :func:`exact_pvalues`.
    """

    def __init__(self, scores: np.ndarray, tail: np.ndarray, floor: float, ceiling: float, tol: float):
        self.scores = scores  # (T,) float64 ascending: every word's score in [floor - tol, ceiling - tol)
        self.tail = tail  # (T + 1,) float64: tail[i] = P(S >= scores[i]), tail[T] = P(S >= ceiling - tol)
        self.floor = floor
        self.ceiling = ceiling
        self.tol = tol

    @classmethod
    def build(cls, matrix: Any, floor: float, background: Any = None, *, ceiling: float = np.inf,
              max_words: int = MAX_TAIL_WORDS) -> TailTable | None:
        """The table of ``matrix`` (4, w) over ``[floor, ceiling)``; None when the matrix is wider
        than :data:`MAX_WIDTH` or more than ``max_words`` words score in that range."""
        return cls.first_fit(matrix, floor, background, [(ceiling, max_words)])[1]

    @classmethod
    def first_fit(cls, matrix: Any, floor: float, background: Any, ranges: list[tuple[float, int]], *,
                  backend: str = "auto") -> tuple[int, TailTable | None]:
        """(i, table) for the first ``(ceiling, max_words)`` of ``ranges`` whose table holds at
        most max_words words, sharing the halves' enumeration; (-1, None) when none does. Every
        backend builds the same table, bit for bit."""
        return cls.first_fits([(matrix, floor, ranges)], background, threads=1, backend=backend)[0]

    @classmethod
    def first_fits(cls, jobs: list[tuple[Any, float, list[tuple[float, int]]]], background: Any, *,
                   threads: int = 0, backend: str = "auto") -> list[tuple[int, TailTable | None]]:
        """:meth:`first_fit` of each ``(matrix, floor, ranges)`` of ``jobs``, in one engine call on
        ``threads`` threads (0: all cores); the same tables as one at a time."""
        bg = np.ascontiguousarray(as_background(background), np.float64)
        args, kept = [], []
        for k, (matrix, floor, ranges) in enumerate(jobs):
            M = np.ascontiguousarray(matrix, dtype=np.float64)
            w = M.shape[1]
            if w > MAX_WIDTH:
                continue
            tol = _tolerance(M)
            a = w // 2
            lo = floor - tol
            half_a = _half(M, 0, a, lo - float(M[:, a:].max(axis=0).sum()))
            half_b = _half(M, a, w, lo - float(M[:, :a].max(axis=0).sum()))
            ceilings = np.array([float(c) for c, _ in ranges], np.float64)
            most = np.array([int(m) for _, m in ranges], np.int64)
            args.append((M, *half_a, *half_b, lo, tol, ceilings, most))
            kept.append(k)
        out: list[tuple[int, TailTable | None]] = [(-1, None)] * len(jobs)
        for k, (i, scores, tail), job in zip(kept, engine(backend).tail_tables(args, bg, resolve_threads(threads)),
                                             args):
            if i >= 0:
                out[k] = (i, cls(scores, tail, float(jobs[k][1]), float(job[9][i]), job[8]))
        return out

    def __len__(self) -> int:
        return int(self.scores.size)

    def pvalue(self, scores: Any) -> np.ndarray:
        """P(S >= s) for each score s (float64, the shape of ``scores``); NaN outside
        ``[floor + tol, ceiling]``, where the table does not know the answer."""
        s = np.asarray(scores, dtype=np.float64)
        out = np.minimum(self.tail[np.searchsorted(self.scores, s - self.tol, side="left")], 1.0)
        return np.where((s >= self.floor + self.tol) & (s <= self.ceiling), out, np.nan)
