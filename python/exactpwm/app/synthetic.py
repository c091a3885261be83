"""Seeded synthetic data: random DNA with motifs planted, as in Koo & Eddy and Ding et al.

All functions take a ``numpy.random.Generator`` and return uint8 codes (A=0..T=3).
"""

from __future__ import annotations

import numpy as np

from exactpwm.core.sequence import reverse_complement

__all__ = ["random_codes", "sample_sites", "plant_motif"]


def random_codes(rng: np.random.Generator, n_seqs: int, length: int) -> np.ndarray:
    """Uniform random DNA, (n_seqs, length) uint8."""
    return rng.integers(0, 4, size=(n_seqs, length), dtype=np.uint8)


def sample_sites(rng: np.random.Generator, pwm: np.ndarray, n: int) -> np.ndarray:
    """n sites drawn from a (4, L) probability matrix, (n, L) uint8."""
    pwm = np.asarray(pwm, dtype=np.float64)
    cdf = np.cumsum(pwm / pwm.sum(axis=0), axis=0)  # (4, L)
    u = rng.random((n, pwm.shape[1]))
    return (u[:, None, :] > cdf[None, :3, :]).sum(axis=1).astype(np.uint8)


def plant_motif(rng: np.random.Generator, codes: np.ndarray, pwm: np.ndarray, fraction: float = 1.0,
                strand: str = "both") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plant one site drawn from ``pwm`` (4, L) into a random position of some rows of ``codes`` (S, n), in place.

    ``fraction`` of the rows get a site; ``strand`` is "+" or "both" (each site
    reverse-complemented with probability 1/2). Returns (planted (S,) bool,
    start (S,) int64, minus (S,) bool); start is -1 where nothing was planted.
    """
    S, n = codes.shape
    L = pwm.shape[1]
    if n < L:
        raise ValueError(f"sequences of length {n} cannot hold a motif of width {L}")
    planted = np.asarray(rng.random(S) < fraction)
    start = np.where(planted, rng.integers(0, n - L + 1, size=S), -1)
    minus: np.ndarray = (planted & (rng.random(S) < 0.5)) if strand == "both" else np.zeros(S, bool)
    rows = np.flatnonzero(planted)
    sites = sample_sites(rng, pwm, rows.size)
    if minus.any():
        flip = minus[rows]
        sites[flip] = reverse_complement(sites[flip])
    cols = start[rows, None] + np.arange(L)
    codes[rows[:, None], cols] = sites
    return planted, start, minus
