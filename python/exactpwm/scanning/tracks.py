"""Dense score tracks of every window, and bedGraph output."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Callable

import numpy as np

from exactpwm.core.types import Background, Motifs, Sequences, Strand
from exactpwm.io.files import UniqueNames
from exactpwm.scanning.batches import DEFAULT_CHUNK, group_codes, sequence_batches
from exactpwm.scanning.plan import prepare_motifs, score_matrices, width_groups

__all__ = ["bedgraph_runs", "best_strand", "score_tracks", "write_bedgraph", "write_bigwig", "write_bigwig_runs"]


def score_tracks(motifs: Motifs, sequences: Sequences, *, names: Sequence[str] | None = None,
                 mode: str = "logodds", background: Background = None, base: float = 2.0,
                 pseudocount: float | None = None, strand: Strand = "both", step: float | None = None,
                 chunk_size: int = DEFAULT_CHUNK, threads: int = 0, backend: str = "auto",
                 progress: Callable[[int], None] | None = None,
                 records: tuple[int, int] | None = None) -> Iterator[tuple[str, int, np.ndarray, np.ndarray]]:
    """Dense score tracks, streamed: yields (sequence_name, start, motif_indices, scores) per chunk
    and width group; each motif's pieces come in sequence order (records are packed into batches,
    scored per group).

    ``scores`` has shape (k, m) for one strand or (2, k, m) for "both" (plus first),
    float64, for the group's motifs ``motif_indices`` (int64 (k,)) in the same yield. Window j of a
    chunk starts at ``start + j``; consecutive chunks tile the sequence without
    overlap. Windows holding N are NaN (they are never hits). Sequence names must be
    unique (ValueError otherwise): a track has one entry per chromosome. ``step`` None (the default)
    scores the motifs' own float64 matrices; a number rounds them to that grid first (``2**-10``:
    the previous default, whose equal scores make longer bedGraph runs). ``records=(first, stop)``:
    only those records of a FASTA file (a part of a larger job; see
    :func:`exactpwm.scanning.batches.sequence_batches`).
    """
    from exactpwm.core.scoring import conv1d

    motifs, names, background, pseudocount = prepare_motifs(motifs, names, mode, background, pseudocount)
    matrices = score_matrices(motifs, mode, background=background, base=base, pseudocount=pseudocount, step=step)
    groups = width_groups(matrices, np.zeros(len(matrices)), step)
    overlap = max(m.shape[1] for m in matrices) - 1
    seq_names: list[str] = []
    unique = UniqueNames()
    for batch in sequence_batches(sequences, chunk_size, overlap, seq_names, records=records):
        for name, start in zip(batch.names, batch.starts.tolist()):
            if start == 0:
                unique.add(name)
        for g in groups:
            codes, _ = group_codes(batch, g.width)
            if codes.size < g.width:
                continue
            scores = conv1d(codes, g.kernels, strand=strand, dtype=np.float64, threads=threads, backend=backend)
            n_cum = np.concatenate([[0], np.cumsum(codes >= 4)])
            has_n = n_cum[g.width:] != n_cum[:-g.width]
            scores[..., has_n] = np.nan
            for i in range(batch.size):
                m = max(0, min(int(batch.lengths[i]) - g.width + 1, int(batch.limits[i])))
                if m:
                    o = int(batch.offsets[i])
                    yield batch.names[i], int(batch.starts[i]), g.motifs, scores[..., o:o + m]
        if progress is not None:
            progress(batch.bases)


def bedgraph_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values in a 1-D track: (first index, end index, value) arrays; NaN runs left out."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {v.shape}")
    if v.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    change = np.flatnonzero((v[1:] != v[:-1]) & ~(np.isnan(v[1:]) & np.isnan(v[:-1]))) + 1
    first = np.concatenate([[0], change])
    end = np.concatenate([change, [v.size]])
    keep = ~np.isnan(v[first])
    return first[keep], end[keep], v[first[keep]]


def write_bedgraph(out: IO[str], sequence_name: str, start: int, values: np.ndarray, *, span: int = 1) -> None:
    """Append a bedGraph track of one motif's window scores: one line per run of equal values.

    A window j is written as [start + j, start + j + span) (span 1: the window's first base).
    NaN (windows with N) are left out. ``out`` is an open text file.
    """
    first, end, vals = bedgraph_runs(values)
    out.writelines(f"{sequence_name}\t{start + a}\t{start + b - 1 + span}\t{x!r}\n"
                   for a, b, x in zip(first.tolist(), end.tolist(), vals.tolist()))


def best_strand(scores: np.ndarray, strand: Strand) -> np.ndarray:
    """(k, m) track values: the better strand's score for "both" ((2, k, m) input), else as given."""
    return np.fmax(scores[0], scores[1]) if strand == "both" else scores


def write_bigwig(path: str, tracks: Iterable[tuple[str, int, np.ndarray, np.ndarray]], sizes: dict[str, int],
                 strand: Strand = "both") -> None:
    """Write one motif's :func:`score_tracks` output as a bigWig file (needs pyBigWig), atomically.

    sizes : {sequence name: length}, in file order (:func:`exactpwm.io.fasta.sequence_lengths`);
    values as :func:`write_bedgraph` (runs of equal scores, N windows left out).
    """
    def runs() -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
        for name, start, _, scores in tracks:
            first, end, v = bedgraph_runs(best_strand(scores, strand)[0])
            yield name, start + first, start + end, v

    write_bigwig_runs(path, sizes, runs())


def write_bigwig_runs(path: str, sizes: dict[str, int],
                      runs: Iterable[tuple[str, np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """A bigWig file (needs pyBigWig), atomically: ``sizes`` {sequence name: length} in file order,
    then each (name, starts, ends, values) run of entries, 0-based half-open, in that order."""
    try:
        import pyBigWig
    except ImportError:
        raise ImportError("bigWig output needs pyBigWig: pip install pyBigWig (or write .bedGraph)") from None
    from exactpwm.io.files import atomic_path

    with atomic_path(path) as tmp:
        bw = pyBigWig.open(tmp, "w")
        bw.addHeader([(n, max(1, s)) for n, s in sizes.items()])
        for name, starts, ends, values in runs:
            if len(starts):
                bw.addEntries([name] * len(starts), np.asarray(starts).tolist(), ends=np.asarray(ends).tolist(),
                              values=np.asarray(values, dtype=np.float64).tolist())
        bw.close()
