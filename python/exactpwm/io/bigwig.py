"""Per-base tracks as bigWig files (pyBigWig), for genome browsers: attribution maps over regions
or sequences. Coordinates are 0-based half-open; where intervals overlap, their values are averaged."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from exactpwm.core._checks import optional_import

__all__ = ["write_base_track"]


def write_base_track(path: str, sizes: dict[str, int], entries: Iterable[tuple[str, int, np.ndarray]]) -> int:
    """Write one value per base, atomically.

    Parameters
    ----------
    path : str
        The bigWig file.
    sizes : dict
        {chromosome: length}, in the order the header lists them.
    entries : iterable of tuples
        ``(chromosome, start, values)``, ``values`` (n,) float for the bases ``start`` to
        ``start + n``; overlapping entries are averaged base by base; NaN values are left out.

    Returns
    -------
    int
        The number of bases written.
    """
    pyBigWig = optional_import("pyBigWig", "bigwig", "bigWig output")
    from exactpwm.io.files import atomic_path

    by_chrom: dict[str, list[tuple[int, np.ndarray]]] = {}
    for chrom, start, values in entries:
        if chrom not in sizes:
            raise ValueError(f"{chrom!r} is not among the track's chromosomes ({', '.join(list(sizes)[:5])}...)")
        v = np.asarray(values, np.float64)
        if start < 0 or start + v.size > sizes[chrom]:
            raise ValueError(f"{chrom}:{start}-{start + v.size} lies outside {chrom} (length {sizes[chrom]})")
        by_chrom.setdefault(chrom, []).append((int(start), v))
    written = 0
    with atomic_path(path) as tmp:
        bw = pyBigWig.open(tmp, "w")
        try:
            bw.addHeader([(c, max(1, int(n))) for c, n in sizes.items()])
            for chrom in sizes:
                for start, values in _merged(by_chrom.get(chrom, [])):
                    keep = ~np.isnan(values)
                    if not keep.any():
                        continue
                    pos = start + np.flatnonzero(keep)
                    bw.addEntries([chrom] * pos.size, pos.tolist(), ends=(pos + 1).tolist(),
                                  values=values[keep].tolist())
                    written += int(pos.size)
        finally:
            bw.close()
    return written


def _merged(items: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
    """Sorted, non-overlapping (start, values): overlapping entries averaged base by base."""
    items = sorted(items, key=lambda t: t[0])
    out: list[tuple[int, np.ndarray]] = []
    cluster: list[tuple[int, np.ndarray]] = []
    end = -1
    for start, v in items + [(1 << 62, np.empty(0))]:
        if cluster and start >= end:
            lo = cluster[0][0]
            total = np.zeros(end - lo)
            count = np.zeros(end - lo)
            for s, w in cluster:
                ok = ~np.isnan(w)
                total[s - lo:s - lo + w.size] += np.where(ok, w, 0)
                count[s - lo:s - lo + w.size] += ok
            out.append((lo, np.where(count > 0, total / np.maximum(count, 1), np.nan)))
            cluster, end = [], -1
        if v.size:
            cluster.append((start, v))
            end = max(end, start + v.size)
    return out
