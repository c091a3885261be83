"""How alike two seqlets are: TF-MoDISco's continuous Jaccard similarity over aligned windows, both
strands and every offset, computed by the compiled engine for a sparse set of candidate pairs that
a coarse, strand-free k-mer embedding proposes.

Conventions: alphabet ACGT; one-hot and attribution arrays are (N, 4, L); a seqlet window is
``[start, start + width)`` of its sequence (0-based, half-open), read on strand ``+`` or as the
reverse complement (``-``: positions reversed, A<->T, C<->G); positions outside the sequence read
as zeros. A window's *tracks* are (width, 8) float32: its hypothetical contributions (4 channels)
then its contributions (the hypothetical ones times the one-hot, 4 channels), each 4-channel track
divided by its sum of absolute values (an all-zero track stays zero).

The similarity of candidate x and row y at offset o (x's position j on y's position j + o; y is
zero outside its window) is::

    sum min(|x|, |y|) sgn(x) sgn(y) / sum max(|x|, |y|)

over x's positions and the 8 channels, the best over offsets ``|o| <= max_shift`` and both strands
of x. The engine sums in integers (the tracks quantized to int16 on one scale for all windows, so
the largest magnitude is 32767), which makes every backend, instruction set and thread count give
the same numbers; the quantization moves a score by about 1e-4 at most.
"""

from __future__ import annotations

import numpy as np

from exactpwm._engine import engine
from exactpwm.core._checks import resolve_threads

__all__ = ["windows", "tracks", "quantize", "continuous_jaccard", "kmer_embedding", "coarse_neighbors"]

_QMAX = 32767
_COMPLEMENT = np.array([3, 2, 1, 0])


def windows(array: np.ndarray, sequence: np.ndarray, start: np.ndarray, width: int,
            minus: np.ndarray | None = None) -> np.ndarray:
    """(S, width, 4) float32: ``array`` (N, 4, L) at ``[start, start + width)`` of row ``sequence``,
    the reverse complement where ``minus`` is true; positions outside ``[0, L)`` are zeros."""
    arr = np.asarray(array)
    N, _, L = arr.shape
    sequence = np.asarray(sequence, np.int64)
    start = np.asarray(start, np.int64)
    pos = start[:, None] + np.arange(width)  # (S, W)
    inside = (pos >= 0) & (pos < L)
    out = arr[sequence[:, None], :, np.clip(pos, 0, L - 1)].astype(np.float32)  # (S, W, 4)
    out[~inside] = 0
    if minus is not None:
        m = np.asarray(minus, bool)
        out[m] = out[m][:, ::-1, ::-1]
    return out


def tracks(hypothetical: np.ndarray, one_hot: np.ndarray | None = None, *,
           contributions: np.ndarray | None = None) -> np.ndarray:
    """(S, W, 8) float32 tracks of windows (S, W, 4) of hypothetical contributions and of their
    contributions (given, or the hypothetical ones times ``one_hot``): each 4-channel half divided
    by its sum of absolute values."""
    hyp = np.asarray(hypothetical, np.float32)
    if contributions is None:
        if one_hot is None:
            raise ValueError("tracks need one_hot or contributions")
        contributions = hyp * np.asarray(one_hot, np.float32)
    out = np.concatenate([hyp, np.asarray(contributions, np.float32)], axis=2)
    for half in (slice(0, 4), slice(4, 8)):
        norm = np.abs(out[:, :, half]).sum(axis=(1, 2))
        norm[norm == 0] = 1
        out[:, :, half] /= norm[:, None, None]
    return out


