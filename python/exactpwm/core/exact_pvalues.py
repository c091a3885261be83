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

__all__ = ["MAX_WIDTH", "exact_pvalues"]

#: the widest matrix handled (two halves of at most 4**11 words, about 64 MB each)
MAX_WIDTH = 22


def _half(M: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, probabilities) of every word over the columns of M (4, h), 4**h of each."""
    scores = np.zeros(1)
    probs = np.ones(1)
    for j in range(M.shape[1]):
        scores = (scores[:, None] + M[:, j][None, :]).reshape(-1)
        probs = (probs[:, None] * bg[None, :]).reshape(-1)
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
    tol = 1e-9 * (1.0 + float(np.abs(M).max(axis=0).sum()))
    a = w // 2
    A, PA = _half(M[:, :a], bg)
    B, PB = _half(M[:, a:], bg)
    order = np.argsort(B, kind="stable")
    B = B[order]
    tail = np.concatenate([np.cumsum(PB[order][::-1])[::-1], [0.0]])  # tail[i] = P(S_B >= B[i])
    out = np.empty(s.size)
    flat = s.reshape(-1)
    for q in range(flat.size):
        idx = np.searchsorted(B, flat[q] - tol - A, side="left")
        out[q] = float(np.dot(PA, tail[idx]))
    return np.minimum(out, 1.0).reshape(s.shape)
