"""Haplotype records around variants, cut from a contig's codes: what variant effects score.

A record holds a change with ``w - 1`` bases on each side (N past the contig's ends), so that every
window of width ``w`` in it overlaps the change; on the alternative haplotype the changed bases are
the ALT allele's. Rows of equal length are cut from a strided view of the contig (no copy of it).
"""

from __future__ import annotations

import numpy as np

from exactpwm.core.sequence import ENCODE

__all__ = ["genome_rows", "haplotype_records"]


def haplotype_records(genome: np.ndarray, w: int, a: np.ndarray, r: np.ndarray, s: np.ndarray,
              bases: np.ndarray) -> tuple[tuple, tuple]:
    """Packed code records ``(codes, offsets)`` of the reference and of the alternative haplotype
    around each change: ``w - 1`` bases each side (N past the contig's ends), so that every window
    of width ``w`` in a record holds a changed base, or both bases beside an empty change; each
    record ends in one N, so that the records also read as one sequence in which no window
    crosses from one record into the next without holding an N.

    genome: (n,) uint8 codes of the contig; a, r, s: (V,) int64 starts of the changes and their
    REF and ALT lengths, and bases: (V,) str, the changed ALT bases, all as
    :meth:`exactpwm.io.vcf.VariantColumns.changes` gives them, ordered by (r, s) (see
    :func:`exactpwm.io.vcf.by_change`): the records of one (r, s) are rows of equal length, cut
    from a strided view of the genome."""
    V = a.size
    pad = w - 1
    refs, alts = [], []
    cuts = np.flatnonzero((np.diff(r) != 0) | (np.diff(s) != 0)) + 1
    for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), V]):
        rr, ss = int(r[lo]), int(s[lo])
        n = rr + 2 * pad
        ref = np.full((hi - lo, n + 1), 4, np.uint8)  # the last column: the separator
        ref[:, :n] = genome_rows(genome, a[lo:hi] - pad, n)
        alt = np.empty((hi - lo, ss + 2 * pad + 1), np.uint8)
        alt[:, :pad] = ref[:, :pad]
        alt[:, pad:pad + ss] = ENCODE[np.frombuffer("".join(bases[lo:hi]).encode(), np.uint8)].reshape(hi - lo, ss)
        alt[:, pad + ss:] = ref[:, pad + rr:]
        refs.append(ref.reshape(-1))
        alts.append(alt.reshape(-1))
    ref_off = np.concatenate([[0], np.cumsum(r + 2 * pad + 1)])
    alt_off = np.concatenate([[0], np.cumsum(s + 2 * pad + 1)])
    empty = [np.zeros(0, np.uint8)]
    return (np.concatenate(refs or empty), ref_off), (np.concatenate(alts or empty), alt_off)


def genome_rows(genome: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """(V, n) uint8: genome[start:start + n] for each start, N where that runs past the contig's
    ends; rows inside are cut from a strided view (the contig is not copied)."""
    rows = np.full((starts.size, n), 4, np.uint8)
    inside = (starts >= 0) & (starts + n <= genome.size)
    if n <= genome.size:
        rows[inside] = np.lib.stride_tricks.sliding_window_view(genome, n)[starts[inside]]
    for i in np.flatnonzero(~inside if n <= genome.size else np.ones(starts.size, bool)).tolist():
        b, e = max(0, int(starts[i])), min(genome.size, int(starts[i]) + n)  # near an end: the part inside
        if e > b:
            rows[i, b - int(starts[i]):e - int(starts[i])] = genome[b:e]
    return rows
