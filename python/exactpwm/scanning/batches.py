"""Sequences in batches for the engine: FASTA or in-memory records, packed or cut into pieces.

Many short records (a peak set) are packed into one code array with one N between them, so
one engine call per width group serves thousands of records and a window crossing from one
record into the next always holds an N. A record longer than ``chunk_size + overlap`` is cut
into pieces of that size, consecutive pieces sharing ``overlap`` bases. Memory stays bounded
by about ``chunk_size`` bases plus one read block, whatever the input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter

import numpy as np

from exactpwm._engine import engine
from exactpwm.core.sequence import ENCODE, check_codes, encode
from exactpwm.io.fasta import Chunk, Run, iter_chunks, iter_pieces, select_records

__all__ = ["DEFAULT_CHUNK"]

DEFAULT_CHUNK = 1 << 23


def _is_file(sequences) -> bool:
    return isinstance(sequences, (os.PathLike, str)) and (str(sequences) == "-" or os.path.exists(str(sequences))) \
        or hasattr(sequences, "read")


def known_bases(sequences) -> int | None:
    """About how many bases a scan of ``sequences`` reads (the size of a plain FASTA file, a bit
    more than its bases), or None when that is not known before reading (a stream, a compressed
    file, an iterator)."""
    try:
        if _is_file(sequences):
            path = str(sequences) if isinstance(sequences, (str, os.PathLike)) else None
            if path is None or path == "-" or path.endswith((".gz", ".bgz", ".xz", ".bz2", ".zst")):
                return None
            return os.path.getsize(path)
        if isinstance(sequences, dict):
            return sum(map(len, sequences.values()))
        if isinstance(sequences, (str, bytes, np.ndarray)):
            return len(sequences)
        if isinstance(sequences, (list, tuple)):
            return sum(len(s[1]) if isinstance(s, tuple) else len(s) for s in sequences)
    except (TypeError, OSError, IndexError):
        return None
    return None


def as_chunks(sequences, chunk_size: int, overlap: int, names_out: list[str],
               letters: bool = False) -> Iterator[Chunk]:
    """Chunks from a FASTA path / '-' / file object (with ``letters``: the letters as written), or
    from in-memory sequences (codes)."""
    if _is_file(sequences):
        for chunk in iter_chunks(sequences, chunk_size, overlap, letters):
            if chunk.record == len(names_out):
                names_out.append(chunk.name)
            yield chunk
        return
    for record, (name, codes) in enumerate(_memory_records(sequences, names_out)):
        for start, stop, last in _piece_bounds(codes.size, chunk_size, overlap):
            yield Chunk(record, name, start, codes[start:stop], last)


_SEQUENCE_TEXT = re.compile(r"[ACGTUNRYSWKMBDHVX\-\s]*", re.IGNORECASE)


def _memory_records(sequences, names_out: list[str], letters: bool = False) -> Iterator[tuple[str, np.ndarray]]:
    """(name, codes) of in-memory sequences: a dict, a list of sequences or (name, sequence) pairs,
    or one sequence; names are appended to ``names_out`` as they are read. uint8 code vectors pass
    as they are: their range is checked once per packed batch (:func:`pack_batch`). With
    ``letters``, (name, ASCII letters as given) instead (code vectors read as ACGTN)."""
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
            yield name, (_LETTERS[np.minimum(seq, 4)] if letters else seq)
            continue
        try:
            codes = check_codes(seq) if isinstance(seq, np.ndarray) else encode(seq)
        except ValueError as exc:
            raise ValueError(f"sequence {name}: {exc}") from None
        if letters:
            codes = _LETTERS[codes] if isinstance(seq, np.ndarray) else \
                np.frombuffer(seq.encode("ascii") if isinstance(seq, str) else bytes(seq), np.uint8)
        yield name, codes


_LETTERS = np.frombuffer(b"ACGTN", np.uint8)


_DTYPE, _NDIM = attrgetter("dtype"), attrgetter("ndim")


def _is_code_vector(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 1


_MAX_BATCH_RECORDS = 1 << 16  # whole records packed into one engine call, at most


@dataclass
class Batch:
    """Consecutive pieces of records packed into one code array for one engine call per width group.

    Piece i is ``codes[offsets[i]:offsets[i] + lengths[i]]``; pieces are separated by one N, so a
    window that crosses from one piece into the next always holds an N (never a hit, never a
    maximum, a NaN in a track). A piece of a long record comes alone (no separator).

    codes : (n,) uint8; offsets : (R + 1,) int64 (offsets[R] == n); lengths, records, starts,
    limits : (R,) int64 -- the piece's length, its record's index, the position of its first base
    in the record, and the piece-relative start below which its windows belong to it
    (``chunk_size`` for all but a record's last piece); names : (R,) record names;
    letters : (n,) uint8 ASCII, the input's letters as written (case, U kept) where ``codes`` came
    from them (a FASTA read for ``input_letters``), else None.
    """

    codes: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    records: np.ndarray
    starts: np.ndarray
    limits: np.ndarray
    names: list
    letters: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def bases(self) -> int:
        """Bases this batch moves a scan forward (for progress)."""
        return int(np.minimum(self.limits, self.lengths).sum())


def _pack(codes: list[np.ndarray], names: list[str], records, starts, limits, letters: bool = False,
          lengths: np.ndarray | None = None) -> Batch:
    """A batch of pieces: several are packed with one N after each; one is used as it is.
    With ``letters``, the pieces hold letters as written (ASCII): they are kept and encoded.
    ``lengths``: the pieces' sizes, when known (else measured)."""
    if lengths is None:
        lengths = np.fromiter(map(len, codes), dtype=np.int64, count=len(codes))
    if len(codes) == 1:
        packed = codes[0]
        offsets = np.array([0, packed.size], dtype=np.int64)
    else:
        offsets = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=offsets[1:])
        sep = np.full(1, ord("N") if letters else 4, dtype=np.uint8)
        packed = np.concatenate(list(chain.from_iterable(zip(codes, repeat(sep)))))
    return _batch(packed, offsets, lengths, records, starts, limits, names, letters)


