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

__all__ = ["Seqlets", "call_seqlets", "recursive_seqlets"]


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
        Where the window itself starts (``[window_start, window_start + window)``; for recursive
        seqlets, ``[window_start, core_end)``).
    mode, thresholds : float, (float, float)
        The null's mode, and the distances below and above it beyond which windows are taken.
    window, flank : int
    notes : list of str
    core_end : (S,) int64 or None
        Recursive seqlets only: where each seqlet's own span ends (its length varies).
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
    core_end: np.ndarray | None = None

    def centers(self) -> np.ndarray:
        """(S,) int64: the middle base of each seqlet's window (its span for recursive seqlets)."""
        end = self.window_start + self.window if self.core_end is None else self.core_end
        return (self.window_start + end) // 2

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
    x = _per_base(contributions)
    window = int(check_number(window, "window", low=1, integer=True))
    flank = int(check_number(flank, "flank", low=0, integer=True))
    target_fdr = float(check_number(target_fdr, "target_fdr", low=0, high=1))
    max_seqlets = int(check_number(max_seqlets, "max_seqlets", low=0, integer=True))
    N, L = x.shape
    if L < window:
        raise ValueError(f"maps of {L} bases are shorter than the window ({window})")
    sums = np.empty((N, L - window + 1))  # (N, M) window sums, held once: dev below, in place
    for a in range(0, N, 1024):  # float64 cumulative sums a block of rows at a time
        cum = np.cumsum(x[a:a + 1024], axis=1, dtype=np.float64)
        sums[a:a + 1024] = cum[:, window - 1:]
        sums[a:a + 1024, 1:] -= cum[:, :-window]
    mode = _mode(sums.ravel())
    notes: list[str] = []
    thresholds = []
    dev = sums
    dev -= mode
    flat_dev = dev.ravel()
    for side in (-1, 1):
        t = _fdr_threshold(flat_dev[flat_dev > 0] if side > 0 else -flat_dev[flat_dev < 0], target_fdr)
        thresholds.append(t)
        if not np.isfinite(t):
            notes.append(f"no window {'above' if side > 0 else 'below'} the null passes the FDR of {target_fdr:g}")
    low, high = thresholds
    seqs, poss = [], []
    for a in range(0, N, 1024):  # rows are independent: a block of rows at a time
        block = dev[a:a + 1024]
        flat_block = block.ravel()
        hit = np.flatnonzero((flat_block >= high) | (-flat_block >= low))
        s, p = _strongest_apart(hit, np.abs(flat_block[hit]), block.shape, window)
        seqs.append(s + a)
        poss.append(p)
    seq_a, pos_a = np.concatenate(seqs), np.concatenate(poss)
    if seq_a.size > max_seqlets:
        notes.append(f"stopped at max_seqlets={max_seqlets}")
        top = np.lexsort((pos_a, seq_a, -np.abs(dev[seq_a, pos_a])))[:max_seqlets]
        seq_a, pos_a = seq_a[top], pos_a[top]
    keep = np.lexsort((pos_a, seq_a))
    seq_a, pos_a = seq_a[keep], pos_a[keep]
    score = dev[seq_a, pos_a] + mode if seq_a.size else np.empty(0)
    return Seqlets(seq_a, np.maximum(pos_a - flank, 0), np.minimum(pos_a + window + flank, L), score,
                   np.where(score - mode >= 0, 1, -1).astype(np.int8), pos_a, float(mode), (float(low), float(high)),
                   window, flank, notes)


def _per_base(contributions: Any) -> np.ndarray:
    """(N, L) per-base importance of (N, 4, L) contributions (summed over the letters) or of (N, L)
    given as is; ValueError naming what is wrong (dtype, shape, NaN or infinity and where)."""
    x = np.asarray(contributions)
    if x.dtype.kind not in "fiub":
        raise ValueError(f"contributions must be numbers, got dtype {x.dtype}")
    if x.ndim == 3:
        if x.shape[1] != 4:
            raise ValueError(f"contributions must be (N, 4, L) or (N, L); got {x.shape}")
        x = x.sum(axis=1)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"contributions must be (N, 4, L) or (N, L) with N >= 1; got {np.shape(contributions)}")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"contributions hold NaN or infinity (first at sequence {bad[0]}, position {bad[1]})")
    return x


