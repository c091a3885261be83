"""The exact kernel <-> PWM transformation (Ding et al., Theorem 1, Algorithms 1 and 2).

Convention (``flip=False``, the default): kernels are used as deep-learning
frameworks use them, by *cross-correlation*::

    score[k, j] = sum_l W[k, x[j + l], l] (+ bias[k])       # torch.nn.functional.conv1d

and then, for every window x[j:j+L] that contains no N,

    score[k, j] == log_b P(x[j:j+L] | pwm[k]) + offset[k]

with ``pwm[k] = softmax_b(W[k])`` column by column and
``offset[k] = sum_l log_b sum_c b ** W[k, c, l] (+ bias[k])``.
``flip=True`` is the paper's true convolution, in which the kernel is applied
reversed along its length; the PWM is then the column-reversed one.

Shapes: kernels and PWMs are (K, 4, L) (PyTorch Conv1d layout, rows A, C, G, T)
or a single (4, L). The base b is any real > 1; the default is e, so that log
likelihoods are in nats. The transform costs O(K * L) and never looks at data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from exactpwm.core._checks import as_bias, as_kernels, check_finite, log_base, to_numpy
from exactpwm.core.types import ArrayLike

__all__ = ["kernel_to_pwm", "pwm_to_kernel", "reverse_complement_kernels", "DEFAULT_BASE"]

DEFAULT_BASE = math.e

#: columns of a PWM must sum to 1 within this tolerance (then they are renormalised)
PWM_SUM_TOLERANCE = 1e-3


def kernel_to_pwm(kernels: ArrayLike, base: float = DEFAULT_BASE, *, flip: bool = False,
                  bias: ArrayLike | None = None) -> tuple[np.ndarray, Any]:
    """Exact PWM of each convolution kernel (Algorithm 1).

    Parameters
    ----------
    kernels : array (K, 4, L) or (4, L)
        Rows A, C, G, T. A torch tensor is accepted. NaN/inf are rejected.
    base : float > 1
        Logarithm base b (default e). Larger b gives sharper PWMs; every b is exact.
    flip : bool
        False: the kernel is used by cross-correlation (PyTorch, Keras, TensorFlow).
        True: by true convolution, as in the paper (kernel reversed along L).
    bias : scalar or (K,), optional
        Convolution bias; folded into the offset.

    Returns
    -------
    pwm : float64 array, same shape as ``kernels``; each column sums to 1.
    offset : float64 array (K,) (a float for a single kernel) such that
        ``conv1d(x, kernels) + bias == log_base P(window | pwm) + offset``
        for every window without N.
    """
    W, single = as_kernels(kernels)
    lnb = log_base(base)
    with np.errstate(over="ignore"):
        Z = W.astype(np.float64) * lnb
    if not np.isfinite(Z).all():
        raise ValueError(f"kernels * ln(base) overflows float64 (max |w| = {np.abs(W).max():g}, base = {base!r})")
    zmax = Z.max(axis=1, keepdims=True)
    E = np.exp(Z - zmax)
    colsum = E.sum(axis=1, keepdims=True)
    pwm = E / colsum
    log_colsum = (zmax + np.log(colsum))[:, 0, :]  # (K, L): ln sum_c b**w
    with np.errstate(over="ignore", invalid="ignore"):
        offset = log_colsum.sum(axis=1) / lnb + as_bias(bias, W.shape[0], np.float64)
    if not np.isfinite(offset).all():
        k = int(np.argmin(np.isfinite(offset)))
        raise ValueError(f"kernel {k}: the offset (sum over {W.shape[2]} columns of log_b sum_c b^w) overflows "
                         f"float64 (max |w| = {np.abs(W[k]).max():g}); such a kernel cannot be scored either")
    if flip:
        pwm = pwm[:, :, ::-1]
    pwm = np.ascontiguousarray(pwm)
    if single:
        return pwm[0], float(offset[0])
    return pwm, offset


def resolve_epsilon(epsilon: float, pseudocount, where: str) -> float:
    """The smoothing ``epsilon``; ``pseudocount=`` is its deprecated old name here (the word now
    means one thing: counts added at the counts -> probabilities step)."""
    if pseudocount is None:
        return epsilon
    import warnings

    warnings.warn(f"{where}(pseudocount=) is renamed epsilon= (the same numbers: p' = (p + eps) / (1 + 4 eps)); "
                  "'pseudocount' now only means counts added at the counts -> probabilities step",
                  DeprecationWarning, stacklevel=3)
    return pseudocount


def as_pwm(pwm, epsilon: float) -> tuple[np.ndarray, bool]:
    P, single = as_kernels(pwm, name="pwm")
    P = P.astype(np.float64)
    if (P < 0).any():
        k, c, l = (int(i) for i in np.argwhere(P < 0)[0])
        raise ValueError(f"pwm has a negative probability {P[k, c, l]} (motif {k}, row {'ACGT'[c]}, column {l})")
    sums = P.sum(axis=1)
    off = np.abs(sums - 1.0) > PWM_SUM_TOLERANCE
    if off.any():
        k, l = (int(i) for i in np.argwhere(off)[0])
        raise ValueError(
            f"pwm columns must sum to 1 (motif {k}, column {l} sums to {sums[k, l]:.6g}); "
            "convert counts to probabilities first"
        )
    P = P / sums[:, None, :]
    if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon >= 0):
        raise ValueError(f"epsilon must be a finite number >= 0, got {epsilon!r}")
    if epsilon > 0:
        P = (P + epsilon) / (1.0 + 4.0 * epsilon)
    if (P == 0).any():
        k, c, l = (int(i) for i in np.argwhere(P == 0)[0])
        raise ValueError(
            f"pwm has a zero probability (motif {k}, row {'ACGT'[c]}, column {l}): its log is -inf; "
            "smooth it first (epsilon > 0, e.g. 0.001, or counts with a pseudocount)"
        )
    return P, single


def pwm_to_kernel(
    pwm: ArrayLike,
    base: float = DEFAULT_BASE,
    *,
    flip: bool = False,
    epsilon: float = 0.0,
    relu_shift: bool = False,
    pseudocount: float | None = None,
) -> tuple[np.ndarray, Any]:
    """Kernel whose convolution is the PWM's log_b-likelihood (Algorithm 2).

    Parameters
    ----------
    pwm : array (K, 4, L) or (4, L)
        Probabilities, rows A, C, G, T; each column must sum to 1 (within 1e-3;
        it is then renormalised).
    base : float > 1
        Logarithm base b of the kernel's scores (default e).
    flip : bool
        As in :func:`kernel_to_pwm`: True returns a kernel for true convolution.
    epsilon : float >= 0
        Added to every probability before renormalising: p' = (p + eps) / (1 + 4 eps).
        With the default 0, a zero probability is an error (its log is -inf).
        (``pseudocount=`` is the deprecated old name of this argument.)
    relu_shift : bool
        Add to each column the constant that makes its smallest weight 0, so all
        weights are non-negative (for ReLU models); the shift goes into ``offset``.

    Returns
    -------
    kernel : float64 array, same shape as ``pwm``
    offset : float64 (K,) (a float for a single PWM): ``conv1d(x, kernel) ==
        log_base P(window | pwm') + offset`` where pwm' is the PWM after
        ``epsilon``; 0 unless ``relu_shift``.
    """
    P, single = as_pwm(pwm, resolve_epsilon(epsilon, pseudocount, "pwm_to_kernel"))
    W = np.log(P) / log_base(base)
    if flip:
        W = W[:, :, ::-1]
    offset = np.zeros(W.shape[0])
    if relu_shift:
        shift = -W.min(axis=1, keepdims=True)
        W = W + shift
        offset = shift[:, 0, :].sum(axis=1)
    W = np.ascontiguousarray(W)
    if single:
        return W[0], float(offset[0])
    return W, offset


def reverse_complement_kernels(kernels: ArrayLike) -> np.ndarray:
    """Kernels (or PWMs) that score the reverse-complement strand: rows A<->T, C<->G, columns reversed.

    Scoring window x[j:j+L] with the result equals scoring the reverse complement
    of that window with the input. Shape and dtype are kept.
    """
    W = to_numpy(kernels, "kernels")
    if W.ndim not in (2, 3) or W.shape[-2] != 4:
        raise ValueError(f"kernels must have shape (4, L) or (K, 4, L); got {W.shape}")
    check_finite(W, "kernels")
    return np.ascontiguousarray(W[..., ::-1, ::-1])
