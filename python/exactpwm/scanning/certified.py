"""Certified p-values for scans at a p-value threshold: each window's decision and reported
p-value exact for the real-valued score matrix, not only for its 2**-10 grid.

The engine scans the grid matrices Q (fast, exact sums in float32). A window's real score r and
grid score q differ by at most ``delta`` (the sum over columns of the largest rounding error).
With ``t`` the grid threshold of p (the lower edge of the first grid cell whose grid p-value is
<= p) and ``h`` the grid step, the real threshold lies in ``(t - delta - h/2, t + delta + h/2]``:
every window with ``r >= t + delta + h`` is a hit, every window with ``r < t - delta - h`` is not.
So the engine scans at ``q >= t - 2 delta - h`` (a superset of the hits), each window's real
score is summed from its bases, and:

* when at most :data:`FULL_TAIL_WORDS` words score at or above ``t - delta - h`` (most motifs),
  every hit's p-value comes from a table of all of them (:class:`exactpwm.core.exact_pvalues.TailTable`):
  the decision and the p-value are exact;
* otherwise (wide motifs with large tails) the words in the band ``[t - delta - h, t + delta + h)``
  are tabulated, with the words above it as one exact sum: the decision is exact and the p-value
  of a window in the band too; above the band the p-value is the grid's, which lies within the
  null mass of the words scoring within ``delta + h/2`` of the window;
* motifs wider than :data:`exactpwm.core.exact_pvalues.MAX_WIDTH`, or whose band holds more than
  :data:`BAND_WORDS` words, keep the grid's decision and p-values.

"Exact" means float64 sums, with scores closer than ``1e-9 * (1 + sum of the columns' largest
absolute entries)`` counted as ties (see :mod:`exactpwm.core.exact_pvalues`). Reported scores
are the real-valued matrix's.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from exactpwm._engine import engine
from exactpwm.core._checks import resolve_threads
from exactpwm.core.exact_pvalues import TailTable

__all__ = ["BAND_WORDS", "FULL_TAIL_WORDS", "CertifiedPvalues", "real_window_scores"]

#: the whole tail above the threshold band is tabulated when it holds at most this many words
FULL_TAIL_WORDS = 1 << 16
#: the most words of the band around the threshold tabulated for a wide motif
BAND_WORDS = 1 << 20


def real_window_scores(matrix: np.ndarray, codes: np.ndarray, starts: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """(H,) float64 scores of windows under a (4, w) float64 matrix: ``codes`` (n,) uint8 (0..3
    inside the windows), ``starts`` (H,) int64 forward-strand starts, ``minus`` (H,) bool: score the
    window's reverse complement (as the '-' strand reads it)."""
    w = matrix.shape[1]
    win = codes[starts[:, None] + np.arange(w)].astype(np.intp)
    win = np.where(minus[:, None], 3 - win[:, ::-1], win)
    return matrix[win, np.arange(w)].sum(axis=1)