def _strongest_apart(flat: np.ndarray, strength: np.ndarray, shape: tuple, window: int) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """(sequence, position) of the windows greedy selection takes among the candidates ``flat``
    (indices into an array of ``shape`` (N, M), in increasing order) of ``strength``, strongest first, skipping any
    within ``window`` - 1 of one taken in its row (ties: the earlier position). Computed in rounds:
    a window stronger than every available one within reach is taken by greedy selection, so each
    round takes those local maxima and removes their neighbours, until none are left (the same set
    as one window at a time)."""
    N, M = shape
    # ranks (ties broken toward the earlier sequence and position) make local maxima unique
    order = flat[np.argsort(-strength, kind="stable")]
    rank = np.full(N * M, -1, np.int32)
    rank[order] = np.arange(order.size, 0, -1, dtype=np.int32)
    rank = rank.reshape(N, M)
    taken = np.zeros((N, M), bool)
    size = 2 * window - 1
    while True:
        local = _row_max_filter(rank, size, -1)
        pick = (rank == local) & (rank > 0)
        if not pick.any():
            break
        taken |= pick
        blocked = _row_max_filter(pick.view(np.int8), size, 0) > 0
        rank[blocked] = -1
    seq, pos = np.nonzero(taken)
    return seq.astype(np.int64), pos.astype(np.int64)


