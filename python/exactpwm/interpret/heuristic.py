"""Heuristic kernel -> PWM baselines: stack high-scoring fragments of the data.

These are the transforms used before the exact one. Their cost grows with the
number of sequences (every sequence is scored); the exact transform's does not.

Methods (defaults and their sources):

``"deepbind"`` (Alipanahi et al. 2015, Supp. 10.2)
    For each sequence and kernel, the window with the highest score (on both
    strands with ``strand="both"``; a minus-strand fragment is reverse
    complemented) is kept when its score, bias included, exceeds ``threshold``
    (default 0: the activation passes the ReLU). Koo & Eddy's (2019) Methods
    variant is the same with ``threshold=0.7 * max_possible_score(kernels, bias)``.
``"koo"`` (Koo & Eddy; the all-window alignment of their filter visualisation)
    Every window whose score reaches ``fraction`` (default 0.5) of the kernel's
    highest score over the data.
``"basset"`` (Kelley et al. 2016)
    Every window whose score exceeds ``mean + fraction * (max - mean)`` over all
    windows of the data (default fraction 0.5); 1 pseudocount per base.

Counts become probabilities column by column with :func:`exactpwm.counts_to_pwm`:
(count + a / 4) / (total + a), a = ``pseudocount``, the total added to a column and
spread uniformly (the one meaning of the word in exactpwm). Defaults: 0.04 for deepbind
and koo (0.01 per base: a small value of ours, so that a PWM has no zeros), 4 for basset
(1 per base, as Basset). N positions inside a fragment are not counted. A kernel with no
fragment gets the uniform PWM and ``n_fragments == 0``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from exactpwm._engine import engine as _engine
from exactpwm.core._checks import as_bias, as_kernels, resolve_threads
from exactpwm.core.matrices import counts_to_pwm
from exactpwm.core.scoring import as_packed, max_scores, resolve_dtype, round_thresholds_up, score_table
from exactpwm.core.sequence import iter_batches
from exactpwm.core.transform import reverse_complement_kernels
from exactpwm.core.types import ArrayLike, Sequences, Strand

__all__ = ["heuristic_pwm", "HeuristicPWM", "max_possible_score", "METHODS"]

METHODS = ("deepbind", "koo", "basset")
_DEFAULT_PSEUDOCOUNT = {"deepbind": 0.04, "koo": 0.04, "basset": 4.0}  # per column: 0.01 / 1 per base
_MAX_BATCH_VALUES = 1 << 24  # per-batch bound on (sequences x kernels) results held at once


class HeuristicPWM(NamedTuple):
    """Result of :func:`heuristic_pwm`.

    pwm : (K, 4, L) float64, columns sum to 1
    counts : (K, 4, L) int64, base counts of the stacked fragments
    n_fragments : (K,) int64, fragments stacked per kernel
    threshold : (K,) float64, the score a fragment had to pass
    """

    pwm: np.ndarray
    counts: np.ndarray
    n_fragments: np.ndarray
    threshold: np.ndarray


def max_possible_score(kernels: ArrayLike, bias: ArrayLike | None = None) -> np.ndarray:
    """The highest score a kernel can reach: sum of column maxima (+ bias), (K,)."""
    W, _ = as_kernels(kernels)
    return W.max(axis=1).sum(axis=1).astype(np.float64) + as_bias(bias, W.shape[0], np.float64)


def heuristic_pwm(
    kernels: ArrayLike,
    sequences: Sequences,
    method: str = "deepbind",
    *,
    bias: ArrayLike | None = None,
    strand: Strand = "+",
    threshold: ArrayLike | None = None,
    fraction: float | None = None,
    pseudocount: float | None = None,
    batch_bases: int | None = None,
    threads: int = 0,
    backend: str = "auto",
) -> HeuristicPWM:
    """Heuristic PWMs of kernels from the fragments of ``sequences`` they score highly.

    Parameters
    ----------
    kernels : (K, 4, L) or (4, L), rows A, C, G, T (cross-correlation, as in conv1d)
    sequences : list of str/bytes/code arrays of any lengths, an (S, n) code array,
        or a ``(codes, offsets)`` pair from :func:`exactpwm.pack`
    method : "deepbind", "koo" or "basset" (see the module docstring)
    bias : scalar or (K,), added to scores before thresholds
    strand : "+" or "both" (reverse-complement models: minus-strand fragments
        are reverse complemented before stacking)
    threshold : deepbind only: scalar or (K,) score a best window must exceed (default 0)
    fraction : koo/basset only: see the module docstring (default 0.5)
    pseudocount : see the module docstring
    batch_bases : sequences are scored in batches of at most this many bases (default 2**26)
        and about 16 M (sequence, kernel) results; results do not depend on it
    threads, backend : as in :func:`exactpwm.conv1d`

    Returns
    -------
    HeuristicPWM(pwm, counts, n_fragments, threshold)
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if strand not in ("+", "both"):
        raise ValueError(f"strand must be '+' or 'both', got {strand!r}")
    if method == "deepbind" and fraction is not None:
        raise ValueError("fraction applies to methods 'koo' and 'basset'; deepbind takes threshold=")
    if method != "deepbind" and threshold is not None:
        raise ValueError(f"threshold applies to method 'deepbind'; {method!r} takes fraction=")
    W, _ = as_kernels(kernels)
    K, _, L = W.shape
    dt = resolve_dtype(None, W)
    b = as_bias(bias, K, np.float64)
    a = _DEFAULT_PSEUDOCOUNT[method] if pseudocount is None else float(pseudocount)
    if not (np.isfinite(a) and a >= 0):
        raise ValueError(f"pseudocount must be a finite number >= 0, got {pseudocount!r}")
    codes, offsets = as_packed(sequences)
    strands = 2 if strand == "both" else 1
    if batch_bases is None:
        batch_bases = 1 << 26
    max_seqs = max(1, _MAX_BATCH_VALUES // (K * strands))
    batches = list(iter_batches(offsets, batch_bases, max_seqs))
    run: dict[str, Any] = dict(threads=threads, backend=backend)

    if method == "deepbind":
        thr = np.broadcast_to(np.asarray(0.0 if threshold is None else threshold, dtype=np.float64), (K,)).copy()
        counts = np.zeros((K, 4, L), dtype=np.int64)
        n_frag = np.zeros(K, dtype=np.int64)
        for s0, s1 in batches:
            best = max_scores((codes, offsets[s0:s1 + 1]), W, b, strand=strand, **run)
            seq_idx, k_idx = np.nonzero((best.start >= 0) & (best.score > thr))
            starts = offsets[s0 + seq_idx] + best.start[seq_idx, k_idx]
            counts += _count_fragments(codes, starts, k_idx, best.strand[seq_idx, k_idx] < 0, K, L, **run)
            n_frag += np.bincount(k_idx, minlength=K)
        return HeuristicPWM(_normalise(counts, a), counts, n_frag, thr)

    frac = 0.5 if fraction is None else float(fraction)
    if not np.isfinite(frac):
        raise ValueError(f"fraction must be finite, got {fraction!r}")
    # pass 1: the highest score over the data and (basset) the base counts behind the mean score
    top = np.full(K, -np.inf)
    base_counts = np.zeros((4, L), dtype=np.int64)
    n_windows = 0
    for s0, s1 in batches:
        best = max_scores((codes, offsets[s0:s1 + 1]), W, b, strand=strand, **run)
        top = np.maximum(top, best.score.max(axis=0, initial=-np.inf))
        if method == "basset":
            bc, nw = _window_base_counts(codes, offsets[s0:s1 + 1], L)
            base_counts += bc
            n_windows += nw
    if method == "koo":
        thr = frac * top
    else:
        mean = _mean_window_score(W, b, strand, base_counts, n_windows)
        thr = mean + frac * (top - mean)
    # pass 2: one fused engine pass stacks every window that reaches the threshold
    counts = np.zeros((K, 4, L), dtype=np.int64)
    n_frag = np.zeros(K, dtype=np.int64)
    if not np.isfinite(top).any():  # no sequence is as long as the kernels
        return HeuristicPWM(_normalise(counts, a), counts, n_frag, thr)
    table = score_table(W, strand, dt)
    K2 = table.shape[0]
    bias2 = np.tile(b.astype(dt), strands)
    thr2 = round_thresholds_up(np.tile(thr, strands), dt)
    target = (np.arange(K2) % K).astype(np.int32)
    minus = (np.arange(K2) >= K).astype(np.int8)
    _engine(backend).threshold_counts(codes, offsets, table, bias2, thr2, target, minus, counts, n_frag,
                                      resolve_threads(threads))
    return HeuristicPWM(_normalise(counts, a), counts, n_frag, thr)


def _count_fragments(codes, starts, kernel_idx, minus, K: int, L: int, threads: int = 0,
                     backend: str = "auto") -> np.ndarray:
    """Base counts (K, 4, L) of fragments codes[start:start+L], minus-strand ones reverse complemented."""
    counts = np.zeros((K, 4, L), dtype=np.int64)
    args = (codes, np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(kernel_idx, dtype=np.int32),
            np.ascontiguousarray(minus, dtype=np.int8), counts)
    _engine(backend).count_fragments(*args, resolve_threads(threads))
    return counts


def _normalise(counts: np.ndarray, pseudocount: float) -> np.ndarray:
    """(K, 4, L) probabilities: counts_to_pwm with a uniform spread; a column with no counts and
    no pseudocount is uniform."""
    c = counts.astype(np.float64)
    empty = c.sum(axis=1, keepdims=True) + pseudocount <= 0
    return np.where(empty, 0.25, counts_to_pwm(np.where(empty, 1.0, c), pseudocount))


def _window_base_counts(codes, offsets, L: int) -> tuple[np.ndarray, int]:
    """(4, L) counts of the base at position l of every window of the sequences, and the window count."""
    lo = offsets[0]
    local = codes[lo:offsets[-1]]
    starts = offsets[:-1] - lo
    m = np.diff(offsets) - L + 1
    keep = m > 0
    starts, m = starts[keep], m[keep]
    cum = np.zeros((4, local.size + 1), dtype=np.int64)
    for c in range(4):
        np.cumsum(local == c, out=cum[c, 1:])
    first = starts[:, None] + np.arange(L)  # (S, L): position l of each sequence's first window
    return (cum[:, first + m[:, None]] - cum[:, first]).sum(axis=1), int(m.sum())


def _mean_window_score(W, bias, strand, base_counts, n_windows) -> np.ndarray:
    """Mean score over all windows (and strands), from integer base counts, (K,).

    Exact counts make the result independent of batching. N contributes 0.
    """
    if n_windows == 0:
        return np.full(W.shape[0], np.nan)
    kernels = W.astype(np.float64)
    mean = np.einsum("kcl,cl->k", kernels, base_counts) / n_windows
    if strand == "both":
        rc = reverse_complement_kernels(kernels)
        mean = 0.5 * (mean + np.einsum("kcl,cl->k", rc, base_counts) / n_windows)
    return mean + bias
