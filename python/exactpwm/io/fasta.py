"""FASTA input, plain or gzipped, read in bounded memory.

* ``read_fasta(path)`` yields whole records as (name, codes);
* ``iter_chunks(path, chunk_size, overlap)`` yields pieces of records, each
  ``chunk_size + overlap`` bases long at most, consecutive pieces of a record
  sharing ``overlap`` bases, so every window of width <= overlap + 1 lies whole
  in exactly one piece's first ``chunk_size`` starts.

Letters are encoded as in :func:`exactpwm.encode` (lowercase as uppercase, U as
T, IUPAC as N); whitespace is ignored, and line ends may be LF, CRLF or CR alone
(old Mac files). Any other byte
is an error naming the file, the line and the letter. ``"-"`` reads standard
input. A gzip, xz or bzip2 file is recognised by its magic bytes, whatever its name; so is
zstd (read with the ``zstandard`` package when installed, else a clear error), and zip
and lz4 files are refused with the command that unpacks them.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import lzma
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import numpy as np

from exactpwm import _read_ahead
from exactpwm._engine import engine
from exactpwm.core.alphabet import FASTA_SKIP, INVALID, fasta_table

__all__ = ["FastaError", "read_fasta", "iter_chunks", "iter_pieces", "Chunk", "Run", "open_binary", "compression",
           "sequence_lengths", "record_lengths", "select_records"]

_BLOCK = 1 << 22  # bytes read at a time
_DECODE_TABLE = fasta_table()  # letter byte -> code, whitespace FASTA_SKIP: for bytes.translate
_DECODE = np.frombuffer(_DECODE_TABLE, dtype=np.uint8).copy()  # the same, as the engine reads it


# what reading a damaged gzip / xz / bzip2 stream raises
DECOMPRESS_ERRORS = (EOFError, gzip.BadGzipFile, lzma.LZMAError, zlib.error, OSError)


class FastaError(ValueError):
    """A malformed FASTA file; the message names the file and line."""


@dataclass
class Chunk:
    """A piece of one FASTA record.

    record : index of the record in the file (0-based)
    name : the record's name (first word of its header)
    start : 0-based position of codes[0] within the record
    codes : uint8 codes (A=0 .. T=3, N=4)
    last : True for the record's final piece (then ``length`` is the record's length)
    """

    record: int
    name: str
    start: int
    codes: np.ndarray
    last: bool

    @property
    def length(self) -> int:
        return self.start + self.codes.size


def open_binary(source) -> tuple[BinaryIO, str]:
    """Open a path, ``"-"`` (stdin) or a binary file object for reading; gunzip if gzipped."""
    if hasattr(source, "read"):
        raw, label = source, getattr(source, "name", "<stream>")
    elif str(source) == "-":
        raw, label = sys.stdin.buffer, "<stdin>"
    else:
        label = os.fspath(source)
        if not os.path.exists(label):
            raise FileNotFoundError(f"{label}: no such file")
        if os.path.isdir(label):
            raise IsADirectoryError(f"{label}: is a directory, not a FASTA file")
        raw = open(label, "rb")
    buffered = raw
    if not isinstance(raw, io.BufferedReader) and hasattr(raw, "readinto"):
        buffered = io.BufferedReader(raw)
    head = buffered.peek(6)[:6] if hasattr(buffered, "peek") else b""
    kind = compression(head)
    if kind == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=buffered, mode="rb")), label
    if kind == "xz":
        return cast(BinaryIO, lzma.LZMAFile(buffered, mode="rb")), label
    if kind == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(buffered, mode="rb")), label
    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            raise FastaError(f"{label}: the file is zstd-compressed; decompress it first "
                             "(zstd -d, or zstdcat FILE | exactpwm ... -) or pip install zstandard") from None
        return zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True), label
    if kind in _UNSUPPORTED:
        raise FastaError(f"{label}: the file is {kind}-compressed, which is not read here; "
                         f"{_UNSUPPORTED[kind]} (plain, gzip, bzip2 and xz FASTA are read directly)")
    return buffered, label


_UNSUPPORTED = {"zip": "unpack it first (unzip -p FILE | exactpwm ... -)",
                "lz4": "decompress it first (lz4 -dc FILE | exactpwm ... -)"}


def compression(head: bytes) -> str | None:
    """'gzip', 'xz', 'bzip2', 'zstd', 'zip' or 'lz4' from a file's first 6 bytes; None otherwise."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[:4] == b"\x04\x22\x4d\x18":
        return "lz4"
    return None


