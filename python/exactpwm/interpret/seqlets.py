"""Seqlets: the windows of attribution maps whose importance stands out from a null, as TF-MoDISco
calls them (the first step from per-sequence maps to motifs).

Method:

1. Each base's importance is the sum of its contributions over the four letters; windows of
   ``window`` bases are summed (0-based; window ``j`` covers bases ``[j, j + window)``).
2. The null: the window sums' mode ``mu`` (a two-level histogram), then a Laplace distribution on
   each side of it, its scale fitted robustly to the median distance from ``mu`` on that side (so
   the few windows that hold motifs hardly move it).
3. On each side, the threshold is the smallest distance ``t`` from ``mu`` at which the expected
   number of null windows beyond ``t`` over the number observed there (the false discovery rate)
   is at most ``target_fdr``.
4. Windows beyond a threshold are taken greedily, strongest first; a window overlapping one already
   taken in the same sequence is skipped. Each seqlet is the window with ``flank`` bases on each
   side, cut at the sequence's ends.

Deterministic (no sampling); results do not depend on the order of the sequences beyond ties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number, optional_import

__all__ = ["Seqlets", "call_seqlets"]


@dataclass
class Seqlets:
    """Seqlets of N maps, one row each, ordered by sequence then start.

    Attributes
    ----------
    sequence, start, end : (S,) int64
        The map they come from and their ``[start, end)`` (window plus flanks, cut at the ends).
    score : (S,) float64
        The window's summed importance.
    sign : (S,) int8
        +1 above the null's mode, -1 below.
    window_start : (S,) int64
        Where the window itself starts (``[window_start, window_start + window)``).
    mode, thresholds : float, (float, float)
        The null's mode, and the distances below and above it beyond which windows are taken.
    window, flank : int
    notes : list of str
    """

    sequence: np.ndarray
    start: np.ndarray
    end: np.ndarray
    score: np.ndarray
    sign: np.ndarray
    window_start: np.ndarray
    mode: float
    thresholds: tuple[float, float]
    window: int
    flank: int
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.sequence.size)

    def to_pandas(self) -> Any:
        """A table: sequence, start, end, score, sign."""
        pd = optional_import("pandas", "tables", "Seqlets.to_pandas")
        return pd.DataFrame({"sequence": self.sequence, "start": self.start, "end": self.end, "score": self.score,
                             "sign": self.sign})


def call_seqlets(contributions: Any, *, window: int = 21, flank: int = 10, target_fdr: float = 0.2,
                 max_seqlets: int = 20_000) -> Seqlets:
    """Seqlets of attribution maps (see the module's notes).

    Parameters
    ----------
    contributions : (N, 4, L) actual contributions (summed over the letters), or (N, L) per-base
        importance, float
    window : bases per window (TF-MoDISco's default 21)
    flank : bases added on each side of a window (default 10)
    target_fdr : the false discovery rate of the windows taken, on each side (default 0.2)
    max_seqlets : at most this many seqlets, the strongest

    Returns
    -------
    Seqlets
    """
    x = np.asarray(contributions, dtype=np.float64)
    if x.ndim == 3:
        if x.shape[1] != 4:
            raise ValueError(f"contributions must be (N, 4, L) or (N, L); got {x.shape}")
        x = x.sum(axis=1)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"contributions must be (N, 4, L) or (N, L) with N >= 1; got {np.shape(contributions)}")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"contributions hold NaN or infinity (first at sequence {bad[0]}, position {bad[1]})")
    window = int(check_number(window, "window", low=1, integer=True))
    flank = int(check_number(flank, "flank", low=0, integer=True))
    target_fdr = float(check_number(target_fdr, "target_fdr", low=0, high=1))
    max_seqlets = int(check_number(max_seqlets, "max_seqlets", low=0, integer=True))
    N, L = x.shape
    if L < window:
        raise ValueError(f"maps of {L} bases are shorter than the window ({window})")
    cum = np.concatenate([np.zeros((N, 1)), np.cumsum(x, axis=1)], axis=1)
    sums = cum[:, window:] - cum[:, :-window]  # (N, M)
    mode = _mode(sums.ravel())
    notes: list[str] = []
    thresholds = []
    for side in (-1, 1):
        dist = side * (sums.ravel() - mode)
        t = _fdr_threshold(dist[dist > 0], target_fdr)
        thresholds.append(t)
        if not np.isfinite(t):
            notes.append(f"no window {'above' if side > 0 else 'below'} the null passes the FDR of {target_fdr:g}")
    low, high = thresholds
    dev = sums - mode
    hit = (dev >= high) | (-dev >= low)
    seq, pos = np.nonzero(hit)
    order = np.lexsort((pos, seq, -np.abs(dev[seq, pos])))  # strongest first; ties by sequence, position
    taken_seq: list[int] = []
    taken_pos: list[int] = []
    last: dict[int, list[int]] = {}
    for i in order:
        if len(taken_seq) >= max_seqlets:
            notes.append(f"stopped at max_seqlets={max_seqlets}")
            break
        s, p = int(seq[i]), int(pos[i])
        if any(abs(p - q) < window for q in last.get(s, ())):
            continue  # overlaps a stronger window of this sequence
        last.setdefault(s, []).append(p)
        taken_seq.append(s)
        taken_pos.append(p)
    seq_a = np.asarray(taken_seq, np.int64)
    pos_a = np.asarray(taken_pos, np.int64)
    keep = np.lexsort((pos_a, seq_a))
    seq_a, pos_a = seq_a[keep], pos_a[keep]
    score = sums[seq_a, pos_a] if seq_a.size else np.empty(0)
    return Seqlets(seq_a, np.maximum(pos_a - flank, 0), np.minimum(pos_a + window + flank, L), score,
                   np.where(score - mode >= 0, 1, -1).astype(np.int8), pos_a, float(mode), (float(low), float(high)),
                   window, flank, notes)


def _mode(values: np.ndarray) -> float:
    """The mode of ``values``: the fullest of 1000 bins, then of 1000 bins within it."""
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return lo
    for _ in range(2):
        counts, edges = np.histogram(values, bins=1000, range=(lo, hi))
        k = int(np.argmax(counts))
        lo, hi = float(edges[k]), float(edges[k + 1])
        inside = values[(values >= lo) & (values <= hi)]
        if inside.size < 2 or inside.max() == inside.min():
            break
    return (lo + hi) / 2


def _fdr_threshold(dist: np.ndarray, target: float) -> float:
    """The smallest distance t with expected null count beyond t over observed count <= target;
    the null: every window on this side, Laplace with the scale fitted to their median distance."""
    if dist.size < 2:
        return np.inf
    scale = float(np.median(dist)) / np.log(2)
    if scale <= 0:
        return np.inf
    d = np.sort(dist)[::-1]  # largest first: d[i] has i + 1 observed at or beyond it
    observed = np.arange(1, d.size + 1)
    expected = d.size * np.exp(-d / scale)
    fdr = np.minimum.accumulate((expected / observed)[::-1])[::-1]  # the best FDR at this or any lower threshold
    ok = np.flatnonzero(fdr <= target)
    return float(d[ok.max()]) if ok.size else np.inf