def _row_max_filter(x: np.ndarray, size: int, fill: int) -> np.ndarray:
    """The maximum of each row of ``x`` (N, M) over the ``size`` (odd) entries centred on each entry,
    ``fill`` beyond the ends: van Herk and Gil-Werman's prefix and suffix maxima over blocks of
    ``size``, so O(M) per row whatever the size; 1024 rows at a time."""
    N, M = x.shape
    h = size // 2
    nb = -(-(M + 2 * h) // size)
    out = np.empty_like(x)
    for a in range(0, N, 1024):
        rows = x[a:a + 1024]
        n = rows.shape[0]
        pad = np.full((n, nb * size), fill, x.dtype)
        pad[:, h:h + M] = rows
        blocks = pad.reshape(n, nb, size)
        prefix = np.maximum.accumulate(blocks, axis=2).reshape(n, -1)
        suffix = np.maximum.accumulate(blocks[:, :, ::-1], axis=2)[:, :, ::-1].reshape(n, -1)
        # the window [j, j + size) of the padded row: the suffix max from j to its block's end, and
        # the prefix max of the next block up to j + size - 1
        np.maximum(suffix[:, :M], prefix[:, size - 1:size - 1 + M], out=out[a:a + n])
    return out


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
    # the FDR can reach the target only where expected <= n * target, i.e. beyond scale * ln(1 / target):
    # only those distances need sorting
    d = np.sort(dist[dist >= scale * np.log(1.0 / max(target, 1e-300))])[::-1]  # largest first: d[i] has i + 1
    if d.size == 0:
        return np.inf
    n_all = dist.size
    observed = np.arange(1, d.size + 1)
    expected = n_all * np.exp(-d / scale)
    fdr = np.minimum.accumulate((expected / observed)[::-1])[::-1]  # the best FDR at this or any lower threshold
    ok = np.flatnonzero(fdr <= target)
    return float(d[ok.max()]) if ok.size else np.inf


def recursive_seqlets(contributions: Any, *, threshold: float = 0.01, min_length: int = 4, max_length: int = 25,
                      flank: int = 0, n_bins: int = 1000, max_seqlets: int = 20_000) -> Seqlets:
    """Seqlets by the recursive rule of tangermeme (Schreiber): a span is a seqlet when it and every
    span inside it of at least ``min_length`` bases has a p-value below ``threshold``.

    Method (our reading): each base's importance is put in one of ``n_bins`` equal bins between the
    smallest and largest value; the null of a span's summed bins is the convolution of the bins'
    histogram with itself (bases independent), so every span of ``min_length`` .. ``max_length``
    bases gets a p-value (its sum or more). Spans meeting the rule are taken lowest p-value first
    (ties: longer, then earlier), skipping any that overlap one taken in the same sequence. Run on
    each sign (negated for the negative side); a negative seqlet overlapping a positive one is
    dropped. The p-values rank spans; they are not error rates (the null comes from the maps
    themselves and bases are not independent). Deterministic.

    Parameters
    ----------
    contributions : (N, 4, L) actual contributions, or (N, L) per-base importance
    threshold : p-value every inner span must be below
    min_length, max_length : span lengths considered
    flank : bases added on each side of a seqlet (cut at the ends)
    max_seqlets : at most this many, the lowest p-values

    Returns
    -------
    Seqlets (``score``: the span's summed importance; ``core_end`` set; ``window`` = ``max_length``)
    """
    x = _per_base(contributions)
    threshold = float(check_number(threshold, "threshold", low=0, high=1))
    min_length = int(check_number(min_length, "min_length", low=1, integer=True))
    max_length = int(check_number(max_length, "max_length", low=min_length, integer=True))
    n_bins = int(check_number(n_bins, "n_bins", low=2, integer=True))
    flank = int(check_number(flank, "flank", low=0, integer=True))
    N, L = x.shape
    if L < max_length:
        raise ValueError(f"maps of {L} bases are shorter than max_length ({max_length})")
    picked = []
    for sign in (1, -1):
        picked.append(_recursive_side(sign * x, threshold, min_length, max_length, n_bins))
    (ps, pp, pl, pv), (ns, np_, nl, nv) = picked
    # negative seqlets overlapping a positive one are dropped
    keep = np.ones(ns.size, bool)
    for i in range(ns.size):
        same = ps == ns[i]
        if (same & (pp < np_[i] + nl[i]) & (np_[i] < pp + pl)).any():
            keep[i] = False
    seq = np.concatenate([ps, ns[keep]])
    pos = np.concatenate([pp, np_[keep]])
    length = np.concatenate([pl, nl[keep]])
    pval = np.concatenate([pv, nv[keep]])
    sign_a = np.concatenate([np.ones(ps.size, np.int8), -np.ones(int(keep.sum()), np.int8)])
    notes = []
    if seq.size > max_seqlets:
        top = np.sort(np.argsort(pval, kind="stable")[:max_seqlets])
        seq, pos, length, sign_a = seq[top], pos[top], length[top], sign_a[top]
        notes.append(f"stopped at max_seqlets={max_seqlets}")
    order = np.lexsort((pos, seq))
    seq, pos, length, sign_a = seq[order], pos[order], length[order], sign_a[order]
    cum = np.concatenate([np.zeros((N, 1)), np.cumsum(x, axis=1)], axis=1)
    score = cum[seq, pos + length] - cum[seq, pos]
    return Seqlets(seq, np.maximum(pos - flank, 0), np.minimum(pos + length + flank, L), score, sign_a, pos, 0.0,
                   (threshold, threshold), max_length, flank, notes, core_end=pos + length)


def _recursive_side(x: np.ndarray, threshold: float, lmin: int, lmax: int, n_bins: int):
    """(sequence, start, length, p-value) of the positive side's recursive seqlets."""
    from scipy.signal import fftconvolve

    N, L = x.shape
    lo, hi = float(x.min()), float(x.max())
    width = (hi - lo) / n_bins if hi > lo else 1.0
    xb = np.clip(((x - lo) / width).astype(np.int64), 0, n_bins - 1)
    pdf1 = np.bincount(xb.ravel(), minlength=n_bins) / xb.size
    cum = np.concatenate([np.zeros((N, 1), np.int64), np.cumsum(xb, axis=1)], axis=1)
    pdf = pdf1
    valid_prev = None
    cands = []
    for length in range(1, lmax + 1):
        if length > 1:
            pdf = np.maximum(fftconvolve(pdf, pdf1), 0.0)
        if length < lmin:
            continue
        sf = np.cumsum(pdf[::-1])[::-1]
        sums = cum[:, length:] - cum[:, :-length]  # (N, L - length + 1)
        p = sf[sums]
        valid = p < threshold
        if valid_prev is not None:
            valid &= valid_prev[:, :-1] & valid_prev[:, 1:]
        s, st = np.nonzero(valid)
        cands.append((s, st, np.full(s.size, length), p[s, st]))
        valid_prev = valid
        if not valid.any():
            break
    if not cands:
        e = np.empty(0, np.int64)
        return e, e, e, np.empty(0)
    s = np.concatenate([c[0] for c in cands])
    st = np.concatenate([c[1] for c in cands])
    ln = np.concatenate([c[2] for c in cands])
    pv = np.concatenate([c[3] for c in cands])
    order = np.lexsort((st, s, -ln, pv))
    taken: dict[int, list[tuple[int, int]]] = {}
    out = []
    for i in order:
        q, a, n = int(s[i]), int(st[i]), int(ln[i])
        if any(a < b + m and b < a + n for b, m in taken.get(q, ())):
            continue
        taken.setdefault(q, []).append((a, n))
        out.append(i)
    out_a = np.asarray(out, np.int64)
    return s[out_a].astype(np.int64), st[out_a].astype(np.int64), ln[out_a].astype(np.int64), pv[out_a]