def _lines_of(stream: BinaryIO, label: str) -> Iterator[tuple[bytes, bool]]:
    """(text, continues) pieces of the stream.

    ``text`` is normally whole lines. A sequence line longer than a read block (a
    genome on one line) is passed on block by block, so memory stays bounded; such
    a piece has no newline and the next piece has ``continues=True``: it does not
    start a line. Header lines are always passed whole.
    """
    carry = b""
    continues = False
    held_cr = False  # a block ended in CR: it may be the first half of CRLF
    while True:
        try:
            block = stream.read(_BLOCK)
        except DECOMPRESS_ERRORS as exc:
            raise FastaError(f"{label}: the file is truncated or not validly compressed ({exc})") from None
        if not block:
            if held_cr:
                carry += b"\n"
            break
        if held_cr:
            block, held_cr = b"\r" + block, False
        if b"\r" in block:  # CRLF and CR-alone line ends read as LF
            if block.endswith(b"\r"):
                block, held_cr = block[:-1], True
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        block = carry + block if carry else block
        cut = block.rfind(b"\n")
        if cut < 0:
            if continues or not block.startswith(b">"):  # inside a long sequence line
                yield block, continues
                carry, continues = b"", True
            else:
                carry = block
            continue
        whole, carry = block[: cut + 1], block[cut + 1:]
        yield whole, continues
        continues = False
    if carry:
        yield carry + b"\n", continues


def _blocks(source, letters: bool = False,
            backend: str = "auto") -> Iterator[tuple[int, list[str], np.ndarray, list[int]]]:
    """(line, names, codes, cuts) per block of text, in file order: ``codes`` are the block's
    sequence bytes (codes, or with ``letters`` the bytes as written: ASCII, whitespace removed,
    checked), ``names`` the names of the headers in the block and ``cuts[r]`` where header r's
    record starts in ``codes``. ``codes[:cuts[0]]`` (all of ``codes`` without a header) continues
    the record open before the block; the block's last record may continue after it.

    The compiled engine parses each block in one pass (``backend``: see :func:`exactpwm.engine`);
    without it, whole-array numpy operations do (:func:`_parse_numpy`, the reference: the same
    results and errors, tested). Line numbers are counted only to report an error.
    """
    eng = engine(backend)
    ahead = _read_ahead.take(source, letters) if eng.name == "cpp" else None
    if ahead is not None and compression(ahead.head) is None:  # read whole by the program as it started
        stream, label = None, os.fspath(source)
        pieces: Iterator[tuple[Callable[[], bytes], tuple]] = iter([(ahead.text, ahead.parsed)] if ahead.head else [])
    else:
        stream, label = open_binary(source)
        pieces = _parsed_blocks(stream, label, letters, eng)
    seen_header = False
    line_no = 1  # of the block's first line
    try:
        for text_of, parsed in pieces:

            def line_of(i: int, first=line_no, text_of=text_of) -> int:
                return first + text_of().count(b"\n", 0, i)

            codes, heads, head_ends, cuts, bad, first_kept, nameless, names_blob, newlines = parsed
            if bad >= 0:
                byte = text_of()[bad]
                ch = chr(byte) if 32 < byte < 127 else f"byte 0x{byte:02x}"
                raise FastaError(f"{label}, line {line_of(bad)}: unknown letter {ch!r} in a "
                                 "sequence (expected ACGTU, N or IUPAC codes)")
            cut_list = cuts.tolist()
            if (cut_list[0] if cut_list else codes.size) and not seen_header:
                raise FastaError(f"{label}, line {line_of(first_kept)}: sequence data before "
                                 "the first '>' header (is this a FASTA file?)")
            if names_blob is not None:  # ASCII headers: their first words, one per line
                if nameless >= 0:
                    raise FastaError(f"{label}, line {line_of(nameless)}: a header line ('>') without a name")
                names = names_blob.decode("ascii").split("\n")[:-1]
            else:
                names = []
                text = text_of()
                for h, e in zip(heads.tolist(), head_ends.tolist()):
                    words = text[h + 1:e].decode("utf-8", "replace").split(None, 1)
                    if not words:
                        raise FastaError(f"{label}, line {line_of(h)}: a header line ('>') "
                                         "without a name")
                    names.append(words[0])
            seen_header = seen_header or bool(names)
            yield line_no, names, codes, cut_list
            line_no += newlines
    finally:
        if stream is not None and stream is not sys.stdin.buffer and not hasattr(source, "read"):
            stream.close()


