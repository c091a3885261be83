"""Slow, obviously-correct numpy references. For tests only."""

from __future__ import annotations

import numpy as np

ONE_HOT = np.vstack([np.eye(4), np.zeros((1, 4))])  # code 4 (N) -> zero column


def one_hot(codes: np.ndarray) -> np.ndarray:
    """(4, n) float64."""
    return ONE_HOT[codes].T


def revcomp(codes: np.ndarray) -> np.ndarray:
    return np.array([3, 2, 1, 0, 4], dtype=np.uint8)[codes[::-1]]


def cross_correlation(codes: np.ndarray, kernels: np.ndarray, bias=None) -> np.ndarray:
    """(K, n - L + 1): out[k, j] = sum_{c, l} W[k, c, l] * X[c, j + l] (+ bias[k])."""
    X = one_hot(codes)
    K, _, L = kernels.shape
    m = max(codes.size - L + 1, 0)
    out = np.zeros((K, m))
    for j in range(m):
        out[:, j] = np.einsum("kcl,cl->k", kernels.astype(np.float64), X[:, j:j + L])
    if bias is not None:
        out += np.asarray(bias, dtype=np.float64)[:, None]
    return out


def true_convolution(codes: np.ndarray, kernels: np.ndarray) -> np.ndarray:
    """The paper's convolution (kernel reversed), via np.convolve, (K, n - L + 1)."""
    X = one_hot(codes)
    return np.array([sum(np.convolve(X[c], W[c], mode="valid") for c in range(4)) for W in kernels])


def log_likelihood(codes: np.ndarray, pwm: np.ndarray, base: float) -> np.ndarray:
    """(K, n - L + 1): log_base of prod_l pwm[k, x[j + l], l] (codes must be 0..3)."""
    assert codes.max(initial=0) < 4
    K, _, L = pwm.shape
    m = codes.size - L + 1
    out = np.empty((K, m))
    for j in range(m):
        window = codes[j:j + L]
        probs = pwm[:, window, np.arange(L)]  # (K, L)
        out[:, j] = np.log(probs).sum(axis=1) / np.log(base)
    return out


def max_pool(codes: np.ndarray, kernels: np.ndarray, bias=None, strand: str = "+"):
    """(score, position, strand) for one sequence, each (K,), from cross_correlation."""
    K, _, L = kernels.shape
    if codes.size < L:
        return np.full(K, -np.inf), np.full(K, -1), np.zeros(K, int)
    plus = cross_correlation(codes, kernels, bias)
    minus = cross_correlation(revcomp(codes), kernels, bias)[:, ::-1]
    if strand == "+":
        return plus.max(1), plus.argmax(1), np.ones(K, int)
    if strand == "-":
        return minus.max(1), minus.argmax(1), -np.ones(K, int)
    use_minus = minus.max(1) > plus.max(1)
    score = np.where(use_minus, minus.max(1), plus.max(1))
    pos = np.where(use_minus, minus.argmax(1), plus.argmax(1))
    return score, pos, np.where(use_minus, -1, 1)


def scan_hits(matrices, seqs, thresholds, strand="both"):
    """Brute-force hits: (sequence, start, strand, motif, score) for every N-free window
    whose score (summed in float64) reaches the motif's threshold; sorted like a HitTable."""
    rows = []
    for s, x in enumerate(seqs):
        for k, M in enumerate(matrices):
            L = M.shape[1]
            rc = M[::-1, ::-1]
            for j in range(x.size - L + 1):
                w = x[j:j + L]
                if (w >= 4).any():
                    continue
                for sign, mat in ((1, M), (-1, rc)):
                    if (strand == "+" and sign < 0) or (strand == "-" and sign > 0):
                        continue
                    sc = float(mat[w, np.arange(L)].sum())
                    if sc >= thresholds[k]:
                        rows.append((s, j, sign, k, sc))
    rows.sort(key=lambda r: (r[0], r[1], -r[2], r[3]))
    return rows
