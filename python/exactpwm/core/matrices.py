"""From counts to scores, one explicit step at a time (as in the MEME suite).

    counts --(pseudocount, background)--> probabilities (PWM)
           --(background, base)--------> log-odds score matrix
    or     --(base)--------------------> log-likelihood score matrix  (= pwm_to_kernel)

``pseudocount`` has one meaning, at the first step: a total added to each column's counts,
spread by the background, p = (n + a * bg) / (N + a), as MEME and FIMO's ``--motif-pseudo``.
Probabilities without counts are read as counts of ``nsites`` sites (20, MEME's default, when
unknown): :func:`probabilities_with_pseudocount`. The later steps take no pseudocount; a
probability of 0 there is an error unless smoothed with ``epsilon`` (p' = (p + eps) / (1 + 4 eps)).

Every matrix is (K, 4, L) or (4, L), rows A, C, G, T. Score matrices are
kernels: score them with :func:`exactpwm.conv1d` / :func:`exactpwm.scan`.
"""

from __future__ import annotations

import numpy as np

from exactpwm.core._checks import log_base, to_numpy
from exactpwm.core.transform import as_pwm, resolve_epsilon
from exactpwm.core.types import ArrayLike, Background

__all__ = ["UNIFORM", "DEFAULT_NSITES", "DEFAULT_PSEUDOCOUNT", "resolve_pseudocount",
           "as_background", "background_frequencies", "counts_to_pwm",
           "probabilities_with_pseudocount", "site_count", "log_odds", "log_likelihood"]

UNIFORM = np.full(4, 0.25)
#: The scans' default pseudocount (FIMO's --motif-pseudo): added to each column's counts, spread by
#: the background, on a motif's counts or its probabilities read as counts of its nsites (20 when
#: unknown). ``pseudocount=None`` in a scanning function means this, except for the exact PWMs of CNN
#: kernels (:attr:`exactpwm.Motif.is_exact`), which are scanned as they are.
DEFAULT_PSEUDOCOUNT = 0.1
DEFAULT_NSITES = 20.0  # sites behind a probability matrix whose source does not say (MEME's default)


def resolve_pseudocount(pseudocount) -> float:
    """``None`` -> :data:`DEFAULT_PSEUDOCOUNT`; otherwise the value, checked (finite, >= 0)."""
    from exactpwm.core._checks import check_number

    return DEFAULT_PSEUDOCOUNT if pseudocount is None else float(check_number(pseudocount, "pseudocount", low=0))


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


def background_frequencies(codes: ArrayLike, pseudocount: float = 1.0) -> np.ndarray:
    """0-order A, C, G, T frequencies of encoded sequence(s), N ignored, with a pseudocount per base."""
    c = np.bincount(np.asarray(codes, dtype=np.uint8).ravel(), minlength=5)[:4].astype(np.float64) + pseudocount
    return c / c.sum()


def _columns(values: ArrayLike, what: str, pseudocount: float) -> np.ndarray:
    """``values`` as (4, L) or (K, 4, L) float64, finite and >= 0, with the pseudocount checked."""
    V = to_numpy(values, what).astype(np.float64)
    if V.ndim not in (2, 3) or V.shape[-2] != 4:
        raise ValueError(f"{what} must have shape (4, L) or (K, 4, L); got {V.shape}")
    if not np.isfinite(V).all() or (V < 0).any():
        raise ValueError(f"{what} must be finite and non-negative")
    if not (np.isfinite(pseudocount) and pseudocount >= 0):
        raise ValueError(f"pseudocount must be a finite number >= 0, got {pseudocount!r}")
    return V


def counts_to_pwm(counts: ArrayLike, pseudocount: float = 0.0, background: Background = None) -> np.ndarray:
    """Probabilities from counts: p = (n + a * bg) / (N + a), per column.

    ``pseudocount`` a is the total added to each column, spread by the
    background (uniform by default), as MEME does. Columns with no counts and
    a = 0 are an error.
    """
    C = _columns(counts, "counts", pseudocount)
    bg = as_background(background)
    total = C.sum(axis=-2, keepdims=True) + pseudocount
    if (total <= 0).any():
        raise ValueError("a column has no counts; give a pseudocount > 0")
    return (C + pseudocount * bg[:, None]) / total


def site_count(nsites: float | None) -> float:
    """The sites a probability matrix is read as counts of, as the MEME suite reads them: the whole
    part of ``nsites`` (MEME keeps it in an integer), :data:`DEFAULT_NSITES` when unknown or below 1."""
    return float(int(nsites)) if nsites is not None and nsites >= 1 else DEFAULT_NSITES


def probabilities_with_pseudocount(pwm, pseudocount: float, background=None, nsites: float | None = None, *,
                                   site_counts: np.ndarray | None = None):
    """The counts -> probabilities step for a probability matrix: its columns read as counts of
    ``site_count(nsites)`` sites (:func:`site_count`: 20 when unknown), then ``pseudocount`` added,
    spread by ``background``: p' = (n * p + a * bg) / (n + a), in the MEME suite's order of operations
    (so the same doubles as FIMO and Tomtom). Shapes (4, L) or (K, 4, L); float64.
    ``site_counts``: (L,) float64, each column's own n instead (several motifs side by side, each
    column with its motif's ``site_count``)."""
    P = _columns(pwm, "pwm", pseudocount)
    n = site_count(nsites) if site_counts is None else site_counts
    return (P * n + pseudocount * as_background(background)[:, None]) / (n + pseudocount)


def log_odds(pwm: ArrayLike, background: Background = None, base: float = 2.0, *, epsilon: float = 0.0,
             pseudocount: float | None = None) -> np.ndarray:
    """Log-odds score matrix log_b(p / bg), same shape as ``pwm``; float64.

    Zeros in the PWM are an error unless ``epsilon`` > 0 (see :func:`exactpwm.pwm_to_kernel`);
    ``pseudocount=`` is the deprecated old name of ``epsilon`` here.
    """
    P, single = as_pwm(pwm, resolve_epsilon(epsilon, pseudocount, "log_odds"))
    S = (np.log(P) - np.log(as_background(background))[None, :, None]) / log_base(base)
    return S[0] if single else S


def log_likelihood(pwm: ArrayLike, base: float = 2.0, *, epsilon: float = 0.0,
                   pseudocount: float | None = None) -> np.ndarray:
    """Log-likelihood score matrix log_b(p), same shape as ``pwm``; float64 (``epsilon`` as in
    :func:`log_odds`)."""
    P, single = as_pwm(pwm, resolve_epsilon(epsilon, pseudocount, "log_likelihood"))
    S = np.log(P) / log_base(base)
    return S[0] if single else S