def _parsed_blocks(stream: BinaryIO, label: str, letters: bool, eng) -> Iterator[tuple[Callable[[], bytes], tuple]]:
    """(text, parsed) per block of whole lines of the stream: ``text()`` its bytes, ``parsed`` as
    the engine's ``fasta_block`` returns it (numpy's parser where the engine has none)."""
    for text, continues in _lines_of(stream, label):
        if not text:
            continue
        parsed = eng.fasta_block(text, continues, _DECODE, letters)
        if parsed is None:
            parsed = _parse_numpy(text, continues, letters)
        yield functools.partial(bytes, text), parsed


def _parse_numpy(text: bytes, continues: bool, letters: bool) -> tuple:
    """One block of whole lines parsed with whole-array operations (one translation, the header
    bytes marked by index, one compaction), as the engine's ``fasta_block`` returns it: (codes,
    heads, head_ends, cuts, bad, first_kept, nameless, names, newlines) with ``bad`` the first
    invalid byte's index (or -1), ``first_kept`` the first sequence byte's, names None (taken from
    the headers by the caller) and ``newlines`` the text's line ends."""
    raw = np.frombuffer(text, dtype=np.uint8)
    n = raw.size
    # header lines: a '>' at the start of a line (not of a block that continues a line)
    starts = np.flatnonzero(raw[:-1] == 10) + 1
    if not continues:
        starts = np.concatenate([[0], starts])
    heads = starts[raw[starts] == 62] if starts.size else starts
    ends = np.flatnonzero(raw == 10)  # every header line ends in '\n' (_lines_of passes whole lines)
    head_ends = ends[np.searchsorted(ends, heads)] if heads.size else heads
    decoded = np.frombuffer(text.translate(_DECODE_TABLE), dtype=np.uint8).copy()
    head_bytes = head_ends - heads  # '>' and the name line, without its '\n'
    if heads.size:  # header bytes read as whitespace
        decoded[np.arange(int(head_bytes.sum())) + np.repeat(heads - np.cumsum(head_bytes) + head_bytes,
                                                             head_bytes)] = FASTA_SKIP
    bad = decoded == INVALID
    if bad.any():
        return (np.zeros(0, np.uint8), heads, head_ends, np.zeros(0, np.int64), int(np.argmax(bad)), -1, -1, None,
                ends.size)
    keep = decoded != FASTA_SKIP
    codes = (raw if letters else decoded)[keep]
    # codes before each header: its position less the bytes skipped before it, which are the
    # line ends and the earlier headers when the sequence lines hold no other whitespace
    if not heads.size:
        cuts = np.zeros(0, np.int64)
    elif n - codes.size == ends.size + int(head_bytes.sum()):
        cuts = heads - np.searchsorted(ends, heads) - (np.cumsum(head_bytes) - head_bytes)
    else:
        # kept bytes per stretch between headers (a header byte is never kept, so a header at 0
        # gives an empty first stretch)
        cuts = np.cumsum(np.add.reduceat(keep, np.concatenate([[0], heads]), dtype=np.int64))[:-1]
    first_kept = int(np.argmax(keep)) if codes.size else -1
    return codes, heads, head_ends, np.asarray(cuts, np.int64), -1, first_kept, -1, None, ends.size


