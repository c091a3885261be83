"""DNA/RNA sequences as byte codes.

Conventions used throughout exactpwm:

* alphabet ``ACGT``: codes A=0, C=1, G=2, T=3; ``U`` is read as T (RNA);
* ``N`` and the IUPAC ambiguity letters (``RYSWKMBDHV``), ``X`` and the gap ``-``
  are code 4 (``N``). Lowercase (soft-masked) letters are read as uppercase;
* any other byte (digits, whitespace, punctuation) is an error, unless
  ``unknown="N"`` is given;
* coordinates are 0-based, half-open.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from exactpwm._engine import _COMPLEMENT_CODES
from exactpwm.core._checks import resolve_threads
from exactpwm.core.alphabet import ALPHABET, INVALID, N_CODE, code_table
from exactpwm.core.errors import InputTypeError

__all__ = [
    "code_rows",
    "one_hot_rows",
    "N_CODE",
    "ALPHABET",
    "encode",
    "decode",
    "one_hot",
    "reverse_complement",
    "pack",
    "iter_batches",
]

SequenceLike = Union[str, bytes, bytearray, memoryview, np.ndarray]


ENCODE = np.frombuffer(code_table(), dtype=np.uint8).copy()  # letter byte -> code (0..4), 255 for others
_COMPLEMENT = _COMPLEMENT_CODES  # one table: A<->T, C<->G, N stays N


def _as_bytes(seq: SequenceLike) -> np.ndarray:
    if isinstance(seq, str):
        try:
            raw = seq.encode("ascii")
        except UnicodeEncodeError as exc:
            bad = seq[exc.start]
            raise ValueError(f"sequence has a non-ASCII character {bad!r} at position {exc.start}") from None
        return np.frombuffer(raw, dtype=np.uint8)
    if isinstance(seq, (bytes, bytearray, memoryview)):
        return np.frombuffer(seq, dtype=np.uint8)
    raise InputTypeError(f"expected a str or bytes sequence, got {type(seq).__name__}")


def encode(seq: SequenceLike, *, unknown: str = "error") -> np.ndarray:
    """Encode a sequence as uint8 codes (A=0, C=1, G=2, T/U=3, N/IUPAC=4).

    Parameters
    ----------
    seq : str, bytes or uint8 array
        Letters, or codes already in 0..4 (returned as a checked copy).
    unknown : {"error", "N"}
        What to do with bytes that are neither bases nor IUPAC letters:
        raise ``ValueError`` naming the first one, or read them as N.

    Returns
    -------
    numpy.ndarray of uint8, shape (n,)
    """
    if unknown not in ("error", "N"):
        raise ValueError(f"unknown must be 'error' or 'N', got {unknown!r}")
    if isinstance(seq, np.ndarray):
        return check_codes(seq).copy()
    raw = _as_bytes(seq)
    codes = ENCODE[raw]
    bad = codes == INVALID
    if bad.any():
        if unknown == "N":
            codes[bad] = N_CODE
        else:
            pos = int(np.argmax(bad))
            ch = chr(raw[pos])
            raise ValueError(
                f"sequence has an unknown letter {ch!r} at position {pos} "
                "(expected ACGTU, N or an IUPAC code; pass unknown='N' to read it as N)"
            )
    return codes


def check_codes(codes: np.ndarray) -> np.ndarray:
    """Check an encoded array: integer dtype, values in 0..4; returns uint8 view/copy."""
    if codes.dtype.kind not in "ui":
        raise InputTypeError(f"encoded sequences must be an integer array (uint8 codes 0..4), got dtype {codes.dtype}")
    if codes.size and (codes.min() < 0 or codes.max() > N_CODE):
        raise ValueError("encoded sequences must hold codes 0..4 (A, C, G, T, N); use exactpwm.encode on letters")
    return np.ascontiguousarray(codes, dtype=np.uint8)


def decode(codes: np.ndarray) -> str:
    """Turn codes (0..4) back into ``ACGTN`` letters."""
    codes = check_codes(np.asarray(codes))
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[codes].tobytes().decode("ascii")


def one_hot(seq: SequenceLike, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """One-hot matrix of shape (4, n), rows A, C, G, T; N is an all-zero column.

    This is the channels-first input that ``torch.nn.Conv1d`` expects.
    """
    codes = seq if isinstance(seq, np.ndarray) else encode(seq)
    codes = check_codes(np.asarray(codes))
    eye = np.vstack([np.eye(4, dtype=dtype), np.zeros((1, 4), dtype=dtype)])
    return np.ascontiguousarray(eye[codes].T)


def reverse_complement(seq: SequenceLike) -> np.ndarray | str:
    """Reverse complement of codes (returns codes) or of letters (returns str, ACGTN)."""
    if isinstance(seq, np.ndarray):
        return _COMPLEMENT[check_codes(seq)[..., ::-1]]
    return decode(_COMPLEMENT[encode(seq)[::-1]])


def window_letters(codes: np.ndarray, starts: np.ndarray, widths, minus, max_width: int, *,
                   threads: int = 0, backend: str = "auto") -> np.ndarray:
    """Letters of windows, as read on their strand: (H, max_width) uint8 ASCII, NUL-padded.

    codes : (n,) uint8 codes; starts : (H,) int64 0-based forward-strand starts;
    widths : (H,) or scalar window widths (<= max_width); minus : (H,) bool or scalar:
    reverse complement the window (as the '-' strand reads it). Codes >= 4 read as N.
    Windows must lie inside ``codes``. ``threads``, ``backend`` as in :func:`exactpwm.conv1d`
    (the fallback without the compiled core is numpy).
    """
    codes = check_codes(np.asarray(codes))
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    H = starts.size
    widths = np.ascontiguousarray(np.broadcast_to(np.asarray(widths, dtype=np.int64), (H,)))
    minus = np.ascontiguousarray(np.broadcast_to(np.asarray(minus, dtype=bool), (H,)))
    out = np.empty((H, max(1, max_width)), dtype=np.uint8)
    from exactpwm._engine import engine

    engine(backend).window_letters(codes, starts, widths, minus, out, resolve_threads(threads))
    return out


def _complement_letters(rna: bool) -> np.ndarray:
    table = np.arange(256, dtype=np.uint8)
    for a, b in ("AT", "CG", "GC", "TA", "UA", "NN"):
        table[ord(a)] = table[ord(a.lower())] = ord(b)  # uppercase, as FIMO's reverse complement
    if rna:
        table[ord("A")] = table[ord("a")] = ord("U")
    return table


_COMPLEMENT_LETTERS = (_complement_letters(False), _complement_letters(True))


def input_window_letters(text: np.ndarray, starts: np.ndarray, widths, minus, max_width: int,
                         rna: bool = False) -> np.ndarray:
    """Windows as the input wrote them, read on their strand: (H, max_width) uint8 ASCII, NUL-padded.

    text : (n,) uint8 ASCII letters (case and U kept); starts : (H,) int64 0-based forward-strand
    starts; widths : (H,) or scalar; minus : (H,) bool or scalar: reverse complement, in uppercase
    as FIMO writes it (A<->T, C<->G, U->A; A->U when ``rna``). '+' windows keep the input's case.
    The counterpart of :func:`window_letters` for FIMO's ``matched_sequence``.
    """
    starts = np.asarray(starts, dtype=np.int64)
    H = starts.size
    widths = np.broadcast_to(np.asarray(widths, dtype=np.int64), (H,))
    minus = np.broadcast_to(np.asarray(minus, dtype=bool), (H,))
    j = np.arange(max(1, max_width), dtype=np.int64)
    inside = j < widths[:, None]
    idx = np.where(minus[:, None], starts[:, None] + widths[:, None] - 1 - j, starts[:, None] + j)
    out = text[np.where(inside, idx, 0)]
    flip = minus[:, None] & inside
    out[flip] = _COMPLEMENT_LETTERS[int(bool(rna))][out[flip]]
    out[~inside] = 0
    return out


def pack(sequences: Iterable[SequenceLike] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate sequences of any lengths into (codes, offsets).

    Accepts a list of strings/bytes/code arrays, or a 2-D uint8 array (S, n).
    Returns ``codes`` uint8 (total,) and ``offsets`` int64 (S + 1,), so that
    sequence ``s`` is ``codes[offsets[s]:offsets[s + 1]]``.
    """
    if isinstance(sequences, np.ndarray):
        arr = check_codes(sequences)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise ValueError(f"a code array of sequences must be 1-D or 2-D (S, n), got shape {arr.shape}")
        S, n = arr.shape
        return arr.reshape(-1), np.arange(S + 1, dtype=np.int64) * n
    if isinstance(sequences, (str, bytes, bytearray)):
        sequences = [sequences]
    parts: list[np.ndarray] = []
    for i, s in enumerate(sequences):
        try:
            parts.append(check_codes(s) if isinstance(s, np.ndarray) else encode(s))
        except ValueError as exc:
            raise ValueError(f"sequence {i}: {exc}") from None
        if parts[-1].ndim != 1:
            raise ValueError(f"sequence {i}: expected a 1-D code array, got shape {parts[-1].shape}")
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([p.size for p in parts], out=offsets[1:])
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
    return codes, offsets


