"""Motifs for tests: real JASPAR matrices through pyjaspar when installed, else a fixed stand-in."""

from __future__ import annotations

import functools

import numpy as np

# A CTCF-like 19-column matrix used only when pyjaspar is missing (rows A, C, G, T).
_FALLBACK = np.array([
    [.10, .15, .05, .40, .05, .05, .70, .05, .55, .05, .05, .10, .05, .10, .40, .10, .15, .35, .25],
    [.30, .20, .05, .10, .90, .85, .05, .65, .40, .05, .05, .10, .10, .60, .10, .70, .35, .15, .25],
    [.20, .35, .10, .45, .03, .05, .20, .25, .03, .85, .80, .70, .80, .10, .45, .15, .40, .35, .25],
    [.40, .30, .80, .05, .02, .05, .05, .05, .02, .05, .10, .10, .05, .20, .05, .05, .10, .15, .25],
])


@functools.cache
def jaspar_pwm(matrix_id: str = "MA0139.1") -> np.ndarray:
    """(4, L) probabilities of a JASPAR matrix (default CTCF, 19 columns)."""
    try:
        from pyjaspar import jaspardb
    except ImportError:
        return _FALLBACK / _FALLBACK.sum(axis=0)
    motif = jaspardb(release="JASPAR2024").fetch_motif_by_id(matrix_id)
    counts = np.array([motif.counts[b] for b in "ACGT"], dtype=np.float64)
    return (counts + 0.01) / (counts + 0.01).sum(axis=0)


def log_odds_kernel(pwm: np.ndarray, base: float = 2.0) -> np.ndarray:
    """A 'trained-like' kernel: log_b(p / 0.25); positive on the consensus."""
    return np.log(pwm / 0.25) / np.log(base)