class CertifiedPvalues:
    """What a p-value scan needs to certify its hits (see the module's notes).

    exact : K (4, w_k) float64 real-valued score matrices; grid : the same on the grid
    thresholds : (K,) float64 grid thresholds of ``pvalue`` (inf where no word reaches it)
    pvalue : the p-value threshold; background : (4,) null model; step : the grid step
    """

    def __init__(self, exact: list, grid: list, thresholds: np.ndarray, pvalue: float, background: np.ndarray,
                 step: float):
        self.exact = exact
        self.pvalue = float(pvalue)
        self.background = np.asarray(background, dtype=np.float64)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.delta = np.array([float(np.abs(E - Q).max(axis=0).sum()) for E, Q in zip(exact, grid)])
        self.step = float(step)
        self.floor = self.thresholds - self.delta - step
        self.ceiling = self.thresholds + self.delta + step
        self._tables: dict[int, tuple[str, TailTable | None]] = {}
        self._window_tables: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def scan_thresholds(self) -> np.ndarray:
        """(K,) grid-score thresholds the engine scans at: a superset of the certified hits."""
        return self.thresholds - 2.0 * self.delta - self.step

    def subset(self, motifs) -> CertifiedPvalues:
        """The same for some of the motifs (indices), sharing the tables built so far."""
        ix = [int(i) for i in motifs]
        out = CertifiedPvalues.__new__(CertifiedPvalues)
        out.exact = [self.exact[i] for i in ix]
        out.pvalue, out.background, out.step = self.pvalue, self.background, self.step
        for name in ("thresholds", "delta", "floor", "ceiling"):
            setattr(out, name, getattr(self, name)[ix])
        out._tables = {j: self._tables[i] for j, i in enumerate(ix) if i in self._tables}
        out._window_tables = None
        return out

    def table(self, k: int, backend: str = "auto") -> tuple[str, TailTable | None]:
        """("full" | "band" | "grid", table) of motif k, built on first use (the same on every backend)."""
        if k not in self._tables:
            i, table = TailTable.first_fit(self.exact[k], float(self.floor[k]), self.background, self._ranges(k),
                                           backend=backend)
            self._tables[k] = (("full", "band")[i], table) if table is not None else ("grid", None)
        return self._tables[k]

    def _ranges(self, k: int) -> list[tuple[float, int]]:
        """Motif k's (ceiling, most words) tried in order: the whole tail, then the band."""
        return [(np.inf, FULL_TAIL_WORDS), (float(self.ceiling[k]), BAND_WORDS)]

    def kinds(self) -> list[str]:
        """Each motif's kind of certificate ("full", "band" or "grid"; "none" for a motif that
        never reaches the p-value), building every table."""
        return [self.table(k)[0] if np.isfinite(self.thresholds[k]) else "none" for k in range(len(self.exact))]

    def prepare(self, motifs, threads: int = 0, backend: str = "auto") -> None:
        """Build the tables of ``motifs`` (indices) not built yet, in one engine call on ``threads``
        threads (0: all cores)."""
        todo = [int(k) for k in motifs if int(k) not in self._tables and np.isfinite(self.thresholds[int(k)])]
        jobs = [(self.exact[k], float(self.floor[k]), self._ranges(k)) for k in todo]
        for k, (i, table) in zip(todo, TailTable.first_fits(jobs, self.background, threads=threads, backend=backend)):
            self._tables[k] = (("full", "band")[i], table) if table is not None else ("grid", None)

    def resolve(self, motif: np.ndarray, grid_score: np.ndarray, grid_pvalue: np.ndarray, codes: np.ndarray,
                pos: np.ndarray, minus: np.ndarray, threads: int = 0,
                backend: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(real scores, p-values, keep) of a batch's candidate windows (found at
        :attr:`scan_thresholds`): ``keep`` marks the certified hits."""
        pvalue = grid_pvalue.astype(np.float64, copy=True)
        keep = np.zeros(motif.size, bool)
        if not motif.size:
            return grid_score.astype(np.float64), pvalue, keep
        self.prepare(_present(motif), threads, backend)
        score = self._real_scores(motif, codes, pos, minus, threads, backend)
        for k, rows in _by_motif(motif, np.arange(motif.size)):
            kind, sure, p = self._certify(k, score[rows])
            if kind == "grid":
                keep[rows] = grid_score[rows] >= self.thresholds[k]
                continue
            looked = rows[~sure]
            pvalue[looked] = np.where(np.isnan(p), 1.0, p)
            keep[looked] = p <= self.pvalue  # NaN (below the floor): not a hit
            keep[rows[sure]] = True
        return score, pvalue, keep

    def decide(self, motif: np.ndarray, score: np.ndarray, fallback: Callable[[np.ndarray], np.ndarray],
               threads: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(p-values, hits) of windows known by their real scores (any windows, such as each
        allele's best around a variant): the decision exact, and the p-value exact where the motif's
        table holds the score ("full": every score at or above the floor; "band": scores in the
        band); elsewhere ``fallback(rows)`` (the grid's p-value at the real score of those rows),
        and for "grid" motifs the grid's decision on it. NaN scores are never hits (p-value NaN).

        motif : (H,) motif indices; score : (H,) float64; fallback : (R,) row indices -> (R,) p-values
        """
        score = np.asarray(score, dtype=np.float64)
        pvalue = np.full(score.size, np.nan)
        hit = np.zeros(score.size, bool)
        exact = np.zeros(score.size, bool)
        rows_ok = np.flatnonzero(np.isfinite(score) & np.isfinite(self.thresholds[motif]))
        grid_rows = []
        if rows_ok.size:
            self.prepare(_present(motif[rows_ok]), threads)
        for k, rows in _by_motif(motif, rows_ok):
            kind, sure, p = self._certify(k, score[rows])
            if kind == "grid":
                grid_rows.append(rows)
                continue
            looked, inside = rows[~sure], ~np.isnan(p)  # NaN: below the table's floor, so not a hit
            pvalue[looked[inside]] = p[inside]
            exact[looked[inside]] = True
            hit[looked] = inside & (p <= self.pvalue)
            hit[rows[sure]] = True
        rest = np.flatnonzero(~exact & ~np.isnan(score))
        if rest.size:
            pvalue[rest] = fallback(rest)
        for rows in grid_rows:
            hit[rows] = pvalue[rows] <= self.pvalue
        return pvalue, hit

    def _certify(self, k: int, score: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
        """(kind, sure, p) of motif k's windows with real scores ``score``: ``sure`` marks those
        above the band (hits whatever their p-value: "band" tables only); ``p`` the table's exact
        p-values of the others (NaN below the floor). For "grid" motifs sure and p are empty."""
        kind, table = self.table(k)
        if table is None:
            return kind, np.zeros(0, bool), np.zeros(0)
        sure = score >= self.ceiling[k] if kind == "band" else np.zeros(score.size, bool)
        return kind, sure, table.pvalue(score[~sure])

    def _real_scores(self, motif, codes, pos, minus, threads: int, backend: str) -> np.ndarray:
        """(H,) float64 real scores of the windows, summed by the engine from a table of every
        motif's matrix and its reverse complement (read on the forward window), built once."""
        if self._window_tables is None:
            both = [np.ascontiguousarray(m.T) for M in self.exact for m in (M, M[::-1, ::-1])]
            self._window_tables = (np.concatenate([t.ravel() for t in both]),
                                   np.concatenate([[0], np.cumsum([t.size for t in both])]).astype(np.int64))
        tables, table_start = self._window_tables
        which = 2 * motif.astype(np.int64) + minus
        score = np.empty(motif.size)
        engine(backend).window_sums(np.ascontiguousarray(codes, np.uint8), np.ascontiguousarray(pos, np.int64),
                                    which, tables, table_start, score, resolve_threads(threads))
        return score


def _present(motif: np.ndarray) -> np.ndarray:
    """The motif indices (>= 0) that occur, ascending (np.unique would import numpy.ma: 6.5 ms of a CLI run)."""
    return np.flatnonzero(np.bincount(motif))


def _by_motif(motif: np.ndarray, rows: np.ndarray):
    """(k, the rows of ``rows`` whose motif is k), for each motif among them in increasing order,
    the rows in their given order."""
    if not rows.size:
        return
    keys = motif[rows]
    if keys.min() >= 0 and keys.max() < 1 << 16:  # numpy's stable sort of 16-bit keys is a radix sort
        keys = keys.astype(np.uint16)
    order = rows[np.argsort(keys, kind="stable")]
    for part in np.split(order, np.flatnonzero(np.diff(motif[order])) + 1):
        yield int(motif[part[0]]), part
