"""Maximum-likelihood choice of the logarithm base b (Ding et al., Eq. 2).

For a model conv -> (ReLU or linear) -> global max pool -> dense, the window
j*(s, t) that kernel t picks in sequence s is the same for every b, and the
log-likelihood of those windows under the PWMs P(W_t, b) is, with beta = ln b,

    q(beta) = beta * sum_{s,t} M[s, t] - n * sum_t sum_l logsumexp_c(beta * W_t[c, l])

where M[s, t] is the maximum (bias-free) convolution score and n the number of
sequences with at least one window. q is concave in beta (log-sum-exp is
convex), so its maximum is the root of

    q'(beta) = sum M - n * sum_{t,l} E_{softmax(beta W_t[:, l])}[W_t[:, l]],

which decreases from q'(0) = sum M - n * sum (column means) to
q'(inf) = sum M - n * sum (column maxima) <= 0. A finite maximum with b > 1
exists only when q'(0) > 0 > q'(inf); otherwise a ValueError says which end wins.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from exactpwm.core._checks import as_bias, as_kernels
from exactpwm.core.scoring import as_packed, max_scores
from exactpwm.core.sequence import iter_batches
from exactpwm.core.transform import kernel_to_pwm
from exactpwm.core.types import ArrayLike, Sequences, Strand

__all__ = ["fit_base", "BaseFit", "base_objective"]


class BaseFit(NamedTuple):
    """Result of :func:`fit_base`.

    base : b (float, or (K,) with per_kernel=True)
    log_base : ln b, same shape
    pwm : (K, 4, L) PWMs at the fitted base
    offset : (K,) offsets at the fitted base (conv + bias == log_b P + offset)
    objective : q(ln b) at the maximum, natural-log likelihood (float or (K,))
    n_sequences : sequences that had at least one window
    max_score_sum : (K,) sum over sequences of the maximum convolution score
    """

    base: float | np.ndarray
    log_base: float | np.ndarray
    pwm: np.ndarray
    offset: np.ndarray
    objective: float | np.ndarray
    n_sequences: int
    max_score_sum: np.ndarray


def _softmax_stats(W: np.ndarray, beta: float):
    """Per column (K, L): logsumexp(beta*W), mean and variance of W under softmax(beta*W)."""
    Z = beta * W
    zmax = Z.max(axis=1, keepdims=True)
    E = np.exp(Z - zmax)
    S = E.sum(axis=1, keepdims=True)
    p = E / S
    mean = (p * W).sum(axis=1)
    var = (p * W * W).sum(axis=1) - mean**2
    lse = (zmax + np.log(S))[:, 0, :]
    return lse, mean, np.maximum(var, 0.0)


def base_objective(log_base: float, kernels: np.ndarray, max_score_sum: float, n: int) -> float:
    """q(ln b) for kernels (K, 4, L) float64, the summed maxima and the number of sequences."""
    lse, _, _ = _softmax_stats(kernels, log_base)
    return log_base * max_score_sum - n * lse.sum()


def _solve(W: np.ndarray, A: float, n: int, max_log_base: float) -> float:
    """Root of q'(beta) for kernels W (K, 4, L) and A = sum of maxima; safeguarded Newton."""
    col_means = W.mean(axis=1).sum()
    col_max = W.max(axis=1).sum()
    scale = max(1.0, abs(A), n * abs(col_max))
    if A - n * col_means <= 1e-12 * scale:
        raise ValueError(
            "no maximum-likelihood base > 1: the maximum scores are no higher than the kernels' column "
            "means, so the likelihood is largest as b -> 1 (uniform PWMs)"
        )
    if A - n * col_max >= -1e-12 * scale:
        raise ValueError(
            "no finite maximum-likelihood base: every best window is the kernel's consensus, so the "
            "likelihood keeps growing as b -> infinity"
        )

    def grad(beta):
        _, mean, var = _softmax_stats(W, beta)
        return A - n * mean.sum(), -n * var.sum()

    lo, hi = 0.0, 1.0
    while grad(hi)[0] > 0:
        lo, hi = hi, hi * 2
        if hi > max_log_base:
            raise ValueError(f"the maximum-likelihood ln(base) exceeds {max_log_base:g}; "
                             "the kernels are near-consensus")
    beta = 0.5 * (lo + hi)
    for _ in range(200):
        g, h = grad(beta)
        if abs(g) <= 1e-13 * scale:  # converged at this beta (test before moving away from it)
            break
        if g > 0:
            lo = beta
        else:
            hi = beta
        step = beta - g / h if h < 0 else None
        beta = step if step is not None and lo < step < hi else 0.5 * (lo + hi)
        if hi - lo <= 1e-14 * max(1.0, beta):
            break
    return beta


