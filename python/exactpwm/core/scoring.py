"""Scoring sequences with kernels: dense convolution and global max pooling.

Conventions
-----------
* Sequences: letters (str/bytes) or uint8 codes from :func:`exactpwm.encode`
  (A=0, C=1, G=2, T=3, N=4). N contributes 0 to a window score, exactly as an
  all-zero one-hot column does in a framework's convolution.
* Kernels: (K, 4, L) or (4, L), rows A, C, G, T, applied by cross-correlation
  (what ``torch.nn.functional.conv1d`` computes).
* Windows: window j covers positions [j, j + L) (0-based, half-open), for
  j = 0 .. n - L. A sequence shorter than L has no windows.
* Strands: ``strand="+"`` scores the given strand; ``"-"`` scores the reverse
  complement of each window, reported at the same forward position j (so
  ``minus[k, j] == plus-score of reverse_complement(x)[n - L - j]``);
  ``"both"`` returns both, plus first, along an extra strand axis.
* dtype: float32 kernels compute in float32, anything else in float64, unless
  ``dtype=`` says otherwise.
* ``threads=0`` uses all cores; the GIL is released while the engine runs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from exactpwm._engine import engine as _engine
from exactpwm.core._checks import as_bias, as_kernels, resolve_threads
from exactpwm.core.errors import InputTypeError
from exactpwm.core.sequence import check_codes, encode, pack
from exactpwm.core.transform import reverse_complement_kernels
from exactpwm.core.types import ArrayLike, Sequences, Strand

__all__ = ["conv1d", "max_scores", "MaxScores", "threshold_hits", "WindowHits", "score_table"]

STRANDS = ("+", "-", "both")


def resolve_dtype(dtype, kernels: np.ndarray):
    if dtype is None:
        return np.float32 if kernels.dtype == np.float32 else np.float64
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise InputTypeError(f"dtype must be float32 or float64, got {dt}")
    return dt.type


def score_table(kernels: np.ndarray, strand: str, dtype) -> np.ndarray:
    """Engine table (K', L, 8) for (K, 4, L) kernels: [k, l, c] = W[k, c, l], c = 4..7 -> 0.

    K' = K for one strand, 2K for ``"both"`` (plus-strand kernels first; the
    minus strand uses reverse-complemented kernels on the forward windows).
    """
    if strand not in STRANDS:
        raise ValueError(f"strand must be one of {STRANDS}, got {strand!r}")
    if strand == "-":
        kernels = reverse_complement_kernels(kernels)
    elif strand == "both":
        kernels = np.concatenate([kernels, reverse_complement_kernels(kernels)])
    K, _, L = kernels.shape
    table = np.zeros((K, L, 8), dtype=dtype)
    table[:, :, :4] = kernels.transpose(0, 2, 1)
    limit = np.finfo(dtype).max / max(L, 1)
    if np.abs(table).max(initial=0.0) > limit:
        raise ValueError(f"kernel weights are too large to sum over {L} positions in {np.dtype(dtype).name}")
    return table


class _Prepared(NamedTuple):
    """Checked inputs of an engine call: K kernels become a (K', L, 8) table."""

    K: int
    dtype: type
    table: np.ndarray  # (K', L, 8), K' = 2K for strand "both"
    bias: np.ndarray  # (K',)


def _prepare(kernels, bias, strand: str, dtype) -> _Prepared:
    W, _ = as_kernels(kernels)
    dt = resolve_dtype(dtype, W)
    table = score_table(W, strand, dt)
    b = as_bias(bias, W.shape[0], dt)
    return _Prepared(W.shape[0], dt, table, np.concatenate([b, b]) if strand == "both" else b)


def _as_code_rows(seqs) -> tuple[np.ndarray, bool]:
    """(B, n) uint8 codes and whether the input was one sequence."""
    if isinstance(seqs, (str, bytes, bytearray, memoryview)):
        return encode(seqs)[None, :], True
    if isinstance(seqs, np.ndarray):
        codes = check_codes(seqs)
        if codes.ndim == 1:
            return codes[None, :], True
        if codes.ndim == 2:
            return codes, False
        raise ValueError(f"encoded sequences must be 1-D (n,) or 2-D (B, n); got shape {codes.shape}")
    if isinstance(seqs, (list, tuple)):
        rows = [encode(s) if not isinstance(s, np.ndarray) else check_codes(s) for s in seqs]
        lengths = {r.shape for r in rows}
        if len(lengths) > 1:
            raise ValueError("conv1d needs sequences of equal length; use max_scores for ragged batches")
        return (np.stack(rows) if rows else np.zeros((0, 0), np.uint8)), False
    raise InputTypeError(f"sequences must be str, bytes, a code array or a list of them; got {type(seqs).__name__}")


def conv1d(
    seqs: Sequences,
    kernels: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strand: Strand = "+",
    dtype: npt.DTypeLike | None = None,
    out: np.ndarray | None = None,
    threads: int = 0,
    backend: str = "auto",
) -> np.ndarray:
    """'valid' cross-correlation of one-hot sequences with kernels.

    Equals ``torch.nn.functional.conv1d(one_hot(x), kernels, bias)`` (N columns are zero).

    Parameters
    ----------
    seqs : str | bytes | uint8 array (n,) or (B, n) | list of equal-length sequences
    kernels : (K, 4, L) or (4, L) array, rows A, C, G, T
    bias : scalar or (K,), optional
    strand : "+", "-" or "both" (see module docstring)
    dtype : float32 or float64 (default: float32 iff kernels are float32)
    out : optional C-contiguous array of the result's shape and dtype, written in place
    threads : 0 = all cores
    backend : "auto", "cpp", "cpp-scalar", "cpp-avx2", "cpp-avx512" or "numba"

    Returns
    -------
    scores : (K, m) for one sequence, (B, K, m) for a batch, m = max(n - L + 1, 0);
        ``strand="both"`` inserts a strand axis of size 2 before K: (2, K, m) / (B, 2, K, m).
        With a single (4, L) kernel, the K axis is kept (size 1).
    """
    _, dt, table, b = _prepare(kernels, bias, strand, dtype)
    codes, single = _as_code_rows(seqs)
    eng = _engine(backend)
    nthreads = resolve_threads(threads)
    B, n = codes.shape
    K2, L, _ = table.shape
    m = max(n - L + 1, 0)
    shape: tuple[int, ...] = (B, 2, K2 // 2, m) if strand == "both" else (B, K2, m)
    if single:
        shape = shape[1:]
    if out is None:
        out = np.empty(shape, dtype=dt)
    elif not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != dt or not out.flags.c_contiguous:
        got = (getattr(out, "shape", None), getattr(out, "dtype", None))
        raise ValueError(f"out must be a C-contiguous {np.dtype(dt).name} array of shape {shape}; got {got}")
    elif not out.flags.writeable:
        raise ValueError("out must be writeable")
    if m == 0 or B == 0 or K2 == 0:
        return out
    eng.dense_scores(codes, table, b, out.reshape(B, K2, m), nthreads)
    return out


class MaxScores(NamedTuple):
    """Result of :func:`max_scores`; all arrays (S, K).

    Attributes
    ----------
    score : (S, K) float32 or float64
        The maximum window score (-inf where the sequence is shorter than L).
    start : (S, K) int64
        Start of the best window, 0-based on the forward strand (-1 if none); the same name as
        :class:`exactpwm.SequenceMaxima` (``position`` is its deprecated old name).
    strand : (S, K) int8
        +1 or -1, the strand of the best window (0 if none).
    """

    score: np.ndarray
    start: np.ndarray
    strand: np.ndarray

    @property
    def position(self) -> np.ndarray:
        """Deprecated old name of :attr:`start`."""
        import warnings

        warnings.warn("MaxScores.position is now MaxScores.start", DeprecationWarning, stacklevel=2)
        return self.start


def max_scores(
    sequences: Sequences,
    kernels: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strand: Strand = "+",
    skip_n: bool = False,
    dtype: npt.DTypeLike | None = None,
    pairs: tuple[ArrayLike, ArrayLike] | None = None,
    threads: int = 0,
    backend: str = "auto",
) -> MaxScores:
    """Global max pooling of kernel scores over many sequences of any lengths.

    Parameters
    ----------
    sequences : str (one sequence) | list of str/bytes/code arrays | (S, n) uint8 array
        | a ``(codes, offsets)`` pair from :func:`exactpwm.pack`
    kernels, bias, dtype, threads, backend : as in :func:`conv1d`
    strand : "+", "-" or "both"; with "both" the better strand wins, "+" on ties
    skip_n : if True, windows containing N are never the best (as in scans); a
        sequence whose every window holds N gets -inf and position -1
    pairs : None, or (seqs, kernels), two (P,) integer arrays
        Only these (sequence, kernel) pairs are computed (sparse max pooling): the results are
        (P,) and equal, bit for bit, the dense results at ``[seqs, kernels]``.

    Returns
    -------
    MaxScores(score (S, K), start (S, K) int64, strand (S, K) int8); each (P,) with ``pairs``.
    Ties within a strand keep the smallest start. N counts 0, as in :func:`conv1d`.
    """
    K, dt, table, b = _prepare(kernels, bias, strand, dtype)
    codes, offsets = as_packed(sequences)
    eng = _engine(backend)
    nthreads = resolve_threads(threads)
    S, K2 = offsets.size - 1, table.shape[0]
    if pairs is None:
        best: np.ndarray = np.empty((S, K2), dtype=dt)
        pos: np.ndarray = np.empty((S, K2), dtype=np.int64)
        if S and K2:
            eng.max_scores(codes, offsets, table, b, best, pos, nthreads, skip_n)
    else:
        seqs, kern = (np.ascontiguousarray(x, dtype=np.int64).ravel() for x in pairs)
        if seqs.shape != kern.shape:
            raise ValueError(f"pairs must be two arrays of one length; got {seqs.size} and {kern.size}")
        if seqs.size and (seqs.min() < 0 or seqs.max() >= S or kern.min() < 0 or kern.max() >= K):
            raise ValueError(f"pairs must name sequences in [0, {S}) and kernels in [0, {K})")
        if strand == "both":  # the reverse-complement kernels are rows K..2K-1 of the table
            seqs, kern = np.concatenate([seqs, seqs]), np.concatenate([kern, kern + K])
        best = np.empty(seqs.size, dtype=dt)
        pos = np.empty(seqs.size, dtype=np.int64)
        if seqs.size:
            eng.max_scores_pairs(codes, offsets, table, b, seqs, kern, best, pos, nthreads, skip_n)
        half = seqs.size // 2
        best, pos = (best.reshape(2, half).T, pos.reshape(2, half).T) if strand == "both" else (best, pos)
        K = 1
    found = pos >= 0
    if strand != "both":
        sign = found.view(np.int8).copy()  # 1 where found, else 0
        return MaxScores(best, pos, -sign if strand == "-" else sign)
    plus, minus = best[..., :K], best[..., K:]
    take_minus = (minus > plus) | (~found[..., :K] & found[..., K:])
    score = np.where(take_minus, minus, plus)
    position = np.where(take_minus, pos[..., K:], pos[..., :K])
    strands = found[..., :K].astype(np.int8)
    strands[take_minus] = -1
    if pairs is not None:
        score, position, strands = score[:, 0], position[:, 0], strands[:, 0]
    return MaxScores(score, position, strands)


class WindowHits(NamedTuple):
    """Result of :func:`threshold_hits`; all arrays (H,), ordered by sequence, start,
    strand ('+' first) and motif.

    sequence : int64 index of the sequence
    start : int64 window start, 0-based on the forward strand (the window is [start, start + L))
    motif : int32 index of the kernel (or score matrix), as in every result table (``kernel`` is
    its deprecated old name)
    strand : int8, +1 or -1
    score : the window's score (bias included)
    """

    sequence: np.ndarray
    start: np.ndarray
    motif: np.ndarray
    strand: np.ndarray
    score: np.ndarray

    @property
    def kernel(self) -> np.ndarray:
        """Deprecated old name of :attr:`motif`."""
        import warnings

        warnings.warn("WindowHits.kernel is renamed WindowHits.motif (one name for the index in every result)",
                      DeprecationWarning, stacklevel=2)
        return self.motif

    def to_pandas(self) -> Any:
        """A DataFrame with the table vocabulary: sequence, start, motif, strand ('+'/'-'), score."""
        from exactpwm.core._checks import optional_import

        pd = optional_import("pandas", "tables", "WindowHits.to_pandas")
        return pd.DataFrame({"sequence": self.sequence, "start": self.start, "motif": self.motif,
                             "strand": np.where(self.strand > 0, "+", "-"), "score": self.score})


def threshold_hits(
    sequences: Sequences,
    kernels: ArrayLike,
    thresholds: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strand: Strand = "+",
    skip_n: bool = False,
    dtype: npt.DTypeLike | None = None,
    threads: int = 0,
    backend: str = "auto",
) -> WindowHits:
    """Every window whose score reaches a per-kernel threshold, without materialising scores.

    Parameters
    ----------
    sequences : as in :func:`max_scores` (list, (S, n) array, (codes, offsets) pair, or one str)
    kernels : (K, 4, L) or (4, L)
    thresholds : scalar or (K,); a window is a hit when score >= threshold
    bias, strand, dtype, threads, backend : as in :func:`conv1d`
    skip_n : if True, windows containing N are never hits (as FIMO and MOODS do);
        if False, N counts 0 as in :func:`conv1d`

    Returns
    -------
    WindowHits(sequence, start, motif, strand, score). The order does not depend on
    threads or backend.
    """
    prepared = prepare_threshold(kernels, thresholds, bias, strand, dtype)
    codes, offsets = as_packed(sequences)
    return run_threshold(codes, offsets, prepared, strand, skip_n, threads, backend)


class _ThresholdInputs(NamedTuple):
    """Engine inputs of a threshold scan: the prepared table and per-row thresholds."""

    prepared: _Prepared
    thresholds: np.ndarray  # (K',) in the score dtype, rounded up


def prepare_threshold(kernels, thresholds, bias=None, strand: str = "+", dtype=None) -> _ThresholdInputs:
    """Check and convert what :func:`threshold_hits` needs besides the sequences (reusable)."""
    prepared = _prepare(kernels, bias, strand, dtype)
    K = prepared.K
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.ndim == 0:
        thr = np.full(K, float(thr))
    if thr.shape != (K,) or np.isnan(thr).any():
        raise ValueError(f"thresholds must be a number or have shape ({K},) without NaN; got shape {thr.shape}")
    thr = round_thresholds_up(thr, prepared.dtype)
    return _ThresholdInputs(prepared, np.concatenate([thr, thr]) if strand == "both" else thr)


def run_threshold(codes: np.ndarray, offsets: np.ndarray, inputs: _ThresholdInputs, strand: str, skip_n: bool,
                  threads: int, backend: str) -> WindowHits:
    """:func:`threshold_hits` on checked (codes, offsets) and :func:`prepare_threshold` inputs."""
    K, _, table, b = inputs.prepared
    thr = inputs.thresholds
    seq, pos, kern, score = _engine(backend).threshold_hits(codes, offsets, table, b, thr, skip_n,
                                                             resolve_threads(threads))
    if strand == "both":
        sign = np.where(kern < K, 1, -1).astype(np.int8)
        kern = (kern % K).astype(np.int32)
    else:
        sign = np.full(kern.size, -1 if strand == "-" else 1, dtype=np.int8)
    return WindowHits(seq, pos, kern, sign, score)


def round_thresholds_up(thr: np.ndarray, dtype) -> np.ndarray:
    """Thresholds in the score dtype, rounded up so that score >= thr means the same in float64."""
    t = thr.astype(dtype)
    low = t.astype(np.float64) < thr
    t[low] = np.nextafter(t[low], dtype(np.inf))
    return t


def as_packed(sequences) -> tuple[np.ndarray, np.ndarray]:
    """(codes, offsets) from any accepted form of a set of sequences."""
    if isinstance(sequences, tuple) and len(sequences) == 2 and all(isinstance(a, np.ndarray) for a in sequences):
        codes, offsets = check_codes(sequences[0]), np.ascontiguousarray(sequences[1], dtype=np.int64)
        if codes.ndim != 1 or offsets.ndim != 1 or offsets.size < 1 or (np.diff(offsets) < 0).any() \
                or offsets[0] < 0 or offsets[-1] > codes.size:
            raise ValueError("a (codes, offsets) pair needs 1-D codes and non-decreasing offsets within them")
        return codes, offsets
    return pack(sequences)
