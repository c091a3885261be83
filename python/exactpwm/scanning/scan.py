"""Genome-scale motif scanning: motifs x sequences -> hits, in bounded memory.

Conventions: both strands by default; hit coordinates 0-based half-open on the
forward strand; windows containing N (or any IUPAC code) are never hits, as in
FIMO and MOODS; lowercase (soft-masked) bases are scored as uppercase.

Scores: PWMs become score matrices (log-odds against the background by default),
which are quantized to multiples of ``step`` (see :mod:`exactpwm.core.pvalues`), so
window scores are exact and hits do not depend on threads, backend or chunking.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from exactpwm.core._checks import to_numpy
from exactpwm.core.matrices import as_background, log_likelihood, log_odds, probabilities_with_pseudocount
from exactpwm.core.motif import MotifSet
from exactpwm.core.pvalues import (
    DEFAULT_STEP,
    PvalueTable,
    ScoreDistribution,
    benjamini_hochberg,
    quantize,
    score_distributions,
)
from exactpwm.core.scoring import prepare_threshold, run_threshold
from exactpwm.core.sequence import _check_codes, encode, window_letters
from exactpwm.io.fasta import Chunk, iter_chunks
from exactpwm.io.files import UniqueNames
from exactpwm.scanning.hits import HitTable, RowBuffer, hit_dtype

__all__ = ["scan", "plan_scan", "iter_scan", "ScanPlan", "score_matrices", "sequence_maxima", "SequenceMaxima",
           "score_tracks", "write_bedgraph", "bedgraph_runs", "scan_chunk", "subset_plan", "MODES", "ScanWarning"]

MODES = ("logodds", "loglik", "matrix")
DEFAULT_CHUNK = 1 << 23
_FLOAT32_EXACT = 2.0 ** 14  # quantized scores below this magnitude are exact in float32


def _unpack(motifs, names, background, pseudocount):
    """A MotifSet becomes (its PWMs after the pseudocount step, its names, its background, 0);
    anything else passes through."""
    if isinstance(motifs, MotifSet):
        bg = motifs.background if background is None else background
        return motifs.pwms(pseudocount, bg), (motifs.names if names is None else names), bg, 0.0
    return motifs, names, background, pseudocount


def _smoothed(M: np.ndarray, pseudocount: float, background) -> np.ndarray:
    """A probability matrix after the pseudocount step (read as counts of 20 sites, as a motif
    without counts or nsites is): the same numbers for an array as for a MotifSet."""
    return probabilities_with_pseudocount(M, pseudocount, background) if pseudocount else M


def score_matrices(motifs, mode: str = "logodds", *, background=None, base: float = 2.0,
                   pseudocount: float = 0.0, step: float | None = DEFAULT_STEP) -> list[np.ndarray]:
    """Quantized (4, L_i) score matrices from motifs of any widths.

    motifs : a (K, 4, L) array, a sequence of (4, L_i) arrays, or a :class:`exactpwm.MotifSet`
        (then its background is the default and ``pseudocount`` is added to its counts
        as in the MEME suite, see :meth:`exactpwm.Motif.probabilities`)
    mode : "logodds" (log_b(p / background)), "loglik" (log_b p) or "matrix"
        (the input already holds scores, e.g. CNN kernels)
    pseudocount : counts added to each column, spread by the background, before the log
        (as FIMO's ``--motif-pseudo``): a motif's counts, or its probabilities read as counts of
        its ``nsites`` sites (20 when unknown, always for plain arrays), so an array and a
        MotifSet holding the same probabilities score the same
    step : grid of the scores (None: no quantization; then hits are exact
        only up to float rounding and p-values approximate)
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if isinstance(motifs, MotifSet) and mode == "matrix":
        raise ValueError("a MotifSet holds probabilities: use mode='logodds' or 'loglik', not 'matrix'")
    motifs, _, background, pseudocount = _unpack(motifs, None, background, pseudocount)
    items = list(motifs) if not isinstance(motifs, np.ndarray) or motifs.ndim == 3 else [motifs]
    if not items:
        raise ValueError("no motifs given")
    out = []
    for i, m in enumerate(items):
        M = to_numpy(m, f"motif {i}").astype(np.float64)
        if M.ndim != 2 or M.shape[0] != 4 or M.shape[1] < 1:
            raise ValueError(f"motif {i} must have shape (4, L) with rows A, C, G, T; got {M.shape}")
        try:
            if mode == "logodds":
                M = log_odds(_smoothed(M, pseudocount, background), background, base)
            elif mode == "loglik":
                M = log_likelihood(_smoothed(M, pseudocount, background), base)
            elif not np.isfinite(M).all():
                raise ValueError("has a non-finite value")
            out.append(quantize(M, step) if step is not None else M)
        except ValueError as exc:
            raise ValueError(f"motif {i}: {exc}") from None
    return out


@dataclass
class _Group:
    """Motifs of one width, scanned together by one engine call per chunk."""

    width: int
    motifs: np.ndarray  # (k,) motif indices
    kernels: np.ndarray  # (k, 4, width)
    thresholds: np.ndarray  # (k,) float64
    dtype: type
    _inputs: dict = field(default_factory=dict, repr=False)  # strand -> engine inputs

    def engine_inputs(self, strand: str):
        """The engine table and thresholds for ``strand``, prepared once per plan."""
        if strand not in self._inputs:
            self._inputs[strand] = prepare_threshold(self.kernels, self.thresholds, strand=strand, dtype=self.dtype)
        return self._inputs[strand]


def _groups(matrices: list[np.ndarray], thresholds: np.ndarray, step) -> list[_Group]:
    groups = []
    for w in sorted({m.shape[1] for m in matrices}):
        idx = np.array([i for i, m in enumerate(matrices) if m.shape[1] == w])
        kernels = np.stack([matrices[i] for i in idx])
        worst = np.abs(kernels).max(axis=1).sum(axis=1).max()
        exact32 = step is not None and worst < _FLOAT32_EXACT
        groups.append(_Group(w, idx, kernels, thresholds[idx], np.float32 if exact32 else np.float64))
    return groups


def _is_file(sequences) -> bool:
    return isinstance(sequences, (os.PathLike, str)) and (str(sequences) == "-" or os.path.exists(str(sequences))) \
        or hasattr(sequences, "read")


def _as_chunks(sequences, chunk_size: int, overlap: int, names_out: list[str]) -> Iterator[Chunk]:
    """Chunks from a FASTA path / '-' / file object, or from in-memory sequences."""
    if _is_file(sequences):
        for chunk in iter_chunks(sequences, chunk_size, overlap):
            if chunk.record == len(names_out):
                names_out.append(chunk.name)
            yield chunk
        return
    for record, (name, codes) in enumerate(_memory_records(sequences, names_out)):
        for start, stop, last in _piece_bounds(codes.size, chunk_size, overlap):
            yield Chunk(record, name, start, codes[start:stop], last)


_SEQUENCE_TEXT = re.compile(r"[ACGTUNRYSWKMBDHVX\-\s]*", re.IGNORECASE)


def _memory_records(sequences, names_out: list[str]) -> Iterator[tuple[str, np.ndarray]]:
    """(name, codes) of in-memory sequences: a dict, a list of sequences or (name, sequence) pairs,
    or one sequence; names are appended to ``names_out`` as they are read. uint8 code vectors pass
    as they are: their range is checked once per packed batch (:func:`_pack_batch`)."""
    if isinstance(sequences, os.PathLike):
        raise FileNotFoundError(f"{os.fspath(sequences)}: no such file")
    if isinstance(sequences, str) and not _SEQUENCE_TEXT.fullmatch(sequences):
        raise FileNotFoundError(f"{sequences!r}: no such file, and not a DNA sequence either (letters ACGTU, N, "
                                "IUPAC codes); a str is read as a file when that file exists, else as one sequence "
                                "(pass a pathlib.Path to mean a file)")
    if isinstance(sequences, (str, bytes, np.ndarray)):
        sequences = [sequences]
    items = sequences.items() if isinstance(sequences, dict) else enumerate(sequences)
    for key, seq in items:
        if isinstance(seq, tuple) and len(seq) == 2:  # (name, sequence) pairs in a list
            key, seq = seq
        name = str(key) if not isinstance(key, int) else f"seq{key}"
        names_out.append(name)
        if _is_code_vector(seq):
            yield name, seq
            continue
        try:
            yield name, (_check_codes(seq) if isinstance(seq, np.ndarray) else encode(seq))
        except ValueError as exc:
            raise ValueError(f"sequence {name}: {exc}") from None


def _is_code_vector(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 1


_MAX_BATCH_RECORDS = 1 << 16  # whole records packed into one engine call, at most


@dataclass
class _Batch:
    """Consecutive pieces of records packed into one code array for one engine call per width group.

    Piece i is ``codes[offsets[i]:offsets[i] + lengths[i]]``; pieces are separated by one N, so a
    window that crosses from one piece into the next always holds an N (never a hit, never a
    maximum, a NaN in a track). A piece of a long record comes alone (no separator).

    codes : (n,) uint8; offsets : (R + 1,) int64 (offsets[R] == n); lengths, records, starts,
    limits : (R,) int64 -- the piece's length, its record's index, the position of its first base
    in the record, and the piece-relative start below which its windows belong to it
    (``chunk_size`` for all but a record's last piece); names : (R,) record names.
    """

    codes: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    records: np.ndarray
    starts: np.ndarray
    limits: np.ndarray
    names: list

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def bases(self) -> int:
        """Bases this batch moves a scan forward (for progress)."""
        return int(np.minimum(self.limits, self.lengths).sum())


def _pack(codes: list[np.ndarray], names: list[str], records: list[int], starts: list[int],
          limits: list[int]) -> _Batch:
    """A batch of pieces: several are packed with one N after each; one is used as it is."""
    lengths = np.fromiter((c.size for c in codes), dtype=np.int64, count=len(codes))
    if len(codes) == 1:
        packed = codes[0]
        offsets = np.array([0, packed.size], dtype=np.int64)
    else:
        offsets = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=offsets[1:])
        sep = np.full(1, 4, dtype=np.uint8)
        packed = np.concatenate([x for c in codes for x in (c, sep)])
    if packed.size and packed.max() > 4:  # uint8 input codes are range-checked here, once per batch
        piece = int(np.searchsorted(offsets, int(np.argmax(packed > 4)), side="right")) - 1
        raise ValueError(f"sequence {names[piece]}: encoded sequences must hold codes 0..4 (A, C, G, T, N); "
                         "use exactpwm.encode on letters")
    return _Batch(packed, offsets, lengths, np.asarray(records, dtype=np.int64),
                  np.asarray(starts, dtype=np.int64), np.asarray(limits, dtype=np.int64), names)


def _pack_batch(chunks: list[Chunk], chunk_size: int) -> _Batch:
    return _pack([c.codes for c in chunks], [c.name for c in chunks], [c.record for c in chunks],
                 [c.start for c in chunks], [c.codes.size if c.last else chunk_size for c in chunks])


def _batches(sequences, chunk_size: int, overlap: int, names_out: list[str]) -> Iterator[_Batch]:
    """Whole records packed together up to about ``chunk_size`` bases (a peak set: one engine call
    per width group for thousands of records); each piece of a longer record is a batch of its own
    (pieces of ``chunk_size + overlap`` bases, consecutive ones sharing ``overlap``)."""
    codes_: list[np.ndarray] = []
    names_: list[str] = []
    records_: list[int] = []
    held = 0

    def flush() -> _Batch:
        nonlocal codes_, names_, records_, held
        batch = _pack(codes_, names_, records_, [0] * len(codes_), [c.size for c in codes_])
        codes_, names_, records_, held = [], [], [], 0
        return batch

    if not _is_file(sequences):
        fast = _packed_memory_batches(sequences, chunk_size, overlap, names_out)
        if fast is not None:
            yield from fast
            return
    for name, codes, record, start, last in _pieces(sequences, chunk_size, overlap, names_out):
        if start == 0 and last:
            codes_.append(codes)
            names_.append(name)
            records_.append(record)
            held += codes.size + 1
            if held >= chunk_size or len(codes_) >= _MAX_BATCH_RECORDS:
                yield flush()
            continue
        if codes_:
            yield flush()
        yield _pack([codes], [name], [record], [start], [codes.size if last else chunk_size])
    if codes_:
        yield flush()


def _packed_memory_batches(sequences, chunk_size: int, overlap: int, names_out: list[str]):
    """Batches of a dict or list of short uint8 code vectors, made with whole-list operations (a
    peak set of 50,000 records: no per-record Python beyond one type check); None when the
    input is anything else (then records are taken one by one)."""
    if isinstance(sequences, dict):
        keys, values = list(sequences.keys()), list(sequences.values())
    elif isinstance(sequences, (list, tuple)):
        keys, values = None, list(sequences)
    else:
        return None
    if not values or not all(_is_code_vector(v) for v in values):
        return None
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if lengths.max() > chunk_size + overlap:
        return None
    names = [f"seq{i}" for i in range(len(values))] if keys is None else \
        [k if isinstance(k, str) else f"seq{k}" if isinstance(k, int) else str(k) for k in keys]
    ends = np.cumsum(lengths + 1)  # batch boundaries: about chunk_size bases or _MAX_BATCH_RECORDS records

    def batches():
        first = 0
        while first < len(values):
            last = min(int(np.searchsorted(ends, ends[first] - lengths[first] - 1 + chunk_size, side="left")) + 1,
                       first + _MAX_BATCH_RECORDS, len(values))
            names_out.extend(names[first:last])
            yield _pack(values[first:last], names[first:last], list(range(first, last)), [0] * (last - first),
                        lengths[first:last].tolist())
            first = last

    return batches()


def _pieces(sequences, chunk_size: int, overlap: int, names_out: list[str]):
    """(name, codes, record, start, last) of every piece of every record, FASTA or in memory."""
    if _is_file(sequences):
        for c in _as_chunks(sequences, chunk_size, overlap, names_out):
            yield c.name, c.codes, c.record, c.start, c.last
        return
    for record, (name, codes) in enumerate(_memory_records(sequences, names_out)):
        if codes.size <= chunk_size + overlap:
            yield name, codes, record, 0, True
            continue
        for a, b, last in _piece_bounds(codes.size, chunk_size, overlap):
            yield name, codes[a:b], record, a, last


def _piece_bounds(n: int, chunk_size: int, overlap: int) -> Iterator[tuple[int, int, bool]]:
    """(start, stop, last) of the pieces of a record of n bases: ``chunk_size + overlap`` bases at
    most, piece i starting at ``i * chunk_size``; a record yields at least one piece."""
    start = 0
    while True:
        last = n - start <= chunk_size + overlap
        stop = n if last else start + chunk_size + overlap
        yield start, stop, last
        if last:
            return
        start += chunk_size


def _group_codes(batch: _Batch, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, offsets) the engine scans for one width group: a lone piece is cut after its last
    window that belongs to it; packed whole records are scanned as they are."""
    if batch.size == 1:
        codes = batch.codes[: int(batch.limits[0]) + width - 1]
        return codes, np.array([0, codes.size], dtype=np.int64)
    return batch.codes, batch.offsets


@dataclass
class ScanPlan:
    """What a scan needs before it reads any sequence: matrices, thresholds, null models."""

    matrices: list
    names: list
    thresholds: np.ndarray
    dists: list
    groups: list
    overlap: int
    dtype: np.dtype
    pvalues: PvalueTable

    @property
    def widths(self) -> np.ndarray:
        """(K,) int64 motif widths."""
        return np.array([m.shape[1] for m in self.matrices], dtype=np.int64)


class ScanWarning(UserWarning):
    """Something about a scan's inputs that changes what it reports (renamed or unreachable motifs)."""


def _motif_names(names, K: int) -> list[str]:
    """K motif names (default motif0, motif1, ...); repeats get ``_2``, ``_3``, ... with a warning,
    so every hit names one motif."""
    names = [f"motif{i}" for i in range(K)] if names is None else [str(n) for n in names]
    if len(names) != K:
        raise ValueError(f"{len(names)} names for {K} motifs")
    seen: dict[str, int] = {}
    out, renamed = [], []
    taken = set(names)
    for n in names:
        if n in seen:
            i = seen[n]
            while f"{n}_{i}" in taken:
                i += 1
            seen[n] = i + 1
            out.append(f"{n}_{i}")
            taken.add(out[-1])
            renamed.append(f"{n} -> {out[-1]}")
        else:
            seen[n] = 2
            out.append(n)
    if renamed:
        warnings.warn(f"motif names repeat, renamed so that hits can be told apart: {', '.join(renamed[:10])}"
                      + (f" and {len(renamed) - 10} more" if len(renamed) > 10 else ""), ScanWarning, stacklevel=4)
    return out


def plan_scan(motifs, *, pvalue=None, score=None, names=None, mode="logodds", background=None, base=2.0,
              pseudocount=0.0, step=DEFAULT_STEP, threads=0) -> ScanPlan:
    """Check the arguments and prepare a scan (see :func:`scan` for their meaning)."""
    if pvalue is not None and score is not None:
        raise ValueError("give pvalue= or score=, not both")
    if score is None and pvalue is None:
        pvalue = 1e-4
    if mode != "matrix":
        motifs, names, background, pseudocount = _unpack(motifs, names, background, pseudocount)
    matrices = score_matrices(motifs, mode, background=background, base=base, pseudocount=pseudocount, step=step)
    K = len(matrices)
    names = _motif_names(names, K)
    dists = score_distributions(matrices, as_background(background), step or 1e-3, threads)
    if score is None:
        if not (isinstance(pvalue, (int, float)) and 0 < pvalue <= 1):
            raise ValueError(f"pvalue must be a number in (0, 1], got {pvalue!r}")
        thresholds = np.array([d.threshold(pvalue) for d in dists])
        never = [n for n, t in zip(names, thresholds) if not np.isfinite(t)]
        if never:
            shown = ", ".join(never[:10]) + (f" and {len(never) - 10} more" if len(never) > 10 else "")
            warnings.warn(f"{len(never)} of {K} motifs can never reach p <= {pvalue:g} (even their best "
                          f"window is more likely than that), so they give no hits: {shown}", ScanWarning,
                          stacklevel=3)
    else:
        thresholds = np.broadcast_to(np.asarray(score, dtype=np.float64), (K,)).copy()
        if np.isnan(thresholds).any():
            raise ValueError("score thresholds must not be NaN")
    overlap = max(m.shape[1] for m in matrices) - 1
    return ScanPlan(matrices, names, thresholds, dists, _groups(matrices, thresholds, step), overlap,
                    hit_dtype(overlap + 1), PvalueTable(dists, thresholds))


def subset_plan(plan: ScanPlan, motifs: np.ndarray, step=DEFAULT_STEP) -> ScanPlan:
    """The plan for some of its motifs (indices ``motifs``), reusing their null distributions;
    ``step`` must be the one the plan was made with. Hits name motifs by their place in the subset."""
    ix = [int(i) for i in motifs]
    matrices = [plan.matrices[i] for i in ix]
    thresholds = plan.thresholds[ix]
    dists = [plan.dists[i] for i in ix]
    return ScanPlan(matrices, [plan.names[i] for i in ix], thresholds, dists, _groups(matrices, thresholds, step),
                    plan.overlap, plan.dtype, PvalueTable(dists, thresholds))


def iter_scan(plan: ScanPlan, sequences, *, strand: str = "both", chunk_size: int = DEFAULT_CHUNK,
              threads: int = 0, backend: str = "auto", sequence_names: list | None = None,
              count_tests: bool = False,
              progress: Callable[[int], None] | None = None) -> Iterator[tuple[np.ndarray, int]]:
    """Scan chunk by chunk: yields (hits, n_tests) per chunk, hits a structured array (see
    :class:`exactpwm.HitTable`) with p-values and NaN q-values, n_tests the motif x strand x
    N-free window tests made (0 unless ``count_tests``; needed for q-values). Memory stays
    bounded by the chunk, whatever the input size.
    ``sequence_names``, if given, is filled with the names of the sequences as they are read.
    """
    if strand not in ("+", "-", "both"):
        raise ValueError(f"strand must be '+', '-' or 'both', got {strand!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    names = [] if sequence_names is None else sequence_names
    for batch in _batches(sequences, chunk_size, plan.overlap, names):
        rows = _scan_batch(plan, batch, strand, threads, backend)
        n_tests = 0
        if count_tests:
            limit = int(batch.limits[0]) if batch.size == 1 else batch.codes.size
            n_tests = _count_windows(batch.codes, limit, plan.groups) * (2 if strand == "both" else 1)
        if progress is not None:
            progress(batch.bases)
        yield rows, n_tests


def scan_chunk(plan: ScanPlan, chunk: Chunk, chunk_size: int, *, strand: str = "both", threads: int = 0,
               backend: str = "auto") -> np.ndarray:
    """Hits of one chunk (windows starting in its first ``chunk_size`` bases, or all if it is the
    record's last): a structured array sorted by (start, strand '+' first, motif), with p-values."""
    return _scan_batch(plan, _pack_batch([chunk], chunk_size), strand, threads, backend)


def _scan_batch(plan: ScanPlan, batch: _Batch, strand: str, threads, backend) -> np.ndarray:
    """Hits of a batch as a structured array sorted by (record, start, strand '+' first, motif)."""
    codes = _check_codes(batch.codes)
    found = [_group_hits(batch, g, strand, threads, backend) for g in plan.groups]
    motif, pos, minus, score = (np.concatenate([f[i] for f in found]) for i in range(4))
    piece = np.searchsorted(batch.offsets, pos, side="right") - 1 if batch.size > 1 \
        else np.zeros(pos.size, dtype=np.int64)
    local = pos - batch.offsets[piece]  # windows crossing into the next piece hold the separator N: no hits
    # one int64 key, (packed start, strand '+' first, motif): a single argsort, then gathers of plain columns
    K = len(plan.matrices)
    order = np.argsort(pos * (2 * K) + minus * K + motif, kind="stable")
    motif, pos, minus, score, piece, local = (a[order] for a in (motif, pos, minus, score, piece, local))
    widths = plan.widths[motif]
    rows = np.empty(motif.size, plan.dtype)
    rows["motif"] = motif
    rows["sequence"] = batch.records[piece]
    rows["start"] = batch.starts[piece] + local
    rows["end"] = rows["start"] + widths
    rows["strand"] = np.where(minus, b"-", b"+")
    rows["score"] = score
    rows["pvalue"] = plan.pvalues.pvalue(motif, score)
    rows["qvalue"] = np.nan
    letters = window_letters(codes, pos, widths, minus, plan.overlap + 1, threads=threads, backend=backend)
    rows["matched"] = letters.view(plan.dtype["matched"]).ravel()
    return rows


def _group_hits(batch: _Batch, g: _Group, strand: str, threads, backend):
    """(motif int32, packed start int64, minus bool, score float64) of one width group's hits."""
    codes, offsets = _group_codes(batch, g.width)
    if codes.size < g.width:
        return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0)
    h = run_threshold(codes, np.array([0, codes.size], dtype=np.int64), g.engine_inputs(strand), strand,
                      True, threads, backend)
    return g.motifs[h.kernel].astype(np.int32), h.start, h.strand < 0, h.score.astype(np.float64)


def scan(
    motifs,
    sequences,
    *,
    pvalue: float | None = None,
    score=None,
    names: Sequence[str] | None = None,
    mode: str = "logodds",
    background=None,
    base: float = 2.0,
    pseudocount: float = 0.0,
    strand: str = "both",
    step: float | None = DEFAULT_STEP,
    qvalues: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    threads: int = 0,
    backend: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> HitTable:
    """Find motif occurrences: every window scoring at or above a threshold.

    Parameters
    ----------
    motifs : PWMs (probabilities, rows A, C, G, T) as a (K, 4, L) array or a list of
        (4, L_i) arrays of any widths; with ``mode="matrix"``, score matrices or kernels
    sequences : a FASTA path (plain, gzip, xz or bzip2; a ``pathlib.Path`` is always a path,
        a str is a path when that file exists), ``"-"`` for stdin, an open binary file, a dict
        name -> sequence, a list of sequences or (name, sequence) pairs, or one sequence (str of
        letters or uint8 codes); a str that is neither an existing file nor letters is a
        FileNotFoundError that says so
    pvalue : hit when the window's p-value is <= pvalue (default 1e-4 when no
        ``score`` is given), computed exactly under the 0-order ``background`` on the score grid
    score : instead of pvalue, a score threshold (scalar or one per motif)
    names : motif names (default motif0, motif1, ...)
    mode, background, base, pseudocount, step : see :func:`score_matrices`;
        ``background`` (None = uniform) is also the null model of the p-values
    strand : "both" (default), "+" or "-"
    qvalues : also compute Benjamini-Hochberg q-values over all window tests made
    chunk_size : bases per engine call (memory: a few bytes per base, plus the hits);
        results do not depend on it
    threads, backend : as in :func:`exactpwm.conv1d`
    progress : called with the number of bases done after each chunk

    Returns
    -------
    HitTable, ordered by sequence, start, strand ('+' first) and motif. For inputs
    whose hits do not fit in memory, use :func:`plan_scan` and :func:`iter_scan`.
    """
    plan = plan_scan(motifs, pvalue=pvalue, score=score, names=names, mode=mode, background=background,
                     base=base, pseudocount=pseudocount, step=step, threads=threads)
    seq_names: list[str] = []
    found, n_tests = RowBuffer(plan.dtype), 0
    for rows, tests in iter_scan(plan, sequences, strand=strand, chunk_size=chunk_size, threads=threads,
                                 backend=backend, sequence_names=seq_names, count_tests=qvalues,
                                 progress=progress):
        found.append(rows)  # then the chunk's array is dropped: the next chunk reuses its memory
        del rows
        n_tests += tests
    hits = found.result()
    if qvalues:
        hits["qvalue"] = benjamini_hochberg(hits["pvalue"], n_tests)
    alts = [m.alt_name for m in motifs] if isinstance(motifs, MotifSet) else None
    return HitTable(hits, plan.names, seq_names, plan.thresholds, alts)


def _count_windows(codes: np.ndarray, limit: int, groups: list[_Group]) -> int:
    """Motif x window tests in a chunk: N-free windows starting before `limit`, per group width."""
    no_n = not (codes >= 4).any()
    n_cum = None if no_n else np.concatenate([[0], np.cumsum(codes >= 4)])
    total = 0
    for g in groups:
        m = min(limit, codes.size - g.width + 1)
        if m > 0 and no_n:
            total += m * g.motifs.size
        elif m > 0:
            free = int(np.count_nonzero(n_cum[g.width:g.width + m] == n_cum[:m]))
            total += free * g.motifs.size
    return total


@dataclass
class SequenceMaxima:
    """Best window per (sequence, motif), over both strands unless asked otherwise.

    score : (S, K) float64, -inf where a sequence has no N-free window
    start : (S, K) int64, 0-based forward-strand start of the best window (-1 if none);
        ties prefer the '+' strand, then the smallest start (as :func:`exactpwm.max_scores`)
    strand : (S, K) int8, +1 / -1 (0 if none)
    pvalue : (S, K) float64, the best score's p-value (1.0 if none)
    motif_names, sequence_names : the labels of the axes
    """

    score: np.ndarray
    start: np.ndarray
    strand: np.ndarray
    pvalue: np.ndarray
    motif_names: list
    sequence_names: list


def sequence_maxima(motifs, sequences, *, names=None, mode: str = "logodds", background=None, base: float = 2.0,
                    pseudocount: float = 0.0, strand: str = "both", step: float | None = DEFAULT_STEP,
                    chunk_size: int = DEFAULT_CHUNK, threads: int = 0, backend: str = "auto",
                    progress: Callable[[int], None] | None = None) -> SequenceMaxima:
    """Global max pooling of motif scores per sequence, streamed in chunks (arguments as in :func:`scan`).

    Windows containing N are never the best window (as in :func:`scan`).
    """
    from exactpwm.core.scoring import max_scores

    if mode != "matrix":
        motifs, names, background, pseudocount = _unpack(motifs, names, background, pseudocount)
    matrices = score_matrices(motifs, mode, background=background, base=base, pseudocount=pseudocount, step=step)
    K = len(matrices)
    names = _motif_names(names, K)
    groups = _groups(matrices, np.zeros(K), step)
    overlap = max(m.shape[1] for m in matrices) - 1
    seq_names: list[str] = []
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (R, K) best score, start, strand per piece
    for batch in _batches(sequences, chunk_size, overlap, seq_names):
        R = batch.size
        sc = np.full((R, K), -np.inf)
        st = np.full((R, K), -1, np.int64)
        sg = np.zeros((R, K), np.int8)
        for g in groups:
            codes, offsets = _group_codes(batch, g.width)
            if codes.size < g.width:
                continue
            r = max_scores((codes, offsets), g.kernels, strand=strand, skip_n=True, dtype=g.dtype,
                           threads=threads, backend=backend)
            found = r.start >= 0
            sc[:, g.motifs] = np.where(found, r.score.astype(np.float64), -np.inf)
            st[:, g.motifs] = np.where(found, batch.starts[:, None] + r.start, -1)
            sg[:, g.motifs] = r.strand
        new_record = batch.starts == 0
        if not new_record[0]:  # a later piece of the record before: merge
            b, p, q = parts[-1][0][-1], parts[-1][1][-1], parts[-1][2][-1]
            # one total order whatever the chunking: score, then '+' strand, then smallest start
            better = np.isfinite(sc[0]) & ((sc[0] > b) | ((sc[0] == b) & ((sg[0] > q) | ((sg[0] == q) & (st[0] < p)))))
            b[better], p[better], q[better] = sc[0][better], st[0][better], sg[0][better]
        if new_record.any():
            parts.append((sc[new_record], st[new_record], sg[new_record]))
        if progress is not None:
            progress(batch.bases)
    rows = [np.concatenate([p[i] for p in parts]) if parts else np.zeros((0, K)) for i in range(3)]
    score = rows[0].astype(np.float64).reshape(-1, K)
    start = rows[1].astype(np.int64).reshape(-1, K)
    strands = rows[2].astype(np.int8).reshape(-1, K)
    strands[~np.isfinite(score)] = 0
    start[~np.isfinite(score)] = -1
    pvalue = np.ones(score.shape)
    bg = as_background(background)
    for k, m in enumerate(matrices):
        ok = np.isfinite(score[:, k])
        if ok.any():
            pvalue[ok, k] = ScoreDistribution(m, bg, step or 1e-3).pvalue(score[ok, k])
    return SequenceMaxima(score, start, strands, pvalue, names, seq_names)



def score_tracks(motifs, sequences, *, names=None, mode: str = "logodds", background=None, base: float = 2.0,
                 pseudocount: float = 0.0, strand: str = "both", step: float | None = DEFAULT_STEP,
                 chunk_size: int = DEFAULT_CHUNK, threads: int = 0, backend: str = "auto",
                 progress: Callable[[int], None] | None = None):
    """Dense score tracks, streamed: yields (sequence_name, start, scores) per chunk and width group;
    each motif's pieces come in sequence order (records are packed into batches, scored per group).

    ``scores`` has shape (k, m) for one strand or (2, k, m) for "both" (plus first),
    float64, for the group's motifs ``motif_indices`` in the same yield:
    the full tuple is (sequence_name, start, motif_indices, scores). Window j of a
    chunk starts at ``start + j``; consecutive chunks tile the sequence without
    overlap. Windows holding N are NaN (they are never hits). Sequence names must be
    unique (ValueError otherwise): a track has one entry per chromosome.
    """
    from exactpwm.core.scoring import conv1d

    if mode != "matrix":
        motifs, names, background, pseudocount = _unpack(motifs, names, background, pseudocount)
    matrices = score_matrices(motifs, mode, background=background, base=base, pseudocount=pseudocount, step=step)
    groups = _groups(matrices, np.zeros(len(matrices)), step)
    overlap = max(m.shape[1] for m in matrices) - 1
    seq_names: list[str] = []
    unique = UniqueNames()
    for batch in _batches(sequences, chunk_size, overlap, seq_names):
        for name, start in zip(batch.names, batch.starts.tolist()):
            if start == 0:
                unique.add(name)
        for g in groups:
            codes, _ = _group_codes(batch, g.width)
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


def write_bedgraph(out, sequence_name: str, start: int, values: np.ndarray, *, span: int = 1) -> None:
    """Append a bedGraph track of one motif's window scores: one line per run of equal values.

    A window j is written as [start + j, start + j + span) (span 1: the window's first base).
    NaN (windows with N) are left out. ``out`` is an open text file.
    """
    first, end, vals = bedgraph_runs(values)
    out.writelines(f"{sequence_name}\t{start + a}\t{start + b - 1 + span}\t{x!r}\n"
                   for a, b, x in zip(first.tolist(), end.tolist(), vals.tolist()))
