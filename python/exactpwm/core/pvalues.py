"""Exact p-values of window scores, by dynamic programming on a score grid.

Scanning quantizes every score matrix to a dyadic grid first:
``quantize(S, step)`` rounds each entry to a multiple of ``step`` (default
2**-10, about 0.001 score units: millibits for base-2 log-odds; a window's score
moves by at most L * step / 2). Then every window score is an exact multiple of
``step``, computed without rounding error in float64 *and* float32 (while
|score| < 2**14), whatever the summation order. So hits do not depend on the
engine, and p-values are exact:

The null model draws each base of a window independently from a 0-order
background; the window score is a sum of independent column scores, whose
distribution on the grid is computed exactly (as FIMO and MOODS do, up to their
own grids):

    p(s) = P_null(window score >= s)

A window is a hit at p-value threshold p when p(score) <= p, that is when its
score is >= :meth:`ScoreDistribution.threshold` (p).
"""

from __future__ import annotations

import math

import numpy as np

from exactpwm._engine import engine
from exactpwm._numpy_kernels import storey_pi0_rows
from exactpwm.core.matrices import as_background
from exactpwm.core.types import ArrayLike

__all__ = ["ScoreDistribution", "PvalueTable", "DEFAULT_STEP", "quantize", "benjamini_hochberg", "storey_pi0",
           "storey_pi0_rows",
           "score_distributions"]

DEFAULT_STEP = 2.0 ** -10
_MAX_BINS = 1 << 24


def quantize(matrix: ArrayLike, step: float = DEFAULT_STEP) -> np.ndarray:
    """Round every entry of a score matrix to the nearest multiple of ``step`` (half up); float64."""
    if not (step > 0 and math.isfinite(step)):
        raise ValueError(f"step must be a positive number, got {step!r}")
    return _grid(matrix, step).astype(np.float64) * step


_MAX_GRID = 2.0 ** 52  # grid indices stay exact integers in float64


def _grid(x, step):
    """Integer grid index of each score (nearest multiple of step, half up); a clear error when a
    score is not finite or too large for the grid."""
    with np.errstate(over="ignore", invalid="ignore"):
        g = np.floor(np.asarray(x, dtype=np.float64) / step + 0.5)
    if g.size and not (np.abs(g) < _MAX_GRID).all():
        big = float(np.max(np.abs(np.asarray(x, dtype=np.float64))))
        raise ValueError(f"a score of magnitude {big:g} is too large for the score grid (step {step:g}); "
                         "scale the matrix down or use a larger step")
    return g.astype(np.int64)


def _null_survival(cols: np.ndarray, bg: np.ndarray, backend: str = "auto", *, floor: int = 0) -> np.ndarray:
    """Survival function sf[i - floor] = P(sum >= i), i >= floor, of the sum of column integer scores
    cols (L, 4) >= 0, bases drawn with probabilities bg (4,); every engine gives the same numbers, bit
    for bit, whatever the floor."""
    return engine(backend).null_survival(np.ascontiguousarray(cols, dtype=np.int64),
                                         np.ascontiguousarray(bg, dtype=np.float64), int(floor))


