"""Finding hits: every window scoring at or above its motif's threshold, streamed in batches.

Conventions: both strands by default; hit coordinates 0-based half-open on the forward strand;
windows containing N (or any IUPAC code) are never hits, as in FIMO and MOODS; lowercase
(soft-masked) bases are scored as uppercase.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Callable

import numpy as np

from exactpwm._engine import engine, hit_order
from exactpwm.core._checks import resolve_threads
from exactpwm.core.motif import MotifSet
from exactpwm.core.pvalues import benjamini_hochberg, storey_pi0
from exactpwm.core.scoring import run_threshold
from exactpwm.core.sequence import check_codes, input_window_letters
from exactpwm.core.types import ArrayLike, Background, Motifs, Sequences, Strand
from exactpwm.io.fasta import Chunk
from exactpwm.scanning.batches import DEFAULT_CHUNK, Batch, group_codes, known_bases, pack_batch, sequence_batches
from exactpwm.scanning.hits import HitTable, RowBuffer
from exactpwm.scanning.plan import ScanPlan, WidthGroup, plan_scan

__all__ = ["ScanChunk", "Collected", "PvalueSample", "collect_hits", "iter_scan", "scan", "scan_chunk"]


class ScanChunk(tuple):
    """One chunk of a streaming scan (:func:`iter_scan`); unpacks as ``(rows, n_tests)``.

    rows : the chunk's hits, a structured array (see :class:`exactpwm.HitTable`)
    n_tests : the motif x strand x N-free window tests made (0 unless ``count_tests``)
    sequence_names : the names of the sequences read so far; ``rows["sequence"]`` indexes them
        (one list, which grows as the scan goes on)
    """

    sequence_names: list[str]

    def __new__(cls, rows: np.ndarray, n_tests: int, sequence_names: list[str]) -> ScanChunk:
        chunk = super().__new__(cls, (rows, n_tests))
        chunk.sequence_names = sequence_names
        return chunk

    @property
    def rows(self) -> np.ndarray:
        return self[0]

    @property
    def n_tests(self) -> int:
        return int(self[1])


def iter_scan(plan: ScanPlan, sequences: Sequences, *, strand: Strand = "both", chunk_size: int = DEFAULT_CHUNK,
              threads: int = 0, backend: str = "auto", count_tests: bool = False, input_letters: bool = False,
              progress: Callable[[int], None] | None = None,
              sequence_names: list | None = None) -> Iterator[ScanChunk]:
    """Scan chunk by chunk: yields a :class:`ScanChunk` per chunk, which unpacks as (hits,
    n_tests) and carries the sequence names read so far; hits a structured array (see
    :class:`exactpwm.HitTable`) with p-values and NaN q-values, n_tests the motif x strand x
    N-free window tests made (0 unless ``count_tests``; needed for q-values). Memory stays
    bounded by the chunk, whatever the input size.
    ``input_letters``: see :func:`scan`. ``sequence_names=`` (a list the scan fills) is deprecated:
    read ``chunk.sequence_names``.
    """
    if sequence_names is not None:
        import warnings

        warnings.warn("iter_scan(sequence_names=) is deprecated: each chunk carries .sequence_names",
                      DeprecationWarning, stacklevel=2)
    names: list[str] = [] if sequence_names is None else sequence_names
    for rows, tests in _scan_chunks(plan, sequences, strand, chunk_size, threads, backend, names, count_tests,
                                    progress, input_letters):
        yield ScanChunk(rows, int(tests.sum()), names)


def _scan_chunks(plan: ScanPlan, sequences: Sequences, strand: Strand, chunk_size: int, threads: int, backend: str,
                 sequence_names: list | None, count_tests: bool, progress: Callable[[int], None] | None,
                 input_letters: bool = False, sampler: PvalueSample | None = None,
                 records: tuple[int, int] | None = None,
                 alloc: Callable[[int, int], np.ndarray] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """As :func:`iter_scan`, with the tests made per motif ((K,) int64, zeros unless
    ``count_tests``); ``sampler``, if given, takes a sample of every motif's window p-values;
    ``records``: see :func:`exactpwm.scanning.batches.sequence_batches`; ``alloc(n, bases)``: where
    the n rows of a chunk of that many bases are written (default a new array)."""
    if strand not in ("+", "-", "both"):
        raise ValueError(f"strand must be '+', '-' or 'both', got {strand!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    names = [] if sequence_names is None else sequence_names
    K = len(plan.names)
    for batch in sequence_batches(sequences, chunk_size, plan.overlap, names, input_letters, records):
        rows = _scan_batch(plan, batch, strand, threads, backend, alloc)
        n_tests = np.zeros(K, np.int64)
        if count_tests or sampler is not None:
            limit = int(batch.limits[0]) if batch.size == 1 else batch.codes.size
            if count_tests:
                n_tests = _count_windows(batch.codes, limit, plan.groups, K) * (2 if strand == "both" else 1)
            if sampler is not None:
                sampler.add(plan, batch, strand, threads, backend)
        if progress is not None:
            progress(batch.bases)
        yield rows, n_tests


def scan_chunk(plan: ScanPlan, chunk: Chunk, chunk_size: int, *, strand: Strand = "both", threads: int = 0,
               backend: str = "auto") -> np.ndarray:
    """Hits of one chunk (windows starting in its first ``chunk_size`` bases, or all if it is the
    record's last): a structured array sorted by (start, strand '+' first, motif), with p-values."""
    return _scan_batch(plan, pack_batch([chunk], chunk_size), strand, threads, backend)


def _scan_batch(plan: ScanPlan, batch: Batch, strand: Strand, threads, backend,
                alloc: Callable[[int, int], np.ndarray] | None = None) -> np.ndarray:
    """Hits of a batch as a structured array sorted by (record, start, strand '+' first, motif),
    written where ``alloc(n, batch.bases)`` says (default a new array)."""
    codes = check_codes(batch.codes)
    found = [_group_hits(batch, g, strand, threads, backend) for g in plan.groups]
    motif, pos, minus, score = (np.concatenate([f[i] for f in found]) for i in range(4))
    pvalue = plan.pvalues.pvalue(motif, score)
    if plan.certified is not None:  # p-value scans: decisions, scores and p-values of the real-valued matrices
        score, pvalue, keep = plan.certified.resolve(motif, score, pvalue, codes, pos, minus, threads, backend)
        if not keep.all():
            motif, pos, minus, score, pvalue = (a[keep] for a in (motif, pos, minus, score, pvalue))
    # windows crossing into the next piece hold the separator N: no hits, each lies in one piece
    # hit_rows writes every byte of the rows: they need no zeros first
    rows = np.empty(motif.size, plan.dtype) if alloc is None else alloc(motif.size, batch.bases)
    engine(backend).hit_rows(motif, pos, minus, score, pvalue, batch.offsets, batch.records, batch.starts,
                             plan.widths, codes, plan.rna, rows, resolve_threads(threads))
    if batch.letters is not None:  # echo the input (case, U) as FIMO does
        order = hit_order(motif, pos, minus, len(plan.matrices))
        letters = input_window_letters(batch.letters, pos[order], plan.widths[motif[order]], minus[order],
                                       plan.overlap + 1, plan.rna)
        rows["matched"] = letters.view(plan.dtype["matched"]).ravel()
    return rows


def _group_hits(batch: Batch, g: WidthGroup, strand: Strand, threads, backend):
    """(motif int32, packed start int64, minus bool, score float64) of one width group's hits."""
    codes, offsets = group_codes(batch, g.width)
    if codes.size < g.width:
        return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0)
    h = run_threshold(codes, np.array([0, codes.size], dtype=np.int64), g.engine_inputs(strand), strand,
                      True, threads, backend)
    return g.motifs[h.motif].astype(np.int32), h.start, h.strand < 0, h.score.astype(np.float64)


