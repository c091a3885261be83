"""numba-jitted fallbacks of the compiled engine (cpp/src/scores.cpp).

Same arguments as ``exactpwm._core.dense_scores`` / ``max_scores`` (minus
``threads`` and ``isa``), and the same summation order, so results agree with the
compiled core. Imported lazily: importing numba costs time.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_BLOCK = 1024


@nb.njit(cache=True, parallel=True, nogil=True)
def dense_scores(codes, table, bias, out):  # pragma: no cover - jitted
    """codes (B, n) uint8, table (K, L, 8), bias (K,), out (B, K, n - L + 1)."""
    B, n = codes.shape
    K, L, _ = table.shape
    m = n - L + 1
    nblk = (m + _BLOCK - 1) // _BLOCK
    for t in nb.prange(B * nblk):
        b = t // nblk
        j0 = (t % nblk) * _BLOCK
        j1 = min(m, j0 + _BLOCK)
        for k in range(K):
            for j in range(j0, j1):
                out[b, k, j] = 0
            for l in range(L):
                for j in range(j0, j1):
                    out[b, k, j] += table[k, l, codes[b, j + l] & 7]
            for j in range(j0, j1):
                out[b, k, j] += bias[k]


@nb.njit(cache=True, parallel=True, nogil=True)
def max_scores(codes, offsets, table, bias, out_max, out_pos):  # pragma: no cover - jitted
    """codes (N,) uint8, offsets (S+1,) int64, table (K, L, 8), bias (K,), out_max/out_pos (S, K)."""
    S = offsets.size - 1
    K, L, _ = table.shape
    for s in nb.prange(S):
        start = offsets[s]
        m = offsets[s + 1] - start - L + 1
        buf = np.empty(_BLOCK, dtype=table.dtype)
        for k in range(K):
            best = -np.inf
            pos = -1
            for j0 in range(0, max(m, 0), _BLOCK):
                nw = min(_BLOCK, m - j0)
                for j in range(nw):
                    buf[j] = 0
                for l in range(L):
                    for j in range(nw):
                        buf[j] += table[k, l, codes[start + j0 + j + l] & 7]
                for j in range(nw):
                    buf[j] += bias[k]
                    if buf[j] > best or pos < 0:
                        best = buf[j]
                        pos = j0 + j
            out_max[s, k] = best
            out_pos[s, k] = pos