class ScoreDistribution:
    """Null distribution of one score matrix's window score.

    Parameters
    ----------
    matrix : (4, L) score matrix (log-odds, log-likelihood or any kernel); entries
        are rounded to the grid (a no-op for a :func:`quantize`-d matrix)
    background : (4,) base probabilities of the null model (None = uniform)
    step : score resolution (> 0)
    floor : the lowest score whose p-value is wanted first (None = all). Only the
        distribution's tail from the floor up is computed then (the partial sums that
        cannot reach it are skipped, which makes a scan's tables several times cheaper);
        a p-value or threshold below the floor computes the rest when first asked.
        The numbers are the same, bit for bit, whatever the floor.
    """

    def __init__(self, matrix, background=None, step: float = DEFAULT_STEP, floor: float | None = None):
        M = np.asarray(matrix, dtype=np.float64)
        if M.ndim != 2 or M.shape[0] != 4 or not np.isfinite(M).all():
            raise ValueError(f"a score matrix must be a finite (4, L) array; got shape {M.shape}")
        if not (step > 0 and math.isfinite(step)):
            raise ValueError(f"step must be a positive number, got {step!r}")
        self.step = float(step)
        self.background = as_background(background)
        q = _grid(M, self.step).T  # (L, 4)
        self._low = int(q.min(axis=1).sum())
        self._cols = q - q.min(axis=1, keepdims=True)
        self._size = int(self._cols.max(axis=1).sum()) + 1  # grid scores low .. low + size - 1
        if self._size > _MAX_BINS:
            raise ValueError(
                f"the score range spans more than {_MAX_BINS} steps of {step:g}; use a larger step"
            )
        f = np.array([np.nan if floor is None else floor], np.float64)
        start = int(_tail_start(f, self.step, np.array([self._low]), np.array([self._size]))[0])
        self._tail = (start, self._survival(start))  # (first grid index i, P(grid score >= low + i) from i up)

    @classmethod
    def _made(cls, step: float, background: np.ndarray, low: int, cols: np.ndarray, size: int, start: int,
              sf: np.ndarray) -> ScoreDistribution:
        """A distribution whose parts are made (by :func:`score_distributions`): the attributes
        ``__init__`` sets, from grid columns ``cols`` (L, 4) and the tail ``sf`` from ``start``."""
        d = cls.__new__(cls)
        d.step, d.background, d._low, d._cols, d._size, d._tail = step, background, low, cols, size, (start, sf)
        return d

    def _survival(self, start: int) -> np.ndarray:
        return np.minimum(_null_survival(self._cols, self.background, floor=start), 1.0)

    def _survival_from(self, i: int) -> np.ndarray:
        """P(grid score >= low + j) for j = i .. size - 1 (computing the rest of the tail when i is below it)."""
        start, sf = self._tail
        if i < start:
            start, sf = self._tail = (0, self._survival(0))  # one assignment: safe across threads
        return sf[i - start:]

    @property
    def min_score(self) -> float:
        return self._low * self.step

    @property
    def max_score(self) -> float:
        return (self._low + self._size - 1) * self.step

    def pvalue(self, scores: ArrayLike) -> np.ndarray:
        """P(window score >= s) under the null, for each score s (same shape); in [0, 1]."""
        g = _grid(scores, self.step) - self._low
        out = np.where(g <= 0, 1.0, 0.0)
        inside = (g > 0) & (g < self._size)
        if inside.any():
            first = int(g[inside].min())
            out[inside] = self._survival_from(first)[g[inside] - first]
        return out

    def threshold(self, p: float) -> float:
        """The smallest float score whose p-value is <= p (inf when no score reaches p).

        Returned as the lower edge of its grid cell, so ``score >= threshold``
        exactly when ``pvalue(score) <= p`` (up to one rounding of s / step).
        """
        if not (0 <= p <= 1):
            raise ValueError(f"p-value thresholds must lie in [0, 1], got {p!r}")
        start, sf = self._tail
        if start > 0 and (sf.size == 0 or sf[0] <= p):  # the threshold may lie below the computed tail
            start, sf = 0, self._survival_from(0)
        ok = np.flatnonzero(sf <= p)
        if ok.size == 0:
            return math.inf
        g = int(ok[0]) + start + self._low
        return (g - 0.5) * self.step


