"""Kernels in numpy where a backend has no compiled one (the engine facade's, below every layer:
numpy only). Storey's pi0 and q-values by rows, Tomtom's table and (Q, T) matrices from the
comparison's (Q, E) arrays, and exact tail tables of score matrices: the numba backend's (the
compiled core has its own, ``tomtom_table`` and ``tomtom_matrices`` in cpp/src/tomtom.cpp and
``tail_table_unchecked`` in cpp/src/exact_tails.cpp; the same numbers, bit for bit).
"""

from __future__ import annotations

import numpy as np

__all__ = ["best_orientation", "fill_table", "pruned_half", "stable_argsort", "storey_pi0_rows", "storey_qvalues",
           "tail_table"]


def _minus_is_better(pvalue: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    """(Q, T) bool: each target's '-' entry is the better one of (Q, 2T) results ('+' then '-' per
    target): a smaller p, or an equal p and a larger overlap ('+' wins a full tie)."""
    pp, pm, op, om = pvalue[:, 0::2], pvalue[:, 1::2], overlap[:, 0::2], overlap[:, 1::2]
    return (pm < pp) | ((pm == pp) & (om > op))


def best_orientation(pv: np.ndarray, off: np.ndarray, ov: np.ndarray, norient: int, out_p: np.ndarray,
                     out_off: np.ndarray, out_ov: np.ndarray, out_strand: np.ndarray) -> None:
    """Each target's better orientation of (Q, T * norient) comparison results (a target's '+'
    entry, then its '-' entry), as Tomtom's table picks it (smaller p, then larger overlap, then
    '+'), into the (Q, T) outputs (out_strand: S1, b"+" or b"-")."""
    if norient == 1:
        out_p[...], out_off[...], out_ov[...], out_strand[...] = pv, off, ov, b"+"
        return
    minus = _minus_is_better(pv, ov)
    np.copyto(out_p, np.where(minus, pv[:, 1::2], pv[:, 0::2]))
    np.copyto(out_off, np.where(minus, off[:, 1::2], off[:, 0::2]))
    np.copyto(out_ov, np.where(minus, ov[:, 1::2], ov[:, 0::2]))
    np.copyto(out_strand, np.where(minus, b"-", b"+").astype("S1"))


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


def pruned_half(M: np.ndarray, bg: np.ndarray, cols: np.ndarray, rest: np.ndarray,
                need: float) -> tuple[np.ndarray, np.ndarray]:
    """(scores, probabilities) float64 of the words over the columns ``cols`` of M ((4, w) float64),
    taken in that order (each column's bases A, C, G, T extend every word kept so far), that can
    reach ``need`` (-inf: every word): a partial score plus ``rest[j]`` (the best of the columns
    after the j-th) below it drops the word."""
    scores = np.zeros(1)
    probs = np.ones(1)
    for j, c in enumerate(cols):
        scores = (scores[:, None] + M[:, c][None, :]).reshape(-1)
        probs = (probs[:, None] * bg[None, :]).reshape(-1)
        alive = scores + rest[j] >= need
        if not alive.all():
            scores, probs = scores[alive], probs[alive]
    return scores, probs


def tail_table(M, bg, cols_a, rest_a, need_a, cols_b, rest_b, need_b, lo: float, tol: float, ceilings,
               max_words) -> tuple[int, np.ndarray, np.ndarray]:
    """(r, scores, tail): the exact tail table of M's words in [lo, ceilings[r] - tol) for the first
    range r holding at most max_words[r] of them (-1 and empty arrays: none); see
    :class:`exactpwm.core.exact_pvalues.TailTable` and cpp/src/exact_tails.cpp (the same numbers)."""
    A, PA = pruned_half(M, bg, cols_a, rest_a, need_a)
    B, PB = pruned_half(M, bg, cols_b, rest_b, need_b)
    order = stable_argsort(B)
    B, PB = B[order], PB[order]
    first = np.searchsorted(B, lo - A, side="left")  # per word of A: B[first:stop] in range
    for i, (ceiling, most) in enumerate(zip(ceilings, max_words)):
        ceiling = float(ceiling)
        stop = np.searchsorted(B, ceiling - tol - A, side="left") if np.isfinite(ceiling) \
            else np.full(A.size, B.size)
        count = np.maximum(stop - first, 0)
        total = int(count.sum())
        if total > most:
            continue
        anchor = 0.0
        if np.isfinite(ceiling) and A.size:  # the words at or above the ceiling: summed in A's order
            tail_b = np.concatenate([np.cumsum(PB[::-1])[::-1], [0.0]])
            anchor = float(np.cumsum(PA * tail_b[stop])[-1])
        keep = count > 0
        f, c = first[keep], count[keep]
        idx = np.arange(total) + np.repeat(f - np.concatenate([[0], np.cumsum(c)[:-1]]), c)
        owner = np.repeat(np.flatnonzero(keep), c)
        scores = A[owner] + B[idx]
        probs = PA[owner] * PB[idx]
        order = stable_argsort(scores)
        tail = np.concatenate([np.cumsum(probs[order][::-1])[::-1], [0.0]]) + anchor
        return i, scores[order], tail
    return -1, np.zeros(0), np.zeros(0)


def storey_pi0_rows(pvalues, *, n_bootstraps: int = 100, bootstrap_size: int = 1000, n_lambda: int = 100,
                    max_lambda: float = 0.5) -> np.ndarray:
    """:func:`exactpwm.core.pvalues.storey_pi0` of each row of ``pvalues`` ((R, n) float64, each row
    ascending): (R,) float64."""
    p = np.asarray(pvalues, dtype=np.float64)
    R, n = p.shape
    if n <= 100:
        return np.ones(R)
    lambdas = (np.arange(1, n_lambda + 1) / n_lambda) * max_lambda
    greater = n - np.stack([np.searchsorted(row, lambdas, side="left") for row in p])  # (R, n_lambda)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pi0s = np.where(greater == 0, np.inf, greater / ((1.0 - lambdas) * n))
        floor = pi0s.min(axis=1, keepdims=True)
        # a bootstrap sample's estimate is count / ((1 - lambda) B) with count ~ Binomial(B, share);
        # where a zero count is likely among the bootstraps the estimate is infinite, as MEME's is
        share = greater / n
        scale = (1.0 - lambdas) * bootstrap_size
        mean = share * bootstrap_size / scale
        var = share * (1.0 - share) * bootstrap_size / scale ** 2
        mse = n_bootstraps * (var + (mean - floor) ** 2)
        mse = np.where(n_bootstraps * (1.0 - share) ** bootstrap_size >= 0.5, np.inf, mse)
    best = np.argmin(mse, axis=1)
    return np.clip(pi0s[np.arange(R), best], 0.0, 1.0)


def storey_qvalues(pvalues: np.ndarray) -> np.ndarray:
    """q-values of ascending p-values, each row a set: Storey's pi0 of the row
    (:func:`exactpwm.core.pvalues.storey_pi0`, 1 for 100 values or fewer) times the
    Benjamini-Hochberg ratio, made monotone. pvalues : (n,) or (R, n) float64."""
    p = np.asarray(pvalues, np.float64)
    one = p.ndim == 1
    p = np.atleast_2d(p)
    R, n = p.shape
    if n == 0:
        return (p[0] if one else p).copy()
    pi0 = storey_pi0_rows(p)
    fdr = np.minimum(pi0[:, None] * p * np.float32(n) / np.arange(1, n + 1), 1.0)
    q = np.minimum.accumulate(fdr[:, ::-1], axis=1)[:, ::-1]
    return q[0] if one else q


def fill_table(pvalue: np.ndarray, offset: np.ndarray, overlap: np.ndarray, orientations: int,
               name_rank: np.ndarray, rows: np.ndarray, first_query: int = 0) -> None:
    """Write Tomtom's table into ``rows`` ((Q * T,) records with int64 ``query``, ``target``,
    ``offset``, ``overlap``, float64 ``pvalue``, ``evalue``, ``qvalue`` and ``strand`` b"+"/b"-"; ``query``
    counts from ``first_query``).

    pvalue (float64), offset, overlap (int64) : (Q, E), E = T * orientations, a target's '+' entry
    then its '-' entry; name_rank : (T,) int64, each target's rank by name. One sort per query of
    all its entries, on a packed integer key (float32 bits of p, then the tie order, then whether
    the entry is its target's better one) where the p-values are float32 numbers, as the engine's
    are; a lexsort otherwise.
    """
    Q, E = pvalue.shape
    T = E // orientations
    pvalue = pvalue + 0.0  # -0.0 (a p of exactly 0) sorts as 0
    by_name = np.argsort(name_rank)  # rank -> target
    entry = np.arange(E)
    minus = entry % orientations == 1
    better = np.ones((Q, E), bool)
    if orientations == 2:
        m = _minus_is_better(pvalue, overlap)
        better[:, 0::2] = ~m
        better[:, 1::2] = m
    top = int(overlap.max()) if overlap.size else 0
    # ties of p: larger overlap, '+' before '-', then the target's name; unique within a row
    tie = ((top - overlap) * (2 * T) + minus * T + name_rank[entry // orientations]) * 2 + better
    p32 = pvalue.astype(np.float32)
    if (p32 == pvalue).all() and (top + 1) * 4 * T <= 2 ** 32:
        key = (p32.view(np.uint32).astype(np.uint64) << np.uint64(32)) | tie.astype(np.uint64)
        key.sort(axis=1)
        p = (key >> np.uint64(32)).astype(np.uint32).view(np.float32).astype(np.float64)
        tie = (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
    else:
        order = np.lexsort((tie, pvalue), axis=1)
        p = np.take_along_axis(pvalue, order, axis=1)
        tie = np.take_along_axis(tie, order, axis=1)
    q = storey_qvalues(p)  # over every entry of the query
    keep = (tie & 1).astype(bool)
    tie = tie[keep] >> 1
    target = by_name[tie % T]
    strand_minus = (tie // T) % 2 == 1
    rows["query"] = np.repeat(np.arange(first_query, first_query + Q), T)
    rows["target"] = target
    rows["offset"] = offset.ravel()[np.repeat(np.arange(Q) * E, T) + target * orientations + strand_minus]
    rows["overlap"] = top - tie // (2 * T)
    rows["pvalue"] = p[keep]
    rows["evalue"] = rows["pvalue"] * T
    rows["qvalue"] = q[keep]
    rows["strand"] = np.where(strand_minus, b"-", b"+")
