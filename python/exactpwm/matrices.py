"""From counts to scores, one explicit step at a time (as in the MEME suite).

    counts --(pseudocount, background)--> probabilities (PWM)
           --(background, base)--------> log-odds score matrix
    or     --(base)--------------------> log-likelihood score matrix  (= pwm_to_kernel)

Every matrix is (K, 4, L) or (4, L), rows A, C, G, T. Score matrices are
kernels: score them with :func:`exactpwm.conv1d` / :func:`exactpwm.scan`.
"""

from __future__ import annotations

import numpy as np

from ._checks import log_base, to_numpy
from .transform import _as_pwm

__all__ = ["UNIFORM", "as_background", "background_frequencies", "counts_to_pwm", "log_odds", "log_likelihood"]

UNIFORM = np.full(4, 0.25)


def as_background(background) -> np.ndarray:
    """0-order background (4,) probabilities of A, C, G, T; None means uniform."""
    if background is None:
        return UNIFORM.copy()
    bg = to_numpy(background, "background").astype(np.float64).ravel()
    if bg.shape != (4,) or not np.isfinite(bg).all() or (bg <= 0).any():
        raise ValueError(f"background must be 4 positive frequencies for A, C, G, T; got {background!r}")
    if abs(bg.sum() - 1) > 1e-3:
        raise ValueError(f"background frequencies must sum to 1; they sum to {bg.sum():.6g}")
    return bg / bg.sum()


def background_frequencies(codes, pseudocount: float = 1.0) -> np.ndarray:
    """0-order A, C, G, T frequencies of encoded sequence(s), N ignored, with a pseudocount per base."""
    c = np.bincount(np.asarray(codes, dtype=np.uint8).ravel(), minlength=5)[:4].astype(np.float64) + pseudocount
    return c / c.sum()


def counts_to_pwm(counts, pseudocount: float = 0.0, background=None) -> np.ndarray:
    """Probabilities from counts: p = (n + a * bg) / (N + a), per column.

    ``pseudocount`` a is the total added to each column, spread by the
    background (uniform by default), as MEME does. Columns with no counts and
    a = 0 are an error.
    """
    C = to_numpy(counts, "counts").astype(np.float64)
    if C.ndim not in (2, 3) or C.shape[-2] != 4:
        raise ValueError(f"counts must have shape (4, L) or (K, 4, L); got {C.shape}")
    if not np.isfinite(C).all() or (C < 0).any():
        raise ValueError("counts must be finite and non-negative")
    if not (np.isfinite(pseudocount) and pseudocount >= 0):
        raise ValueError(f"pseudocount must be a finite number >= 0, got {pseudocount!r}")
    bg = as_background(background)
    total = C.sum(axis=-2, keepdims=True) + pseudocount
    if (total <= 0).any():
        raise ValueError("a column has no counts; give a pseudocount > 0")
    return (C + pseudocount * bg[:, None]) / total


def log_odds(pwm, background=None, base: float = 2.0, *, pseudocount: float = 0.0) -> np.ndarray:
    """Log-odds score matrix log_b(p / bg), same shape as ``pwm``; float64.

    Zeros in the PWM are an error unless ``pseudocount`` > 0 (see :func:`exactpwm.pwm_to_kernel`).
    """
    P, single = _as_pwm(pwm, pseudocount)
    S = (np.log(P) - np.log(as_background(background))[None, :, None]) / log_base(base)
    return S[0] if single else S


def log_likelihood(pwm, base: float = 2.0, *, pseudocount: float = 0.0) -> np.ndarray:
    """Log-likelihood score matrix log_b(p), same shape as ``pwm``; float64."""
    P, single = _as_pwm(pwm, pseudocount)
    S = np.log(P) / log_base(base)
    return S[0] if single else S
