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

from exactpwm.core.matrices import as_background

__all__ = ["MAX_TAIL_WORDS", "MAX_WIDTH", "TailTable", "exact_pvalues"]

#: the widest matrix handled (two halves of at most 4**11 words, about 64 MB each)
MAX_WIDTH = 22


def stable_argsort(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, kind="stable")`` of a 1-D float64 array without NaN, 3-6x faster: numpy's
    unstable (vectorized) sort, then the tied values' indices put back in ascending order, so the
    result is the one stable order whatever sort numpy picks on this CPU (the tail sums built in
    that order round the same on every machine)."""
    order = np.argsort(x, kind="quicksort")
    if x.size < 2:
        return order
    ranked = x[order]
    tied = ranked[1:] == ranked[:-1]
    if not tied.any():  # distinct values: one order only
        return order
    # (group of equal values, index) as one unique int64 key, sorted by any algorithm alike
    group = np.concatenate([[0], np.cumsum(~tied)])
    return np.sort(group * x.size + order) % x.size


def _tolerance(M: np.ndarray) -> float:
    """Scores closer than this count as tied (see the module's notes)."""
    return 1e-9 * (1.0 + float(np.abs(M).max(axis=0).sum()))


def _pruned_half(M: np.ndarray, bg: np.ndarray, need: float) -> tuple[np.ndarray, np.ndarray]:
    """(scores, probabilities) of the words over the columns of M (4, h) whose score can reach
    ``need`` (-inf: every word): partial sums that cannot, even with the best remaining columns,
    are dropped as the columns are added (the widest-ranging first, where dropping starts
    soonest). The order of the columns does not change a word's score, only the order of the
    returned words."""
    cols = np.argsort(-(M.max(axis=0) - M.min(axis=0)), kind="stable")
    best_rest = np.concatenate([np.cumsum(M.max(axis=0)[cols][::-1])[::-1][1:], [0.0]])
    scores = np.zeros(1)
    probs = np.ones(1)
    for j, c in enumerate(cols):
        scores = (scores[:, None] + M[:, c][None, :]).reshape(-1)
        probs = (probs[:, None] * bg[None, :]).reshape(-1)
        alive = scores + best_rest[j] >= need
        if not alive.all():
            scores, probs = scores[alive], probs[alive]
    return scores, probs


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
    A, PA = _pruned_half(M[:, :a], bg, -np.inf)  # every word of each half
    B, PB = _pruned_half(M[:, a:], bg, -np.inf)
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
    def first_fit(cls, matrix: Any, floor: float, background: Any,
                  ranges: list[tuple[float, int]]) -> tuple[int, TailTable | None]:
        """(i, table) for the first ``(ceiling, max_words)`` of ``ranges`` whose table holds at
        most max_words words, sharing the halves' enumeration; (-1, None) when none does."""
        M = np.asarray(matrix, dtype=np.float64)
        w = M.shape[1]
        if w > MAX_WIDTH:
            return -1, None
        bg = np.asarray(as_background(background), np.float64)
        tol = _tolerance(M)
        a = w // 2
        lo = floor - tol
        A, PA = _pruned_half(M[:, :a], bg, lo - float(M[:, a:].max(axis=0).sum()))
        B, PB = _pruned_half(M[:, a:], bg, lo - float(M[:, :a].max(axis=0).sum()))
        order = stable_argsort(B)
        B, PB = B[order], PB[order]
        first = np.searchsorted(B, lo - A, side="left")  # per word of A: B[first:stop] in range
        for i, (ceiling, max_words) in enumerate(ranges):
            stop = np.searchsorted(B, ceiling - tol - A, side="left") if np.isfinite(ceiling) \
                else np.full(A.size, B.size)
            count = np.maximum(stop - first, 0)
            total = int(count.sum())
            if total > max_words:
                continue
            anchor = 0.0
            if np.isfinite(ceiling):
                tail_b = np.concatenate([np.cumsum(PB[::-1])[::-1], [0.0]])
                anchor = float(np.dot(PA, tail_b[stop]))
            keep = count > 0
            f, c = first[keep], count[keep]
            idx = np.arange(total) + np.repeat(f - np.concatenate([[0], np.cumsum(c)[:-1]]), c)
            owner = np.repeat(np.flatnonzero(keep), c)
            scores = A[owner] + B[idx]
            probs = PA[owner] * PB[idx]
            order = stable_argsort(scores)
            tail = np.concatenate([np.cumsum(probs[order][::-1])[::-1], [0.0]]) + anchor
            return i, cls(scores[order], tail, float(floor), float(ceiling), tol)
        return -1, None

    def __len__(self) -> int:
        return int(self.scores.size)

    def pvalue(self, scores: Any) -> np.ndarray:
        """P(S >= s) for each score s (float64, the shape of ``scores``); NaN outside
        ``[floor + tol, ceiling]``, where the table does not know the answer."""
        s = np.asarray(scores, dtype=np.float64)
        out = np.minimum(self.tail[np.searchsorted(self.scores, s - self.tol, side="left")], 1.0)
        return np.where((s >= self.floor + self.tol) & (s <= self.ceiling), out, np.nan)