def _pack_runs(runs: list[Run], letters: bool = False) -> Batch:
    """:func:`_pack` of the whole records of ``runs``, with whole-array operations."""
    if len(runs) == 1 and len(runs[0].names) == 1:
        r = runs[0]
        return _pack([r.codes], r.names, [r.first], [0], [r.codes.size], letters)
    lengths = np.concatenate([r.lengths for r in runs])
    names = [n for r in runs for n in r.names]
    records = np.concatenate([np.arange(r.first, r.first + len(r.names)) for r in runs])
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=offsets[1:])
    packed = engine().pack_records([np.ascontiguousarray(r.codes, np.uint8) for r in runs],  # an N after each record
                                   [np.ascontiguousarray(r.lengths, np.int64) for r in runs],
                                   ord("N") if letters else 4)
    return _batch(packed, offsets, lengths, records, np.zeros(lengths.size, np.int64), lengths, names, letters)


def _batch(packed: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, records, starts, limits, names: list[str],
           letters: bool) -> Batch:
    text = None
    if letters:
        text, packed = packed, ENCODE[packed]
    if packed.size and packed.max() > 4:  # uint8 input codes are range-checked here, once per batch
        piece = int(np.searchsorted(offsets, int(np.argmax(packed > 4)), side="right")) - 1
        raise ValueError(f"sequence {names[piece]}: encoded sequences must hold codes 0..4 (A, C, G, T, N); "
                         "use exactpwm.encode on letters")
    return Batch(packed, offsets, lengths, np.asarray(records, dtype=np.int64),
                  np.asarray(starts, dtype=np.int64), np.asarray(limits, dtype=np.int64), names, text)


def pack_batch(chunks: list[Chunk], chunk_size: int) -> Batch:
    return _pack([c.codes for c in chunks], [c.name for c in chunks], [c.record for c in chunks],
                 [c.start for c in chunks], [c.codes.size if c.last else chunk_size for c in chunks])


def sequence_batches(sequences, chunk_size: int, overlap: int, names_out: list[str],
             letters: bool = False, records: tuple[int, int] | None = None) -> Iterator[Batch]:
    """Whole records packed together up to about ``chunk_size`` bases (a peak set: one engine call
    per width group for thousands of records); each piece of a longer record is a batch of its own
    (pieces of ``chunk_size + overlap`` bases, consecutive ones sharing ``overlap``). With
    ``letters``, batches of a FASTA input keep its letters as written (see :class:`Batch`).
    ``records=(first, stop)``: of a FASTA file, only those records (0-based, half-open), numbered
    from 0."""
    if records is not None and not _is_file(sequences):
        raise ValueError("records= selects records of a FASTA file; select in-memory sequences before the call")
    codes_: list[np.ndarray] = []
    names_: list[str] = []
    records_: list[int] = []
    held = 0

    def flush() -> Batch:
        nonlocal codes_, names_, records_, held
        batch = _pack(codes_, names_, records_, [0] * len(codes_), [c.size for c in codes_], letters)
        codes_, names_, records_, held = [], [], [], 0
        return batch

    if _is_file(sequences):
        yield from _file_batches(sequences, chunk_size, overlap, names_out, letters, records)
        return
    if not letters:
        fast = _packed_memory_batches(sequences, chunk_size, overlap, names_out)
        if fast is not None:
            yield from fast
            return
    for name, codes, record, start, last in _pieces(sequences, chunk_size, overlap, names_out, letters):
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
        yield _pack([codes], [name], [record], [start], [codes.size if last else chunk_size], letters)
    if codes_:
        yield flush()