def _events(source, letters: bool = False) -> Iterator[tuple[str, Any, int]]:
    """("header", name, line) and ("seq", codes, line) events, in file order (see :func:`_blocks`)."""
    for line_no, names, codes, cuts in _blocks(source, letters):
        bounds = cuts + [codes.size]
        lead = bounds[0]
        if lead:
            yield "seq", codes[:lead], line_no
        for r, name in enumerate(names):
            yield "header", name, line_no
            if bounds[r + 1] > bounds[r]:
                yield "seq", codes[bounds[r]:bounds[r + 1]], line_no


def read_fasta(source) -> Iterator[tuple[str, np.ndarray]]:
    """Whole records of a FASTA file as (name, uint8 codes); holds one record at a time."""
    name: str | None = None
    parts: list[np.ndarray] = []
    for kind, value, _ in _events(source):
        if kind == "header":
            if name is not None:
                yield name, _join(parts)
            name, parts = value, []
        else:
            parts.append(value)
    if name is not None:
        yield name, _join(parts)


def _join(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=np.uint8)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def iter_chunks(source, chunk_size: int = 1 << 23, overlap: int = 0, letters: bool = False) -> Iterator[Chunk]:
    """Pieces of every record, at most ``chunk_size + overlap`` bases each, in file order.

    With ``letters``, a chunk's ``codes`` hold the letters as written (ASCII bytes: case, U and
    IUPAC codes kept; checked as for codes) instead of codes.

    Piece i of a record starts at ``i * chunk_size``; it holds the windows that
    start in ``[start, start + chunk_size)`` and are at most ``overlap + 1`` wide.
    Every record yields at least one piece (an empty record one empty piece).
    Memory is bounded by about ``chunk_size + overlap`` bases plus one read block.
    """
    for item in iter_pieces(source, chunk_size, overlap, letters):
        if isinstance(item, Chunk):
            yield item
            continue
        bounds = np.concatenate([[0], np.cumsum(item.lengths)]).tolist()
        for r, name in enumerate(item.names):
            yield Chunk(item.first + r, name, 0, item.codes[bounds[r]:bounds[r + 1]], True)


@dataclass
class Run:
    """Consecutive whole records, none longer than a piece, as one array (a peak set's records
    come as one Run per read block).

    first : index of the first record in the file; names : their names;
    codes : (sum of lengths,) uint8, the records one after the other (no separator);
    lengths : (R,) int64
    """

    first: int
    names: list
    codes: np.ndarray
    lengths: np.ndarray


def iter_pieces(source, chunk_size: int = 1 << 23, overlap: int = 0,
                letters: bool = False) -> Iterator[Chunk | Run]:
    """:func:`iter_chunks`, with the whole records of at most ``chunk_size + overlap`` bases that a
    read block holds from their header to their end given together as one :class:`Run` (the
    record order kept). Records that span blocks, and longer ones, come as :class:`Chunk` pieces.
    """
    if chunk_size < 1 or overlap < 0:
        raise ValueError(f"chunk_size must be >= 1 and overlap >= 0; got {chunk_size}, {overlap}")
    record, name = -1, ""
    started = False
    buf: list[np.ndarray] = []
    held = 0
    start = 0
    span = chunk_size + overlap

    def flush_full():
        nonlocal buf, held, start
        while held >= span + 1:  # more than one piece's worth: the piece is not the last
            cat = _join(buf)
            yield Chunk(record, name, start, cat[:span].copy(), False)
            rest = cat[chunk_size:]
            buf, held, start = [rest], rest.size, start + chunk_size

    def open_record(r: int, n: str, codes: np.ndarray):
        nonlocal record, name, buf, held, start, started
        record, name, buf, held, start, started = r, n, [codes], codes.size, 0, True
        yield from flush_full()

    for _, names, codes, cuts in _blocks(source, letters):
        lead = cuts[0] if cuts else codes.size
        if lead:  # the open record goes on
            buf.append(codes[:lead])
            held += lead
            yield from flush_full()
        if not names:
            continue
        if started:
            yield Chunk(record, name, start, _join(buf), True)
        first, inner = record + 1, len(names) - 1  # records that end inside this block
        if inner:
            lengths = np.diff(np.asarray(cuts, dtype=np.int64))
            if lengths.max() <= span:
                yield Run(first, names[:inner], codes[cuts[0]:cuts[-1]], lengths)
            else:
                for r in range(inner):
                    yield from open_record(first + r, names[r], codes[cuts[r]:cuts[r + 1]])
                    yield Chunk(record, name, start, _join(buf), True)
        yield from open_record(first + inner, names[-1], codes[cuts[-1]:])
    if started:
        yield Chunk(record, name, start, _join(buf), True)