def iter_batches(offsets: np.ndarray, max_bases: int, max_seqs: int | None = None):
    """Split packed sequences into consecutive batches; yields (first, stop) sequence indices.

    A batch holds at most ``max_bases`` bases and ``max_seqs`` sequences, but
    always at least one sequence (a longer sequence forms a batch of its own).
    """
    S = offsets.size - 1
    max_seqs = S if max_seqs is None else max(1, int(max_seqs))
    first = 0
    while first < S:
        limit = offsets[first] + max(1, int(max_bases))
        stop = int(np.searchsorted(offsets, limit, side="right")) - 1
        stop = min(max(stop, first + 1), first + max_seqs, S)
        yield first, stop
        first = stop


def code_rows(sequences: Any) -> np.ndarray:
    """(N, L) uint8 codes of sequences of one length: a str, a list of str, (N, L) or (L,) integer
    codes 0..4, or one-hot (N, 4, L) (an all-zero column is N). Sequences of several lengths are
    an error (ragged sets go through :func:`pack`)."""
    if isinstance(sequences, str):
        sequences = [sequences]
    if isinstance(sequences, (list, tuple)):
        rows = [encode(s) for s in sequences]
        if len({r.size for r in rows}) > 1:
            raise ValueError("these sequences must have one length (pack a ragged set, or take one length at a "
                             "time)")
        return np.stack(rows) if rows else np.zeros((0, 0), np.uint8)
    x = np.asarray(sequences.detach().cpu().numpy() if hasattr(sequences, "detach") else sequences)
    if x.ndim == 3:  # one-hot (N, 4, L)
        if x.shape[1] != 4:
            raise ValueError(f"one-hot sequences must have shape (N, 4, L), got {x.shape}")
        return np.where(x.sum(axis=1) > 0, x.argmax(axis=1), 4).astype(np.uint8)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.dtype.kind not in "iu" or (x.size and (x.min() < 0 or x.max() > 4)):
        raise ValueError("sequences must be str, (N, L) integer codes 0..4, or one-hot (N, 4, L)")
    return x.astype(np.uint8)


def one_hot_rows(sequences: Any) -> np.ndarray:
    """(N, 4, L) float32 one-hot of equal-length sequences (str, a list of str, (N, L) codes 0..4,
    or one-hot (N, 4, L) already); N is an all-zero column."""
    if isinstance(sequences, np.ndarray) and sequences.ndim == 3 and sequences.shape[1] == 4:
        return np.ascontiguousarray(sequences, np.float32)
    codes = code_rows(sequences)
    eye = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
    return np.ascontiguousarray(eye[codes].transpose(0, 2, 1))