def scan(
    motifs: Motifs,
    sequences: Sequences,
    *,
    pvalue: float | None = None,
    score: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    mode: str = "logodds",
    background: Background = None,
    base: float = 2.0,
    pseudocount: float | None = None,
    strand: Strand = "both",
    step: float | str | None = "auto",
    qvalues: bool | str = False,
    input_letters: bool = False,
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
        ``score`` is given), under the 0-order ``background``: with ``step="auto"``, decided and
        reported for the real-valued matrix, certified by exact tail tables (see
        :mod:`exactpwm.scanning.certified`: every p-value exact for motifs with small tails,
        the decision exact up to width 22), and scores are the matrix's float64 scores; with a
        numeric ``step``, exact for the matrix rounded to that grid
    score : instead of pvalue, a score threshold (scalar or one per motif)
    names : motif names (default motif0, motif1, ...)
    mode, background, base, pseudocount : see :func:`score_matrices`;
        ``background`` (None: a MotifSet's own, as FIMO takes the motif file's; else uniform) is
        also the null model of the p-values; ``pseudocount`` (None: 0.1, FIMO's ``--motif-pseudo``,
        spread by the background; exact kernel PWMs are scanned as they are)
    step : the scores' grid. "auto" (default): with ``score`` thresholds, none: the user's
        matrices are scored in float64 and every window at or above its threshold is reported,
        the same hits as MOODS on the same matrices and thresholds; with ``pvalue``, hits certified
        for the real-valued matrix (see ``pvalue``). A number forces that grid (the previous
        default: with score thresholds it may report windows a grid step below the threshold; with
        ``pvalue``, decisions and p-values are the rounded matrix's), None forces float64 scores
    strand : "both" (default), "+" or "-"
    qvalues : also compute q-values: ``True`` or ``"motif"``, per motif over its window tests, as
        FIMO reports them (Storey's: Benjamini-Hochberg times the motif's null fraction pi0,
        estimated from a uniform sample of 10,000 to 20,000 windows' p-values, see
        :class:`PvalueSample`; FIMO samples 10,000); ``"pooled"``: Benjamini-Hochberg over all motifs' tests together
    input_letters : ``matched`` echoes the input's letters as FIMO's matched_sequence does: '+'
        windows as written (case and U kept), '-' windows reverse complemented in uppercase (with
        RNA motifs A pairs with U); default: uppercase ACGT
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
    if qvalues not in (False, True, "motif", "pooled"):
        raise ValueError(f"qvalues must be False, True, 'motif' or 'pooled', got {qvalues!r}")
    found = collect_hits(plan, sequences, strand=strand, tests=bool(qvalues), chunk_size=chunk_size,
                         threads=threads, backend=backend, progress=progress, input_letters=input_letters)
    if qvalues:
        found.add_qvalues("pooled" if qvalues == "pooled" else "motif")
    alts = [m.alt_name for m in motifs] if isinstance(motifs, MotifSet) else None
    return HitTable(found.hits, plan.names, found.sequence_names, plan.thresholds, alts)


@dataclass
class Collected:
    """The hits of a whole scan and what their q-values need.

    hits : (H,) structured array (see :class:`exactpwm.HitTable`); n_tests : (K,) int64 window
    tests per motif; samples : K float64 arrays, each a sample of the motif's p-values over all
    windows (for the null fraction); sequence_names : the names the hits' ``sequence`` indexes;
    indexed : the samples with their window numbers (:meth:`PvalueSample.indexed`), or None.
    """

    hits: np.ndarray
    n_tests: np.ndarray
    samples: list
    sequence_names: list
    indexed: list | None = None

    def add_qvalues(self, how: str = "motif") -> None:
        """Fill ``hits['qvalue']``: ``"motif"``, per motif with Storey's null fraction, as FIMO;
        ``"pooled"``, Benjamini-Hochberg over all motifs' tests together."""
        hits = self.hits
        if how == "pooled":
            hits["qvalue"] = benjamini_hochberg(hits["pvalue"], int(self.n_tests.sum()))
            return
        for k in np.unique(hits["motif"]):
            mine = hits["motif"] == k
            pi0 = storey_pi0(self.samples[k]) if self.samples[k].size else 1.0
            hits["qvalue"][mine] = benjamini_hochberg(hits["pvalue"][mine], int(self.n_tests[k]), pi0)


def collect_hits(plan: ScanPlan, sequences: Sequences, *, strand: Strand = "both", tests: bool = False,
                 chunk_size: int = DEFAULT_CHUNK, threads: int = 0, backend: str = "auto",
                 progress: Callable[[int], None] | None = None, input_letters: bool = False,
                 sequence_names: list | None = None,
                 each_chunk: Callable[[np.ndarray], np.ndarray] | None = None,
                 shrink: Callable[[np.ndarray], np.ndarray] | None = None, shrink_above: int = 0,
                 records: tuple[int, int] | None = None, first_position: int = 0,
                 sample_stride: int = 1) -> Collected:
    """Every hit of a scan in one array, with the window tests and p-value samples when ``tests``.

    records : ``(first, stop)``, only those records of a FASTA file (a part of a larger scan:
        :mod:`exactpwm.scanning.parts`), whose windows the p-value sample numbers from
        ``first_position``, from stride ``sample_stride`` (see :class:`PvalueSample`)

    each_chunk : applied to each chunk's rows before they are kept (e.g. one strand per position)
    shrink : applied to the rows kept so far whenever they number more than ``shrink_above``
        (e.g. FIMO's cap on stored scores), so memory stays bounded
    sequence_names : filled with the sequences' names as they are read (default: a new list)
    Other arguments as in :func:`scan`.
    """
    names: list = [] if sequence_names is None else sequence_names
    found, n_tests = RowBuffer(plan.dtype), np.zeros(len(plan.names), np.int64)
    sampler = PvalueSample(len(plan.names), first_position=first_position, stride=sample_stride) if tests else None
    total, done = (known_bases(sequences) if records is None else None), 0

    def bases_done(bases: int) -> None:
        nonlocal done
        done += bases
        if progress is not None:
            progress(bases)

    def claim(n: int, bases: int):  # the result's next n rows, for a chunk of that many bases
        if total and bases:  # the buffer grows once, to the rows the whole input likely gives
            found.expect(int((found.size + n) * (total / min(done + bases, total)) * 1.05) + 1024)
        return found.claim(n)

    # without each_chunk, every chunk's rows are written straight into the result's buffer
    alloc = claim if each_chunk is None else None
    for rows, counted in _scan_chunks(plan, sequences, strand, chunk_size, threads, backend, names, tests, bases_done,
                                      input_letters, sampler, records, alloc):
        if each_chunk is not None:
            kept = each_chunk(rows)
            del rows  # then the chunk's array is dropped: the next chunk reuses its memory
            found.append(kept, owned=True)  # the first chunk becomes the buffer: no copy of one-chunk scans
            del kept
        else:
            del rows  # a view of the buffer: dropped before the next chunk may move it
        n_tests += counted
        if shrink is not None and found.size > shrink_above:
            kept_rows = shrink(found.result())
            found = RowBuffer(plan.dtype)
            found.append(kept_rows)
    samples = sampler.pvalues() if sampler is not None else [np.zeros(0) for _ in plan.names]
    return Collected(found.result(), n_tests, samples, names, sampler.indexed() if sampler is not None else None)


class PvalueSample:
    """A systematic sample of every motif's window p-values, for the null fraction of q-values.

    Every window start has a number that does not depend on how the input is cut into batches or
    parts: record r's position j is ``R_r + j``, with ``R_r`` the sum of ``len + 1`` over the records
    before r (one separator after each record; ``first_position`` is the first record's ``R``, for a
    part of a larger input). The N-free windows whose number is a multiple of ``stride`` are
    sampled (both strands when scanning both), where ``stride`` is the smallest power of two that
    leaves at most ``2 keep`` numbers below the positions seen so far: so the sample of a whole input
    is the windows numbered by multiples of ``stride_for(total, keep)``, whatever the batches, and
    the samples of its parts merge into it (:meth:`merge`; a part that knows the whole input's size
    starts at that ``stride`` and keeps only its share). FIMO keeps a random reservoir of 10,000
    p-values instead.
    """

    def __init__(self, n_motifs: int, keep: int = 10_000, first_position: int = 0, stride: int = 1):
        if stride < 1 or stride & (stride - 1):
            raise ValueError(f"stride must be a power of two, got {stride}")
        self.keep, self.stride = keep, stride
        self.end = int(first_position)  # the number after the last position seen
        self._next_record = 0  # the index (in this input) of the next record to start
        self._record_base = int(first_position)  # R of the record in progress
        self._index: list[list[np.ndarray]] = [[] for _ in range(n_motifs)]
        self._pvalue: list[list[np.ndarray]] = [[] for _ in range(n_motifs)]

    @staticmethod
    def stride_for(positions: int, keep: int = 10_000) -> int:
        """The smallest power of two s with ceil(positions / s) <= 2 keep."""
        s = 1
        while -(-positions // s) > 2 * keep:
            s *= 2
        return s

    def add(self, plan: ScanPlan, batch: Batch, strand: Strand, threads: int, backend: str) -> None:
        """Sample the windows of a batch (those each piece owns: below its limit)."""
        records = batch.records.astype(np.int64)
        lengths = batch.lengths.astype(np.int64)
        first = int(records[0]) if records.size else self._next_record
        if batch.starts.size and int(batch.starts[0]) > 0:  # the next piece of the record in progress
            base = self._record_base
        else:  # records skipped since (empty ones) count one separator each
            base = self.end + (first - self._next_record)
        # each piece's records' R, from the first: whole records packed with one separator each
        gaps = np.diff(records) - 1 if records.size else records
        rbase = base + np.concatenate([[0], np.cumsum(lengths[:-1] + 1 + gaps)]) if records.size else records
        multi = batch.size > 1
        owned = lengths + 1 if multi else np.minimum(batch.limits.astype(np.int64), lengths + 1)
        last = bool(records.size) and (multi or int(batch.limits[0]) >= int(lengths[0]))
        end = self.end
        if records.size:  # after the batch's last window; a record's last piece: after its separator
            end = int(rbase[-1] + batch.starts[-1] + (lengths[-1] + 1 if last else owned[-1]))
        while -(-end // self.stride) > 2 * self.keep:
            self._thin()
        # packed positions whose number is a multiple of the stride: per piece, the first one, then every stride
        shift = rbase + batch.starts.astype(np.int64) - batch.offsets[:-1].astype(np.int64)  # number - packed
        lo = batch.offsets[:-1].astype(np.int64)
        hi = lo + owned
        first_pos = lo + (-(lo + shift) % self.stride)
        counts = np.maximum(0, -(-(hi - first_pos) // self.stride))
        piece = np.repeat(np.arange(counts.size), counts)
        starts = first_pos[piece] + self.stride * (np.arange(piece.size) - np.repeat(np.cumsum(counts) - counts,
                                                                                      counts))
        for k, packed, pvalues in _sample_pvalues(plan, batch.codes, starts, strand, threads, backend):
            self._index[k].append(packed + shift[np.searchsorted(lo, packed, side="right") - 1])
            self._pvalue[k].append(pvalues)
        self._next_record = int(records[-1]) + (1 if last else 0) if records.size else self._next_record
        self._record_base = int(rbase[-1]) if records.size else self._record_base
        self.end = end

    def _thin(self) -> None:
        self.stride *= 2
        for k in range(len(self._index)):
            if self._index[k]:
                index, pvalues = np.concatenate(self._index[k]), np.concatenate(self._pvalue[k])
                kept = index % self.stride == 0
                self._index[k], self._pvalue[k] = [index[kept]], [pvalues[kept]]

    def pvalues(self) -> list:
        """K float64 arrays: each motif's sampled p-values."""
        return [np.concatenate(p) if p else np.zeros(0) for p in self._pvalue]

    def indexed(self) -> list:
        """K pairs (window numbers int64, p-values float64) of each motif's sample, for :meth:`merge`."""
        return [(np.concatenate(i) if i else np.zeros(0, np.int64), np.concatenate(p) if p else np.zeros(0))
                for i, p in zip(self._index, self._pvalue)]

    @staticmethod
    def merge(parts: list, positions: int, keep: int = 10_000) -> list:
        """The sample of a whole input from the :meth:`indexed` samples of its parts (in order), given
        its number of positions (the sum of ``len + 1`` over its records): K float64 arrays, the
        p-values a scan of the whole input samples, in the same order."""
        stride = PvalueSample.stride_for(positions, keep)
        out = []
        for k in range(len(parts[0]) if parts else 0):
            index = np.concatenate([p[k][0] for p in parts])
            pvalue = np.concatenate([p[k][1] for p in parts])
            out.append(pvalue[index % stride == 0])
        return out


def _sample_pvalues(plan: ScanPlan, codes: np.ndarray, positions: np.ndarray, strand: Strand,
                    threads: int, backend: str) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(motif, packed window starts, p-values) of the N-free windows starting at ``positions`` (both
    strands' p-values, in pairs, when scanning both)."""
    from exactpwm.core.scoring import max_scores

    for g in plan.groups:
        starts = positions[positions <= codes.size - g.width]
        if not starts.size:
            continue
        win = codes[starts[:, None] + np.arange(g.width)]
        clean = (win < 4).all(axis=1)
        win, starts = win[clean], starts[clean]
        if not win.size:
            continue
        # one record per window: max pooling scores many tiny records in one engine call each
        packed = (np.ascontiguousarray(win).ravel(), np.arange(win.shape[0] + 1, dtype=np.int64) * g.width)
        scores = np.stack([max_scores(packed, g.kernels, strand=one, dtype=np.float64, threads=threads,
                                      backend=backend).score
                           for one in (("+", "-") if strand == "both" else (strand,))], axis=1)  # (S, [2,] k)
        both = scores.shape[1]
        for j, k in enumerate(g.motifs):
            yield int(k), np.repeat(starts, both), plan.dists[int(k)].pvalue(scores[:, :, j].ravel())


def _count_windows(codes: np.ndarray, limit: int, groups: list[WidthGroup], n_motifs: int) -> np.ndarray:
    """(K,) int64 window tests per motif in a chunk: N-free windows starting before `limit`."""
    no_n = not (codes >= 4).any()
    n_cum = None if no_n else np.concatenate([[0], np.cumsum(codes >= 4)])
    total = np.zeros(n_motifs, np.int64)
    for g in groups:
        m = min(limit, codes.size - g.width + 1)
        if m > 0 and no_n:
            total[g.motifs] += m
        elif m > 0:
            assert n_cum is not None
            total[g.motifs] += int(np.count_nonzero(n_cum[g.width:g.width + m] == n_cum[:m]))
    return total