def record_lengths(source) -> np.ndarray:
    """(R,) int64: the length of every record, in file order (repeated names allowed): from the
    samtools ``.fai`` index beside a plain FASTA path when there is one no older than the FASTA,
    else one pass over the file, reading no more than a block at a time."""
    fai = _fresh_fai(source)
    if fai is not None:
        lengths = _fai_lengths(fai, os.path.getsize(source))
        if lengths is not None:
            return lengths
    out: list[np.ndarray] = []
    for item in iter_pieces(source, 1 << 24):
        if isinstance(item, Run):
            out.append(item.lengths)
        elif item.last:
            out.append(np.array([item.length], dtype=np.int64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def select_records(pieces: Iterator[Chunk | Run], first: int, stop: int) -> Iterator[Chunk | Run]:
    """The pieces of records ``first .. stop - 1`` only, numbered from 0 (as if the file held only
    them), from :func:`iter_pieces`; stops reading once record ``stop - 1`` is done."""
    for item in pieces:
        if isinstance(item, Chunk):
            if item.record >= stop:
                return
            if item.record >= first:
                yield Chunk(item.record - first, item.name, item.start, item.codes, item.last)
            continue
        a, b = max(first, item.first), min(stop, item.first + len(item.names))
        if a < b:
            bounds = np.concatenate([[0], np.cumsum(item.lengths)])
            i, j = a - item.first, b - item.first
            yield Run(a - first, item.names[i:j], item.codes[bounds[i]:bounds[j]], item.lengths[i:j])
        if item.first + len(item.names) >= stop:
            return


def sequence_lengths(source) -> dict[str, int]:
    """{record name: length} in file order.

    Read from the samtools ``.fai`` index beside a plain FASTA path when there is one no
    older than the FASTA (as ``samtools faidx`` writes it), else from one pass over the file
    (no scoring, about 1 GB/s). Repeated names raise ValueError.
    """
    fai = _fresh_fai(source)
    if fai is not None:
        sizes = _read_fai(fai)
        if sizes is not None:
            return sizes
    from exactpwm.io.files import UniqueNames

    sizes = {}
    unique = UniqueNames()
    for c in iter_chunks(source, 1 << 24):
        if c.last:
            unique.add(c.name)
            sizes[c.name] = c.length
    return sizes


def _fresh_fai(source) -> str | None:
    """The samtools .fai beside a FASTA path, when it exists and is no older than the FASTA."""
    if isinstance(source, (str, os.PathLike)) and os.path.isfile(source):
        fai = os.fspath(source) + ".fai"
        if os.path.isfile(fai) and os.path.getmtime(fai) >= os.path.getmtime(source):
            return fai
    return None


def _fai_lengths(path: str, fasta_size: int) -> np.ndarray | None:
    """The record lengths of a .fai index, or None unless its last record ends exactly where the
    FASTA file does (an index of another file, or of a file changed since, is not trusted: a part
    of a scan must not miss records)."""
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5 or not all(x.isdigit() for x in fields[1:5]):
                return None
            rows.append([int(x) for x in fields[1:5]])
    if not rows:
        return None
    length, offset, bases, width = rows[-1]
    newlines = width - bases
    end = offset + length + (length // bases) * newlines + (newlines if bases and length % bases else 0) \
        if bases else offset + length
    if end != fasta_size:
        return None
    return np.array([r[0] for r in rows], dtype=np.int64)


def _read_fai(path: str) -> dict[str, int] | None:
    """Names and lengths of a .fai index; None when it is not one (then the FASTA is read)."""
    sizes: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5 or not fields[1].isdigit():
                return None
            sizes[fields[0].split()[0] if fields[0].split() else fields[0]] = int(fields[1])
    return sizes