def quantize(*arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays as int16 on one shared scale (the largest magnitude among them becomes 32767)."""
    top = max((float(np.abs(a).max()) if a.size else 0.0) for a in arrays)
    scale = _QMAX / top if top > 0 else 1.0
    return [np.ascontiguousarray(np.rint(np.asarray(a, np.float64) * scale), np.int16) for a in arrays]


def _reverse(t: np.ndarray) -> np.ndarray:
    """Tracks of the reverse complement: positions reversed, and each 4-channel half's ACGT reversed."""
    r = t[:, ::-1, :].copy()
    C = t.shape[2]
    for h in range(0, C, 4):
        r[:, :, h:h + 4] = r[:, :, h:h + 4][:, :, ::-1]
    return np.ascontiguousarray(r)


def continuous_jaccard(a: np.ndarray, b: np.ndarray | None = None, neighbors: np.ndarray | None = None, *,
                       max_shift: int = 0, threads: int = 0,
                       backend: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best continuous Jaccard similarity of each row of ``b`` with its candidates in ``a``.

    Parameters
    ----------
    a : (n_a, W, C) float tracks (C a multiple of 4, see :func:`tracks`); candidates, read on both strands
    b : (n_b, W, C) float tracks, the rows compared (default ``a``)
    neighbors : (n_b, k) integer rows of ``a`` (-1: none); default every row of ``a`` for every row of b
    max_shift : the largest offset tried either way, in positions (< W)

    Returns
    -------
    best : (n_b, k) float32, NaN where the neighbour is -1
    offset : (n_b, k) int32, where the candidate's first position lies on the row
    strand : (n_b, k) uint8, 1 where the candidate's reverse complement scored best

    Results do not depend on ``threads`` or ``backend`` (integer sums; see the module notes).
    """
    a = np.asarray(a, np.float32)
    b = a if b is None else np.asarray(b, np.float32)
    if a.ndim != 3 or b.ndim != 3 or a.shape[1:] != b.shape[1:] or a.shape[2] % 4:
        raise ValueError(f"tracks must be (n, W, C) with one W and C (a multiple of 4), got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("tracks hold NaN or infinite values")
    W = a.shape[1]
    if not 0 <= int(max_shift) < W:
        raise ValueError(f"max_shift must be in [0, {W}), got {max_shift}")
    if neighbors is None:
        neighbors = np.broadcast_to(np.arange(a.shape[0], dtype=np.int32), (b.shape[0], a.shape[0]))
    nbrs = np.ascontiguousarray(neighbors, np.int32)
    if nbrs.ndim != 2 or nbrs.shape[0] != b.shape[0]:
        raise ValueError(f"neighbors must be (n_b, k) = ({b.shape[0]}, k), got {nbrs.shape}")
    if nbrs.size and (nbrs.min() < -1 or nbrs.max() >= a.shape[0]):
        raise ValueError(f"neighbors must be rows of a (0..{a.shape[0] - 1}) or -1")
    if b is a:
        qa, qr = quantize(a, _reverse(a))
        qb = qa
    else:
        qa, qr, qb = quantize(a, _reverse(a), b)
    k = nbrs.shape[1]
    best = np.empty((b.shape[0], k), np.float32)
    offset = np.empty((b.shape[0], k), np.int32)
    strand = np.empty((b.shape[0], k), np.uint8)
    engine(backend).seqlet_jaccard(qa, qr, qb, nbrs, int(max_shift), best, offset, strand, resolve_threads(threads))
    return best, offset, strand


def kmer_embedding(one_hot: np.ndarray, contributions: np.ndarray, k: int = 4) -> np.ndarray:
    """(S, n) float32 unit rows: each window's k-mers (both strands folded into one canonical k-mer),
    weighted by the positive part of their summed contributions. ``one_hot`` and ``contributions``
    are (S, W, 4) windows (contributions already signed so that the seqlet's own sign is positive);
    k-mers over N or padding are left out."""
    oh = np.asarray(one_hot)
    S, W, _ = oh.shape
    letters = oh.argmax(axis=2)
    valid = oh.sum(axis=2) > 0
    per_base = np.asarray(contributions, np.float64).sum(axis=2)
    n = W - k + 1
    code = np.zeros((S, n), np.int64)
    rc = np.zeros((S, n), np.int64)
    ok = np.ones((S, n), bool)
    weight = np.zeros((S, n))
    for i in range(k):
        code = code * 4 + letters[:, i:i + n]
        rc = rc + _COMPLEMENT[letters[:, i:i + n]] * 4 ** i
        ok &= valid[:, i:i + n]
        weight += per_base[:, i:i + n]
    canon = np.minimum(code, rc)
    _, index = np.unique(np.minimum(np.arange(4 ** k), _rc_codes(k)), return_inverse=True)
    dims = int(index.max()) + 1
    flat = np.arange(S)[:, None] * dims + index[canon]
    w = np.where(ok, np.maximum(weight, 0.0), 0.0)
    emb = np.bincount(flat.ravel(), weights=w.ravel(), minlength=S * dims).reshape(S, dims)
    norm = np.linalg.norm(emb, axis=1)
    norm[norm == 0] = 1
    return (emb / norm[:, None]).astype(np.float32)


def _rc_codes(k: int) -> np.ndarray:
    codes = np.arange(4 ** k)
    rc = np.zeros_like(codes)
    x = codes.copy()
    for _ in range(k):
        rc = rc * 4 + _COMPLEMENT[x % 4]
        x //= 4
    return rc


def coarse_neighbors(embedding: np.ndarray, k: int, *, block: int | None = None) -> np.ndarray:
    """(S, min(k, S - 1)) int32: each row's nearest rows by cosine similarity of the embedding
    (itself left out), most similar first (ties: the lower index; similarities rounded to 1e-5 so
    that the threads of the matrix product cannot reorder them). Dense products in blocks of rows
    (default: about 2 million similarities at a time, some 40 MB)."""
    E = np.ascontiguousarray(embedding, np.float32)
    S = E.shape[0]
    k = min(int(k), S - 1)
    out = np.empty((S, max(k, 0)), np.int32)
    if k <= 0:
        return out
    step = int(block) if block else max(16, 2_000_000 // max(S, 1))
    for lo in range(0, S, step):
        hi = min(S, lo + step)
        sim = E[lo:hi] @ E.T
        np.round(sim, 5, out=sim)  # the last bits of a BLAS product may follow the threads
        np.negative(sim, out=sim)
        sim[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        part = np.argpartition(sim, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sim, part, axis=1)
        order = np.lexsort((part, vals), axis=1)
        out[lo:hi] = np.take_along_axis(part, order, axis=1)
    return out
