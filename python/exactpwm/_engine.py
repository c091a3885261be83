"""The engine facade: one object per backend offering every heavy operation.

``engine(backend)`` resolves a ``backend=`` value once (the result is cached) to an
:class:`Engine`: the compiled core at an instruction set, or the numba fallback (plain numpy
where numba adds nothing). Callers never branch on the backend, and this is the only module
that imports the compiled ``exactpwm._core``.

Backends (``backend=``):

* ``"auto"`` (default): the compiled core if it imported, else numba;
* ``"cpp"``: the compiled core with the best instruction set this CPU supports;
* ``"cpp-scalar"``, ``"cpp-avx2"``, ``"cpp-avx512"``: the compiled core forced to one
  instruction set (avx512 = AVX-512 F, BW and VBMI: the float32 block kernel and the
  threshold filter; AVX2 kernels for the rest);
* ``"numba"``: the numba-jitted fallback.

Every backend sums window scores in the same order (column pairs left to right, then the
bias), so they return the same numbers.

Arrays passed to an engine are already checked (dtype, contiguity, shapes) by the public
functions: codes uint8 (n,), offsets int64 (S + 1,), tables (K, L, 8) float32/float64.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

import numpy as np

__all__ = ["BACKENDS", "Engine", "engine", "core_info"]

BACKENDS = ("auto", "cpp", "cpp-scalar", "cpp-avx2", "cpp-avx512", "numba")
_COMPLEMENT_CODES = np.array([3, 2, 1, 0, 4, 4, 4, 4], dtype=np.uint8)  # A<->T, C<->G, N stays N

try:
    from exactpwm import _core

    _CORE_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - exercised where the build is missing
    _core = None  # type: ignore[assignment]
    _CORE_ERROR = str(exc)


def core_info() -> dict[str, Any]:
    """What the compiled core offers: available, error, and (when available) isa_compiled,
    isa_cpu, isa_best, openmp, compiler, sanitizers."""
    info: dict[str, Any] = {"available": _core is not None, "error": _CORE_ERROR}
    if _core is not None:
        info.update(_core.build_info())
    return info


def hit_order(motif: np.ndarray, pos: np.ndarray, minus: np.ndarray, n_motifs: int) -> np.ndarray:
    """The order of hits in a hit table: by (pos, '+' first, motif), one unique int64 key each."""
    return np.argsort(pos * (2 * n_motifs) + minus * n_motifs + motif, kind="stable")


class Engine:
    """The operations every backend offers. ``name`` is "cpp" or "numba"; ``isa`` the
    instruction set of the compiled core ("auto", "scalar", "avx2", "avx512"; "" for numba)."""

    name = ""
    isa = ""

    def dense_scores(self, codes, table, bias, out, threads: int) -> None:
        """out (B, K, m) = window scores of B equal-length rows of codes (B, n)."""
        raise NotImplementedError

    def max_scores(self, codes, offsets, table, bias, best, pos, threads: int, skip_n: bool) -> None:
        """best, pos (S, K): each packed sequence's best window score and its first start."""
        raise NotImplementedError

    def max_scores_pairs(self, codes, offsets, table, bias, seqs, kernels, best, pos, threads: int,
                         skip_n: bool) -> None:
        """best, pos (P,): max_scores at (seqs[p], kernels[p]) only."""
        raise NotImplementedError

    def threshold_hits(self, codes, offsets, table, bias, thresholds, skip_n: bool, threads: int):
        """(sequence int64, start int64, kernel int32, score) of windows with score >= threshold,
        ordered by sequence, start and kernel."""
        raise NotImplementedError

    def threshold_counts(self, codes, offsets, table, bias, thresholds, target, minus, counts, n_hits,
                         threads: int) -> None:
        """Adds the base counts of every window reaching its kernel's threshold to counts[target[k]]."""
        raise NotImplementedError

    def count_fragments(self, codes, starts, kernels, minus, counts, threads: int) -> None:
        """Adds the base counts of fragments codes[start:start + L] to counts[kernel]."""
        raise NotImplementedError

    def window_letters(self, codes, starts, widths, minus, out, threads: int) -> None:
        """out (H, max_width) uint8: each window's letters as read on its strand, NUL-padded."""
        raise NotImplementedError

    def hit_rows(self, motif, pos, minus, score, pvalue, piece_offsets, piece_records, piece_starts, widths, codes,
                 rna: bool, rows, threads: int) -> None:
        """rows (n,) hit records (:func:`exactpwm.scanning.hits.hit_dtype`): the hits (motif int32,
        pos int64 in the batch's codes, minus bool, score, pvalue float64) in (pos, '+' first, motif)
        order, with their records, forward-strand coordinates (pieces: codes [piece_offsets[p],
        piece_offsets[p + 1]) are record piece_records[p] from base piece_starts[p]), ends (widths
        per motif), NaN q-values and letters (U for T when ``rna``); see cpp/include/exactpwm/engine.hpp.
        Every byte of ``rows`` is written (the padding between fields is 0): it may come uninitialized."""
        raise NotImplementedError

    def window_sums(self, codes, starts, which, tables, table_start, out, threads: int) -> None:
        """out (H,) float64: window i's real score, the sum over its positions j of
        tables[table_start[t] + 4 j + codes[starts[i] + j]] (t = which[i], table t (w, 4) float64),
        added as ``np.sum`` adds a row (bit for bit on every backend); NaN where a code is >= 4."""
        raise NotImplementedError

    def null_survival(self, cols: np.ndarray, background: np.ndarray, floor: int = 0) -> np.ndarray:
        """sf[i - floor] = P(sum of column scores >= i) for i >= floor (float64), cols (L, 4) int64 >= 0,
        background (4,) float64; 0 <= floor <= 1 + the sum of the column maxima."""
        raise NotImplementedError

    def null_survivals(self, cols: np.ndarray, col_start: np.ndarray, background: np.ndarray, floors: np.ndarray,
                       threads: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`null_survival` of many distributions: k's columns are cols[col_start[k]:col_start[k + 1]]
        ((rows, 4) int64), its floor floors[k]. Returns (sf float64, sf_start (n + 1,) int64): k's survival
        function is sf[sf_start[k]:sf_start[k + 1]], the same numbers as null_survival gives it."""
        parts = [self.null_survival(cols[a:b], background, int(f))
                 for a, b, f in zip(col_start[:-1], col_start[1:], floors)]
        return _concatenated(parts)

    def tail_table(self, matrix, background, cols_a, rest_a, need_a, cols_b, rest_b, need_b, lo, tol, ceilings,
                   max_words) -> tuple[int, np.ndarray, np.ndarray]:
        """(r, scores, tail): the exact tail table of the (4, w) float64 score matrix over the first
        range r that fits (see exactpwm._numpy_kernels.tail_table; -1 and empty arrays: none fits)."""
        from exactpwm._numpy_kernels import tail_table  # numpy: whole-array operations

        return tail_table(matrix, background, cols_a, rest_a, need_a, cols_b, rest_b, need_b, lo, tol, ceilings,
                          max_words)

    def tail_tables(self, jobs: list, background, threads: int) -> list:
        """[(r, scores, tail)]: :meth:`tail_table` of each job, a tuple (matrix, cols_a, rest_a, need_a,
        cols_b, rest_b, need_b, lo, tol, ceilings, max_words) of its arguments, the same numbers."""
        return [self.tail_table(M, background, *rest) for M, *rest in jobs]

    def format_hits(self, rows, sequence, fmt: str, names: tuple, first_id: int, threads: int) -> list[bytes] | None:
        """Hit rows as text lines, in parts (the text is their concatenation), or None when this engine
        has no formatter (Python writes them)."""
        return None

    def pack_records(self, codes: list, lengths: list, separator: int) -> np.ndarray:
        """(sum of lengths + records,) uint8: the records of each run (codes[r] uint8, their lengths
        lengths[r] int64) in order, each followed by the separator byte."""
        flat = np.concatenate(codes) if codes else np.zeros(0, np.uint8)
        return np.insert(flat, np.cumsum(np.concatenate(lengths)) if lengths else np.zeros(0, np.int64), separator)

    def fasta_block(self, text: bytes, continues: bool, table: np.ndarray, letters: bool) -> tuple | None:
        """A block of whole FASTA lines parsed (see exactpwm.io.fasta._blocks): (codes uint8, heads,
        head_ends, cuts int64, bad, first_kept, nameless, names bytes or None, newlines), or None
        when this engine has no parser (numpy parses it)."""
        return None

    def format_tomtom(self, rows, query_names: list, target_names: list, query_consensus: list,
                      target_consensus: list, threads: int) -> bytes | None:
        """Tomtom's TSV lines of its table's rows (None when this engine has no formatter: Python
        writes them)."""
        return None

    def join_columns(self, texts: list, offsets: list, codes: list) -> bytes:
        """Tab-separated lines: row i, column c is entry codes[c][i] of column c's dictionary, entry e
        being texts[c][offsets[c][e]:offsets[c][e + 1]] (uint8, int64). The compiled core's only:
        without it, pandas writes tables (see exactpwm.io.tables)."""
        raise NotImplementedError

    def dinucleotide_shuffle(self, codes, offsets, n_shuffles: int, seed: int, out, threads: int) -> None:
        raise NotImplementedError

    def tomtom_compare(self, query_cols, query_start, query_nsites, db_cols, db_nsites, entry_start, width_index,
                       widths, distance: int, background, orientations: int, min_overlap: int, pvalue, offset,
                       overlap, threads: int) -> None:
        """pvalue, offset, overlap (Q, E): every query against every database entry with Tomtom's
        statistics (see cpp/include/exactpwm/engine.hpp)."""
        raise NotImplementedError

    def tomtom_compare_best(self, query_cols, query_start, query_nsites, db_cols, db_nsites, entry_start,
                            width_index, widths, distance: int, background, orientations: int, min_overlap: int,
                            best_pvalue, best_offset, best_overlap, strand, threads: int) -> None:
        """best_pvalue (Q, T) float64, best_offset, best_overlap (Q, T) int64, strand (Q, T) S1 written:
        tomtom_compare, then each target's better orientation (tomtom_matrices). The compiled core
        picks them as each query is done, with no (Q, E) arrays."""
        Q, E = query_start.size - 1, entry_start.size - 1
        pvalue, offset, overlap = np.empty((Q, E)), np.empty((Q, E), np.int64), np.empty((Q, E), np.int64)
        self.tomtom_compare(query_cols, query_start, query_nsites, db_cols, db_nsites, entry_start, width_index,
                            widths, distance, background, orientations, min_overlap, pvalue, offset, overlap, threads)
        self.tomtom_matrices(pvalue, offset, overlap, orientations, best_pvalue, best_offset, best_overlap, strand,
                             threads)

    def tomtom_release(self) -> None:
        """Free what tomtom_compare keeps between calls (a comparison in blocks pages its scratch in once)."""

    def tomtom_matrices(self, pvalue, offset, overlap, orientations: int, best_pvalue, best_offset, best_overlap,
                        strand, threads: int) -> None:
        """best_pvalue (Q, T) float64, best_offset, best_overlap (Q, T) int64, strand (Q, T) S1 written:
        each target's better orientation of tomtom_compare's (Q, E) arrays, as tomtom_table picks it
        (see exactpwm._numpy_kernels.best_orientation)."""
        from exactpwm._numpy_kernels import best_orientation  # numpy: whole-array operations

        best_orientation(pvalue, offset, overlap, orientations, best_pvalue, best_offset, best_overlap, strand)

    def tomtom_table(self, pvalue, offset, overlap, orientations: int, name_rank, rows, threads: int,
                     first_query: int = 0) -> None:
        """rows (Q * T,) records: Tomtom's table from tomtom_compare's (Q, E) arrays (see
        exactpwm._numpy_kernels.fill_table); their ``query`` field counts from ``first_query``."""
        raise NotImplementedError

    def seqlet_jaccard(self, a_fwd, a_rev, b, neighbors, max_shift: int, best, offset, strand, threads: int) -> None:
        """best, offset, strand (n_b, k): continuous Jaccard of row l of b (n_b, W, C) int16 with its
        candidates neighbors[l] (int32 rows of a_fwd / a_rev, -1 skipped), best over offsets in
        [-max_shift, max_shift] and both strands (see cpp/include/exactpwm/engine.hpp)."""
        raise NotImplementedError


class _Core(Engine):
    """The compiled core at one instruction set."""

    name = "cpp"

    def __init__(self, isa: str):
        self.isa = isa

    def dense_scores(self, codes, table, bias, out, threads):
        _core.dense_scores(codes, table, bias, out, threads, self.isa)

    def max_scores(self, codes, offsets, table, bias, best, pos, threads, skip_n):
        _core.max_scores(codes, offsets, table, bias, best, pos, threads, self.isa, bool(skip_n))

    def max_scores_pairs(self, codes, offsets, table, bias, seqs, kernels, best, pos, threads, skip_n):
        _core.max_scores_pairs(codes, offsets, table, bias, seqs, kernels, best, pos, threads, self.isa, bool(skip_n))

    def threshold_hits(self, codes, offsets, table, bias, thresholds, skip_n, threads):
        return _core.threshold_hits(codes, offsets, table, bias, thresholds, bool(skip_n), threads, self.isa)

    def threshold_counts(self, codes, offsets, table, bias, thresholds, target, minus, counts, n_hits, threads):
        _core.threshold_counts(codes, offsets, table, bias, thresholds, target, minus, counts, n_hits, threads,
                               self.isa)

    def count_fragments(self, codes, starts, kernels, minus, counts, threads):
        _core.count_fragments(codes, starts, kernels, minus, counts, threads)

    def window_letters(self, codes, starts, widths, minus, out, threads):
        _core.window_letters(codes, starts, widths, minus, out, threads)  # the binding checks the bounds

    def window_sums(self, codes, starts, which, tables, table_start, out, threads):
        _core.window_sums(codes, starts, which, tables, table_start, out, threads)  # the binding checks the bounds

    def hit_rows(self, motif, pos, minus, score, pvalue, piece_offsets, piece_records, piece_starts, widths, codes,
                 rna, rows, threads):
        _core.hit_rows(motif, pos, minus, score, pvalue, piece_offsets, piece_records, piece_starts, widths, codes,
                       bool(rna), rows, threads)  # the binding checks the layout and the bounds

    def null_survival(self, cols, background, floor=0):
        size = int(cols.max(axis=1).sum()) + 1
        if not 0 <= floor <= size:
            raise ValueError(f"floor must lie in [0, {size}], got {floor}")
        sf = np.empty(size - floor)
        _core.null_survival(cols, background, floor, sf, self.isa)  # only the sums that can reach the floor
        return sf

    def null_survivals(self, cols, col_start, background, floors, threads):
        sizes = np.add.reduceat(cols.max(axis=1), col_start[:-1]) + 1 if cols.size else np.ones(len(floors), np.int64)
        sizes[col_start[:-1] == col_start[1:]] = 1  # reduceat's value for an empty range is not a sum
        if ((floors < 0) | (floors > sizes)).any():
            raise ValueError("every floor must lie in [0, 1 + the sum of its column maxima]")
        sf_start = np.concatenate([[0], np.cumsum(sizes - floors)]).astype(np.int64)
        sf = np.empty(int(sf_start[-1]))
        _core.null_survivals(cols, col_start, background, floors, sf_start, sf, threads, self.isa)
        return sf, sf_start

    def tail_tables(self, jobs, background, threads):
        if not jobs:
            return []
        parts = list(zip(*jobs))

        def joined(i, dtype):
            return np.concatenate([np.ravel(x) for x in parts[i]]).astype(dtype, copy=False)

        def starts(i):
            return np.concatenate([[0], np.cumsum([np.size(x) for x in parts[i]])]).astype(np.int64)

        matrices = np.concatenate([np.ravel(np.ascontiguousarray(M, np.float64)) for M in parts[0]])
        col_start = np.concatenate([[0], np.cumsum([np.shape(M)[1] for M in parts[0]])]).astype(np.int64)
        r, scores, tails = _core.tail_tables(
            matrices, col_start, background, joined(1, np.int64), joined(2, np.float64), starts(1),
            np.array(parts[3], np.float64), joined(4, np.int64), joined(5, np.float64), starts(4),
            np.array(parts[6], np.float64), np.array(parts[7], np.float64), np.array(parts[8], np.float64),
            joined(9, np.float64), joined(10, np.int64), starts(9), threads)
        return [(int(k), s, t) for k, s, t in zip(r, scores, tails)]

    def format_hits(self, rows, sequence, fmt, names, first_id, threads):
        return _core.format_hits(rows, sequence, fmt, *names, first_id, threads)

    def fasta_block(self, text, continues, table, letters):
        return _core.parse_fasta_block(text, continues, table, letters)

    def pack_records(self, codes, lengths, separator):
        out = np.empty(sum(c.size for c in codes) + sum(n.size for n in lengths), np.uint8)
        _core.pack_records(codes, lengths, separator, out)
        return out

    def format_tomtom(self, rows, query_names, target_names, query_consensus, target_consensus, threads):
        return _core.format_tomtom(rows, query_names, target_names, query_consensus, target_consensus, threads)

    def join_columns(self, texts, offsets, codes):
        return _core.join_columns(texts, offsets, codes)

    def tomtom_compare(self, *args):
        _core.tomtom_compare(*args, self.isa)

    def tomtom_compare_best(self, *args):
        *rest, strand, threads = args
        _core.tomtom_compare_best(*rest, strand.view(np.uint8), threads, self.isa)

    def tomtom_release(self):
        _core.tomtom_release()

    def tomtom_matrices(self, pvalue, offset, overlap, orientations, best_pvalue, best_offset, best_overlap, strand,
                        threads):
        _core.tomtom_matrices(pvalue, offset, overlap, orientations, best_pvalue, best_offset, best_overlap,
                              strand.view(np.uint8), threads)

    def tomtom_table(self, pvalue, offset, overlap, orientations, name_rank, rows, threads, first_query=0):
        fields = [rows.dtype.fields[f][1] for f in ("query", "target", "offset", "pvalue", "evalue", "qvalue",
                                                     "overlap", "strand")]
        _core.tomtom_table(pvalue, offset, overlap, orientations, name_rank, rows, fields, first_query, threads)

    def dinucleotide_shuffle(self, codes, offsets, n_shuffles, seed, out, threads):
        _core.dinucleotide_shuffle(codes, offsets, n_shuffles, seed, out, threads)

    def seqlet_jaccard(self, a_fwd, a_rev, b, neighbors, max_shift, best, offset, strand, threads):
        _core.seqlet_jaccard(a_fwd, a_rev, b, neighbors, max_shift, best, offset, strand, threads, self.isa)


class _Numba(Engine):
    """The numba-jitted kernels (threads set per call), numpy for the rest."""

    name = "numba"

    def _run(self, op: str, threads: int, *args):
        import numba

        from exactpwm import _numba_kernels

        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        try:
            return getattr(_numba_kernels, op)(*args)
        finally:
            numba.set_num_threads(previous)

    def dense_scores(self, codes, table, bias, out, threads):
        self._run("dense_scores", threads, codes, table, bias, out)

    def max_scores(self, codes, offsets, table, bias, best, pos, threads, skip_n):
        self._run("max_scores", threads, codes, offsets, table, bias, best, pos, bool(skip_n))

    def max_scores_pairs(self, codes, offsets, table, bias, seqs, kernels, best, pos, threads, skip_n):
        self._run("max_scores_pairs", threads, codes, offsets, table, bias, seqs, kernels, best, pos, bool(skip_n))

    def threshold_hits(self, codes, offsets, table, bias, thresholds, skip_n, threads):
        return self._run("threshold_hits", threads, codes, offsets, table, bias, thresholds, bool(skip_n))

    def threshold_counts(self, codes, offsets, table, bias, thresholds, target, minus, counts, n_hits, threads):
        self._run("threshold_counts", 1, codes, offsets, table, bias, thresholds, target, minus, counts, n_hits)

    def count_fragments(self, codes, starts, kernels, minus, counts, threads):
        self._run("count_fragments", 1, codes, starts, kernels, minus, counts)

    def window_letters(self, codes, starts, widths, minus, out, threads):
        if starts.size and (widths.min() < 0 or widths.max() > out.shape[1] or starts.min() < 0
                            or (starts + widths).max() > codes.size):
            raise ValueError("windows must lie inside the codes and be at most max_width wide")
        out[:] = 0
        letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
        for w in np.unique(widths).tolist():  # one gather per width
            rows = np.flatnonzero(widths == w)
            frag = codes[starts[rows, None] + np.arange(w)]
            flip = minus[rows]
            frag[flip] = _COMPLEMENT_CODES[frag[flip, ::-1]]
            out[rows, :w] = letters[frag]

    def hit_rows(self, motif, pos, minus, score, pvalue, piece_offsets, piece_records, piece_starts, widths, codes,
                 rna, rows, threads):
        if motif.size and (motif.min() < 0 or motif.max() >= widths.size or pos.min() < piece_offsets[0]
                           or pos.max() >= piece_offsets[-1] or (pos + widths[motif]).max() > codes.size):
            raise ValueError("hits must name a motif and lie inside the pieces' codes")
        order = hit_order(motif, pos, minus, widths.size)
        motif, pos, minus = motif[order], pos[order], minus[order]
        rows.view(np.uint8)[...] = 0  # every byte: the padding between fields is 0
        piece = np.searchsorted(piece_offsets, pos, side="right") - 1 if piece_records.size > 1 \
            else np.zeros(pos.size, np.int64)
        w = widths[motif]
        rows["motif"] = motif
        rows["sequence"] = piece_records[piece]
        rows["start"] = piece_starts[piece] + (pos - piece_offsets[piece])
        rows["end"] = rows["start"] + w
        rows["strand"] = np.where(minus, b"-", b"+")
        rows["score"] = score[order]
        rows["pvalue"] = pvalue[order]
        rows["qvalue"] = np.nan
        letters = np.empty((pos.size, rows.dtype["matched"].itemsize), np.uint8)
        self.window_letters(codes, pos, w, minus, letters, threads)
        if rna:
            letters[letters == ord("T")] = ord("U")
        rows["matched"] = letters.view(rows.dtype["matched"]).ravel()

    def window_sums(self, codes, starts, which, tables, table_start, out, threads):
        widths = np.diff(table_start) // 4
        if starts.size and (which.min() < 0 or which.max() >= widths.size or starts.min() < 0
                            or (starts + widths[which]).max() > codes.size):
            raise ValueError("windows must lie inside the codes and name a table")
        for w in np.unique(widths[which]).tolist():  # one gather per width, summed as np.sum sums a row
            rows = np.flatnonzero(widths[which] == w)
            win = codes[starts[rows, None] + np.arange(w)].astype(np.intp)
            index = table_start[which[rows], None] + 4 * np.arange(w) + np.minimum(win, 3)
            out[rows] = np.where((win < 4).all(axis=1), tables[index].sum(axis=1), np.nan)

    def tomtom_compare(self, *args):
        *rest, threads = args
        self._run("tomtom_compare", threads, *rest)

    def tomtom_table(self, pvalue, offset, overlap, orientations, name_rank, rows, threads, first_query=0):
        from exactpwm._numpy_kernels import fill_table  # numpy: whole-array operations

        fill_table(pvalue, offset, overlap, orientations, name_rank, rows, first_query)

    def dinucleotide_shuffle(self, codes, offsets, n_shuffles, seed, out, threads):
        self._run("dinucleotide_shuffle", threads, codes, offsets, np.int64(n_shuffles), np.uint64(seed), out)

    def seqlet_jaccard(self, a_fwd, a_rev, b, neighbors, max_shift, best, offset, strand, threads):
        if neighbors.size and (neighbors.min() < -1 or neighbors.max() >= a_fwd.shape[0]):
            raise ValueError("neighbors must index rows of a_fwd (or be -1)")
        self._run("seqlet_jaccard", threads, a_fwd, a_rev, b, neighbors, np.int64(max_shift), best, offset, strand)

    def null_survival(self, cols, background, floor=0):
        """One column at a time: the pmf shifted by each base's score, weighted by its probability;
        the same numbers as the compiled core, bit for bit (which computes only the sums that can
        reach the floor: they are the same numbers)."""
        size = int(cols.max(axis=1).sum()) + 1
        if not 0 <= floor <= size:
            raise ValueError(f"floor must lie in [0, {size}], got {floor}")
        pmf, nxt = np.zeros(size), np.zeros(size)
        pmf[0] = 1.0
        top = 0
        for col in cols:
            width = int(col.max())
            nxt[: top + width + 1] = 0.0
            for shift, w in zip(col, background):
                nxt[shift: shift + top + 1] += w * pmf[: top + 1]
            top += width
            pmf, nxt = nxt, pmf
        return np.cumsum(pmf[::-1])[::-1][floor:]


@functools.cache
def engine(backend: str = "auto") -> Engine:
    """The engine a ``backend=`` value selects (see the module docstring); errors name the reason."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if backend == "numba":
        if importlib.util.find_spec("numba") is None:
            raise RuntimeError("backend='numba' needs the numba package (pip install numba)")
        return _Numba()
    if _core is None:
        if backend == "auto":
            return engine("numba")
        raise RuntimeError(f"backend={backend!r}: the compiled core is not available ({_CORE_ERROR})")
    if backend in ("auto", "cpp"):
        return _Core("auto")
    isa = backend.split("-", 1)[1]
    info = _core.build_info()
    if isa not in info["isa_compiled"]:
        raise ValueError(f"backend={backend!r}: {isa} kernels were not compiled into this build")
    if isa not in info["isa_cpu"]:
        raise ValueError(f"backend={backend!r}: this CPU does not support {isa}")
    return _Core(isa)


def _concatenated(parts: list) -> tuple[np.ndarray, np.ndarray]:
    """(the arrays one after another, (n + 1,) int64 start of each and the end)."""
    start = np.concatenate([[0], np.cumsum([p.size for p in parts])]).astype(np.int64)
    return (np.concatenate(parts) if parts else np.zeros(0)), start