def fit_base(
    kernels: ArrayLike,
    sequences: Sequences,
    *,
    strand: Strand = "+",
    flip: bool = False,
    bias: ArrayLike | None = None,
    per_kernel: bool = False,
    max_log_base: float = 1e4,
    batch_bases: int = 1 << 24,
    threads: int = 0,
    backend: str = "auto",
) -> BaseFit:
    """Maximum-likelihood base b for kernels given the sequences they scan (Eq. 2).

    Parameters
    ----------
    kernels : (K, 4, L) or (4, L), rows A, C, G, T; cross-correlation (flip=False)
    sequences : list of sequences of any lengths, (S, n) code array, or (codes, offsets)
    strand : "+" or "both" (for models that max-pool over both strands)
    flip : convention of the returned PWMs, as in :func:`kernel_to_pwm`
    bias : only enters the returned offsets (the best windows do not depend on it)
    per_kernel : fit one b per kernel instead of one shared b
    max_log_base : give up (ValueError) when ln b would exceed this
    batch_bases, threads, backend : engine batching and settings; one engine pass in all

    Returns
    -------
    BaseFit(base, log_base, pwm, offset, objective, n_sequences, max_score_sum)
    """
    if strand not in ("+", "both"):
        raise ValueError(f"strand must be '+' or 'both', got {strand!r}")
    W, single = as_kernels(kernels)
    W64 = W.astype(np.float64)
    K = W.shape[0]
    codes, offsets = as_packed(sequences)
    sums = np.zeros(K)
    n = 0
    for s0, s1 in iter_batches(offsets, batch_bases, max(1, (1 << 24) // max(K, 1))):
        best = max_scores((codes, offsets[s0:s1 + 1]), W, strand=strand, threads=threads, backend=backend)
        has = best.start[:, 0] >= 0
        sums += best.score[has].astype(np.float64).sum(axis=0)
        n += int(has.sum())
    if n == 0:
        raise ValueError(f"no sequence is as long as the kernels (L = {W.shape[2]}); nothing to fit")
    base: Any
    log_base: Any
    objective: Any
    if per_kernel:
        betas = np.array([_solve(W64[k:k + 1], sums[k], n, max_log_base) for k in range(K)])
        objective = np.array([base_objective(betas[k], W64[k:k + 1], sums[k], n) for k in range(K)])
        pwm = np.stack([kernel_to_pwm(W64[k], math.exp(betas[k]), flip=flip)[0] for k in range(K)])
        offset = np.array([kernel_to_pwm(W64[k], math.exp(betas[k]))[1] for k in range(K)])
        base, log_base = np.exp(betas), betas
    else:
        beta = _solve(W64, sums.sum(), n, max_log_base)
        objective = base_objective(beta, W64, sums.sum(), n)
        base, log_base = math.exp(beta), beta
        pwm, offset = kernel_to_pwm(W64, base, flip=flip)
    if bias is not None:
        offset = offset + as_bias(bias, K, np.float64)
    return BaseFit(base, log_base, pwm, np.asarray(offset), objective, n, sums)