class PvalueTable:
    """p-values of many motifs' scores in one vectorized lookup (same results as
    :meth:`ScoreDistribution.pvalue`).

    Only each motif's tail from ``floors[k]`` up is stored (scans look up hits, which
    score at or above their threshold; none for a floor of +inf, a motif that never reaches
    its threshold); a score below its floor is answered by the motif's full distribution.
    """

    def __init__(self, dists: list, floors=None):
        self.dists = dists
        self.step = np.array([d.step for d in dists])
        full = np.array([d._size for d in dists], dtype=np.int64)
        low = np.array([d._low for d in dists], dtype=np.int64)
        if floors is None:
            skip = np.zeros(len(dists), dtype=np.int64)
        else:
            f = np.asarray(floors, dtype=np.float64)
            g = np.where(np.isfinite(f), _grid(np.where(np.isfinite(f), f, 0.0) / self.step, 1.0), low)
            skip = np.where(f == np.inf, full, np.clip(g - low, 0, full))
        self.low = low + skip  # grid score of each stored table's first entry
        self.size = full - skip
        tails = [d._survival_from(int(k)) for d, k in zip(dists, skip)]
        shared = _one_array(tails)
        if shared is not None:  # views of one array (score_distributions makes them so): read in place
            self.sf, self.offset = shared
        else:
            self.offset = np.concatenate([[0], np.cumsum(self.size)[:-1]]).astype(np.int64)
            self.sf = np.concatenate(tails) if dists else np.zeros(0)

    def pvalue(self, motif: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """p-value of scores[i] under motif[i]'s null distribution."""
        g = _grid(scores / self.step[motif], 1.0) - self.low[motif]
        out = np.zeros(g.size)
        inside = (g >= 0) & (g < self.size[motif])
        out[inside] = self.sf[self.offset[motif[inside]] + g[inside]]
        below = np.flatnonzero(g < 0)
        for i in below:  # not reached for hits of a scan
            out[i] = self.dists[motif[i]].pvalue(scores[i])
        return out


def _one_array(parts: list) -> tuple[np.ndarray, np.ndarray] | None:
    """(whole, offsets) when every non-empty part is a contiguous float64 view of one 1-D array
    ``whole``, part k starting at whole[offsets[k]] (0 for an empty part); else None."""
    whole = None
    for p in parts:
        if p.size:
            root = p if p.base is None else p.base
            if whole is None:
                whole = root
            if root is not whole or p.ndim != 1 or p.strides != (8,):
                return None
    if whole is None or not (isinstance(whole, np.ndarray) and whole.dtype == np.float64 and whole.ndim == 1
                             and whole.flags.c_contiguous):
        return None
    start = whole.__array_interface__["data"][0]
    offsets = np.array([(p.__array_interface__["data"][0] - start) // 8 if p.size else 0 for p in parts], np.int64)
    return whole, offsets


def storey_pi0(pvalues: ArrayLike, *, n_bootstraps: int = 100, bootstrap_size: int = 1000, n_lambda: int = 100,
               max_lambda: float = 0.5) -> float:
    """Storey's estimate of the fraction of true nulls from a sample of p-values, as MEME computes it.

    For each lambda in (0, max_lambda] (n_lambda steps), pi0(lambda) = #{p >= lambda} / ((1 - lambda) n);
    the estimate is pi0 at the lambda whose bootstrap mean-squared error against the smallest
    pi0(lambda) is smallest (Storey 2002, Eq. 28). MEME draws the bootstraps at random; here their
    expected error is used in closed form, so the estimate is reproducible. 1.0 for 100 values or
    fewer. In [0, 1].
    """
    p = np.sort(np.asarray(pvalues, dtype=np.float64).ravel())
    return float(storey_pi0_rows(p[None], n_bootstraps=n_bootstraps, bootstrap_size=bootstrap_size,
                                 n_lambda=n_lambda, max_lambda=max_lambda)[0])


def benjamini_hochberg(pvalues: ArrayLike, n_tests: int | None = None, pi0: float = 1.0) -> np.ndarray:
    """q-values of a 1-D array of p-values (same order): Benjamini-Hochberg, scaled by the null
    fraction ``pi0`` (Storey's q-values when ``pi0`` comes from :func:`storey_pi0`).

    ``n_tests``: the number of tests made, when ``pvalues`` holds only the
    smallest of them (the hits of a scan); default ``len(pvalues)``.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    n = p.size
    if n == 0:
        return p.copy()
    m = n if n_tests is None else max(int(n_tests), n)
    order = np.argsort(p, kind="stable")
    ranked = pi0 * p[order] * m / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def score_distributions(matrices, background=None, step: float = DEFAULT_STEP, threads: int = 0,
                        labels=None, floors=None, pvalue: float | None = None) -> list:
    """:class:`ScoreDistribution` of each matrix, all computed in one engine call on ``threads``
    threads (0 = all cores); an error names the matrix by ``labels[i]`` (default "motif i").
    ``floors``: each matrix's ``floor`` (None = whole distributions). The same numbers as
    ``ScoreDistribution(matrix, background, step, floor)`` of each, bit for bit.

    ``pvalue`` (without ``floors``): the tails a scan at this p-value threshold reads. Each
    distribution is computed from a proven lower bound of its threshold (:func:`_pvalue_starts`),
    less ``L + 2`` steps for an L-column matrix (room for a certified scan's band, which reaches at
    most ``(L + 1) * step`` below the threshold); the same numbers, bit for bit, and the rest is
    computed if a lower score is asked."""
    from exactpwm.core._checks import resolve_threads

    if not (step > 0 and math.isfinite(step)):
        raise ValueError(f"step must be a positive number, got {step!r}")
    K = len(matrices)
    Ms = [np.asarray(M, dtype=np.float64) for M in matrices]
    flat = np.concatenate(Ms, axis=1) if K and all(M.ndim == 2 and M.shape[0] == 4 and M.shape[1] for M in Ms) \
        else None
    if flat is None or not np.isfinite(flat).all() or not (np.abs(flat) / step < _MAX_GRID / 2).all():
        # an invalid (or empty) matrix among them: made one by one, so an error names it
        return [_labelled(labels, i, Ms[i], background, step, None if floors is None else floors[i])
                for i in range(K)]
    col_start = np.concatenate([[0], np.cumsum([M.shape[1] for M in Ms])]).astype(np.int64)
    q = _grid(flat, step).T  # (columns, 4)
    mins = q.min(axis=1)
    cols = np.ascontiguousarray(q - mins[:, None])
    low = np.add.reduceat(mins, col_start[:-1])
    size = np.add.reduceat(cols.max(axis=1), col_start[:-1]) + 1
    for i in np.flatnonzero(size > _MAX_BINS):
        _labelled(labels, int(i), Ms[i], background, step)
    bg = as_background(background)
    if floors is None and pvalue is not None and 0 < pvalue <= 1:
        start = _pvalue_starts(cols, col_start, low, size, bg, float(pvalue), resolve_threads(threads))
    else:
        f = np.full(K, np.nan) if floors is None else np.array([np.nan if x is None else x for x in floors],
                                                              np.float64)
        start = _tail_start(f, step, low, size)
    sf, sf_start = engine().null_survivals(cols, col_start, bg, start, resolve_threads(threads))
    np.minimum(sf, 1.0, out=sf)
    return [ScoreDistribution._made(step, bg, int(low[k]), cols[col_start[k]:col_start[k + 1]], int(size[k]),
                                    int(start[k]), sf[sf_start[k]:sf_start[k + 1]]) for k in range(K)]


#: a coarse distribution for the p-value bound has about this many cells per motif
_COARSE_BINS = 2048


def _pvalue_starts(cols: np.ndarray, col_start: np.ndarray, low: np.ndarray, size: np.ndarray, bg: np.ndarray,
                   pvalue: float, threads: int) -> np.ndarray:
    """(K,) int64: for each distribution (grid columns ``cols[col_start[k]:col_start[k + 1]]`` (L, 4)
    >= 0 from ``low[k]``, ``size[k]`` grid scores), a first grid index at or below its threshold of
    ``pvalue``, less L + 2; in [0, size].

    The bound: each column's grid scores divided by G (G about size / 2048) and rounded down make a
    coarse score C with G * C <= the grid score for every word, so P(grid score >= G c) >= P(C >= c).
    The coarse distribution is cheap (about 2048 cells per column); its largest c with
    P(C >= c) >= pvalue (1 + 1e-9) (a margin far above its rounding) has P(grid score >= G c) >= pvalue,
    so the threshold (the first grid score whose p-value is <= pvalue) is not below G c."""
    K = len(size)
    lengths = np.diff(col_start)
    G = np.maximum(1, -(-size // _COARSE_BINS))  # (K,)
    g = np.repeat(G, lengths)[:, None]
    coarse = np.floor_divide(cols, g)  # the columns' lowest entry is 0: the grid offset low stays apart
    csize = np.add.reduceat(coarse.max(axis=1), col_start[:-1]) + 1
    sf, sf_start = engine().null_survivals(coarse, col_start, bg, np.zeros(K, np.int64), threads)
    reach = (sf >= pvalue * (1.0 + 1e-9)).astype(np.int64)
    above = np.add.reduceat(reach, sf_start[:-1]) if reach.size else np.zeros(K, np.int64)
    above[sf_start[:-1] == sf_start[1:]] = 0
    c = np.maximum(np.minimum(above, csize) - 1, 0)  # the largest coarse index whose survival reaches pvalue
    # grid index (from low) of G * c, less room for a certified scan's band
    return np.clip(G * c - (lengths + 2), 0, size).astype(np.int64)


def _labelled(labels, i: int, *args) -> ScoreDistribution:
    """ScoreDistribution(*args) of matrix i, a ValueError's message naming it (labels[i], default "motif i")."""
    try:
        return ScoreDistribution(*args)
    except ValueError as exc:
        raise ValueError(f"{labels[i] if labels is not None else f'motif {i}'}: {exc}") from None


def _tail_start(floor: np.ndarray, step: float, low: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(K,) int64: the first grid index (from each distribution's ``low``) whose survival a floor
    needs, in [0, size]; 0 for a NaN floor (the whole distribution), as ScoreDistribution's."""
    with np.errstate(invalid="ignore"):
        x = floor / step - low
        g = _grid(np.where(np.isfinite(floor), floor, 0.0), step) - low
        return np.where(~(x > 0), 0, np.where(x >= size, size, np.clip(g, 0, size))).astype(np.int64)
