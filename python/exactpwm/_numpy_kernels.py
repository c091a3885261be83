"""Kernels in numpy where a backend has no compiled one (the engine facade's, below every layer:
numpy only). Storey's pi0 and q-values by rows, and Tomtom's table from the comparison's (Q, E)
arrays: the numba backend's (the compiled core has its own, ``tomtom_table`` in
cpp/src/tomtom.cpp; the same rows, bit for bit).
"""

from __future__ import annotations

import numpy as np

__all__ = ["fill_table", "storey_pi0_rows", "storey_qvalues"]


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
        pp, pm, op, om = pvalue[:, 0::2], pvalue[:, 1::2], overlap[:, 0::2], overlap[:, 1::2]
        m = (pm < pp) | ((pm == pp) & (om > op))
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
