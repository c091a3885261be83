"""In-silico saturation mutagenesis: what every single-base substitution does to a model's output.

* :func:`first_layer_ism`: through a first convolution layer with global max pooling (each
  kernel's maximum activation, the quantity DeepBind-style models read), computed
  incrementally: a substitution at position i changes only the L windows that hold i, so each
  edit costs O(L) per kernel, with the best of the other windows taken from prefix and suffix
  maxima, instead of rescoring the sequence.
* :func:`saturation_mutagenesis`: the same for any PyTorch model, by running every edited
  sequence through it in batches (the reference for the first).

Layout as tangermeme's ``saturation_mutagenesis(..., raw_outputs=True)``: ``y0`` (N, K) for the
sequences as given, ``y`` (N, 4, n, K) for each sequence with base b (rows A, C, G, T) at
position i; the entry of the base already there equals ``y0``. Kernels are applied by
cross-correlation (PyTorch's Conv1d); N in a sequence is a zero column.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core._checks import to_numpy
from exactpwm.core.types import ArrayLike

__all__ = ["first_layer_ism", "saturation_mutagenesis"]


def _codes(sequences) -> np.ndarray:
    """(N, n) uint8 codes from equal-length strings, a code array, or a one-hot (N, 4, n) array."""
    from exactpwm.core.sequence import encode

    if isinstance(sequences, str):
        sequences = [sequences]
    if isinstance(sequences, (list, tuple)):
        rows = [encode(s) for s in sequences]
        if len({r.size for r in rows}) > 1:
            raise ValueError("saturation mutagenesis needs sequences of one length")
        return np.stack(rows) if rows else np.zeros((0, 0), np.uint8)
    x = to_numpy(sequences, "sequences")
    if x.ndim == 3:  # one-hot (N, 4, n): an all-zero column is N
        if x.shape[1] != 4:
            raise ValueError(f"one-hot sequences must have shape (N, 4, n), got {x.shape}")
        return np.where(x.sum(axis=1) > 0, x.argmax(axis=1), 4).astype(np.uint8)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.dtype != np.uint8 or (x > 4).any():
        raise ValueError("sequences must be strings, (N, n) uint8 codes 0..4, or one-hot (N, 4, n)")
    return x


def first_layer_ism(kernels: ArrayLike, sequences: Any, bias: ArrayLike | None = None, *,
                    threads: int = 0, backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Every substitution's effect on each kernel's maximum activation (global max pooling).

    Parameters
    ----------
    kernels : (K, 4, L) array or tensor
        A Conv1d weight (rows A, C, G, T; cross-correlation).
    sequences : list of equal-length str, (N, n) uint8 codes, or one-hot (N, 4, n)
    bias : (K,) or None
    threads, backend : as in :func:`exactpwm.conv1d` (the reference activations)

    Returns
    -------
    y0 : (N, K) float64
        max over windows of the activation, for each sequence as given.
    y : (N, 4, n, K) float64
        The same with base b at position i (y[:, b, i] == y0 where b is the base already there).
        Equal to recomputing each edited sequence, up to float64 rounding.
    """
    from exactpwm.core.scoring import conv1d

    W = to_numpy(kernels, "kernels").astype(np.float64)
    if W.ndim == 2:
        W = W[None]
    if W.ndim != 3 or W.shape[1] != 4:
        raise ValueError(f"kernels must have shape (K, 4, L), got {W.shape}")
    K, _, L = W.shape
    X = _codes(sequences)
    N, n = X.shape
    if n < L:
        raise ValueError(f"sequences of length {n} are shorter than the kernels ({L})")
    b = np.zeros(K) if bias is None else np.broadcast_to(to_numpy(bias, "bias").astype(np.float64), (K,))
    m = n - L + 1
    Wz = np.concatenate([W, np.zeros((K, 1, L))], axis=1)  # code 4 (N) is a zero column
    j = np.arange(L)
    t = np.arange(n)[:, None] - j[None, :]  # (n, L): the window holding position i at column j
    valid = (t >= 0) & (t < m)
    tc = np.clip(t, 0, m - 1)
    lo, hi = np.clip(np.arange(n) - L + 1, 0, m), np.minimum(np.arange(n), m - 1)  # windows holding i
    y0 = np.empty((N, K))
    y = np.empty((N, 4, n, K))
    scores = conv1d(X, W, b, dtype=np.float64, threads=threads, backend=backend)  # (N, K, m)
    # per position i and column j: the window i - j, flattened for one gather (a window past the
    # ends reads a -inf slot)
    slot = np.where(valid, tc, m).ravel()
    Wt = np.ascontiguousarray(Wz.transpose(1, 2, 0))  # (5, L, K): a base's weight at each column, per kernel
    WtK = np.ascontiguousarray(W.transpose(1, 2, 0))  # (4, L, K)
    work = np.empty((n, L, K))
    best = np.empty((n, K))
    for s in range(N):
        sc = np.concatenate([scores[s].T, np.full((1, K), -np.inf)])  # (m + 1, K)
        y0[s] = sc[:m].max(axis=0)
        prefix = np.concatenate([np.full((1, K), -np.inf), np.maximum.accumulate(sc[:m], axis=0)])  # max t < c
        suffix = np.concatenate([np.maximum.accumulate(sc[:m][::-1], axis=0)[::-1], np.full((1, K), -np.inf)])
        others = np.maximum(prefix[lo], suffix[hi + 1])  # (n, K): the windows without position i
        # the windows holding i, less the weight of the base there: (n, L, K)
        held = sc[slot].reshape(n, L, K) - Wt[X[s][:, None], j[None, :]]
        for base in range(4):
            np.add(held, WtK[base][None], out=work)
            work.max(axis=1, out=best)
            np.maximum(others, best, out=y[s, base])
    return y0, y


def saturation_mutagenesis(model: Any, sequences: Any, *, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Every substitution's effect on any PyTorch model's output, by running each edited sequence.

    model : a torch module taking one-hot (B, 4, n) float tensors and returning (B, K)
    sequences : as in :func:`first_layer_ism`
    batch_size : edited sequences per forward pass

    Returns (y0 (N, K), y (N, 4, n, K)) float64, as :func:`first_layer_ism`.
    """
    import torch

    X = _codes(sequences)
    N, n = X.shape
    eye = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
    param = next(iter(model.parameters()), None)
    dtype = param.dtype if param is not None else torch.float32

    def run(codes: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for a in range(0, len(codes), batch_size):
                x = torch.from_numpy(eye[codes[a:a + batch_size]].transpose(0, 2, 1).copy()).to(dtype)
                out.append(model(x).reshape(x.shape[0], -1).double().numpy())
        return np.concatenate(out)

    y0 = run(X)
    K = y0.shape[1]
    y = np.empty((N, 4, n, K))
    pos = np.repeat(np.arange(n), 4)
    base = np.tile(np.arange(4), n)
    for s in range(N):
        edits = np.repeat(X[s][None], 4 * n, axis=0)
        edits[np.arange(4 * n), pos] = base
        y[s] = run(edits).reshape(n, 4, K).transpose(1, 0, 2)
    return y0, y