def _file_batches(source, chunk_size: int, overlap: int, names_out: list[str], letters: bool,
                  records: tuple[int, int] | None = None) -> Iterator[Batch]:
    """:func:`sequence_batches` of a FASTA file: the whole short records of each read block come as
    one :class:`~exactpwm.io.fasta.Run` and are packed with whole-array operations (a peak set
    costs no Python per record), cut where a batch fills exactly as record-by-record packing does."""
    runs: list[Run] = []
    held = count = 0

    def flush() -> Batch:
        nonlocal runs, held, count
        batch = _pack_runs(runs, letters)
        runs, held, count = [], 0, 0
        return batch

    pieces = iter_pieces(source, chunk_size, overlap, letters)
    if records is not None:
        pieces = select_records(pieces, *records)
    for item in pieces:
        if isinstance(item, Chunk):
            if item.record == len(names_out):
                names_out.append(item.name)
            if not (item.start == 0 and item.last):  # a piece of a long record: a batch of its own
                if runs:
                    yield flush()
                yield _pack([item.codes], [item.name], [item.record], [item.start],
                            [item.codes.size if item.last else chunk_size], letters)
                continue
            item = Run(item.record, [item.name], item.codes, np.array([item.codes.size], dtype=np.int64))
        else:
            names_out.extend(item.names)
        ends = np.cumsum(item.lengths + 1)  # space each record takes in a batch (its N included)
        starts = np.concatenate([[0], np.cumsum(item.lengths)])
        i, n = 0, len(item.names)
        while i < n:
            base = int(ends[i - 1]) if i else 0
            # the batch is full at the first record that brings it to chunk_size bases (that one included)
            j = int(np.searchsorted(ends, base + chunk_size - held, side="left")) + 1
            j = min(j, i + _MAX_BATCH_RECORDS - count, n)
            runs.append(Run(item.first + i, item.names[i:j], item.codes[starts[i]:starts[j]], item.lengths[i:j]))
            held += int(ends[j - 1]) - base
            count += j - i
            if held >= chunk_size or count >= _MAX_BATCH_RECORDS:
                yield flush()
            i = j
    if runs:
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
    # every value a 1-D uint8 array: checked with C-level passes (set of types, dtypes, ranks)
    if not values or set(map(type, values)) != {np.ndarray} or set(map(_DTYPE, values)) != {np.dtype(np.uint8)} \
            or set(map(_NDIM, values)) != {1}:
        return None
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if lengths.max() > chunk_size + overlap:
        return None
    if keys is None:
        names = [f"seq{i}" for i in range(len(values))]
    elif set(map(type, keys)) == {str}:
        names = keys
    else:
        names = [k if isinstance(k, str) else f"seq{k}" if isinstance(k, int) else str(k) for k in keys]
    ends = np.cumsum(lengths + 1)  # batch boundaries: about chunk_size bases or _MAX_BATCH_RECORDS records

    def batches():
        first = 0
        while first < len(values):
            last = min(int(np.searchsorted(ends, ends[first] - lengths[first] - 1 + chunk_size, side="left")) + 1,
                       first + _MAX_BATCH_RECORDS, len(values))
            names_out.extend(names[first:last])
            yield _pack(values[first:last], names[first:last], np.arange(first, last), np.zeros(last - first, np.int64),
                        lengths[first:last], lengths=lengths[first:last])
            first = last

    return batches()


def _pieces(sequences, chunk_size: int, overlap: int, names_out: list[str], letters: bool = False):
    """(name, codes, record, start, last) of every piece of every in-memory record (a FASTA file's
    come from :func:`_file_batches`)."""
    for record, (name, codes) in enumerate(_memory_records(sequences, names_out, letters)):
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


def group_codes(batch: Batch, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, offsets) the engine scans for one width group: a lone piece is cut after its last
    window that belongs to it; packed whole records are scanned as they are."""
    if batch.size == 1:
        codes = batch.codes[: int(batch.limits[0]) + width - 1]
        return codes, np.array([0, codes.size], dtype=np.int64)
    return batch.codes, batch.offsets
