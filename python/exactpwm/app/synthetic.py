"""Seeded synthetic data: random DNA with motifs planted, as in Koo & Eddy and Ding et al.

All functions take a ``numpy.random.Generator`` and return uint8 codes (A=0..T=3).
"""

from __future__ import annotations

import numpy as np

from exactpwm.core.sequence import reverse_complement

__all__ = ["SHARED_PATTERN_CLASSES", "logic_dataset", "plant_motif", "random_codes", "sample_sites",
           "shared_pattern_dataset"]


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


def _plant_word(rng: np.random.Generator, codes: np.ndarray, rows: np.ndarray, word: str,
                taken: np.ndarray) -> None:
    """Write ``word`` at a random free place (not overlapping earlier words) of each row in ``rows``."""
    w = np.frombuffer(word.encode(), np.uint8)
    site = np.searchsorted(np.frombuffer(b"ACGT", np.uint8), w).astype(np.uint8)
    n = codes.shape[1]
    for r in rows:
        for _ in range(100):
            at = int(rng.integers(0, n - len(site) + 1))
            if not taken[r, at:at + len(site)].any():
                break
        codes[r, at:at + len(site)] = site
        taken[r, at:at + len(site)] = True


def logic_dataset(rng: np.random.Generator, n: int, length: int = 50,
                  random_fraction: float = 1 / 6) -> tuple[np.ndarray, np.ndarray]:
    """DeepResolve's synthetic dataset I: each of CGCTTG, CAGGTC and GCTCAT is planted with
    probability 1/2 at a random place; the label is 1 when CAGGTC is there AND exactly one of
    GCTCAT and CGCTTG (XOR); a ``random_fraction`` of the rows are plain random DNA labelled 0.
    Returns codes (n, length) uint8 and labels (n,) float32."""
    codes = random_codes(rng, n, length)
    taken = np.zeros(codes.shape, bool)
    plain = rng.random(n) < random_fraction
    has = (rng.random((n, 3)) < 0.5) & ~plain[:, None]
    for j, word in enumerate(("CAGGTC", "GCTCAT", "CGCTTG")):
        _plant_word(rng, codes, np.flatnonzero(has[:, j]), word, taken)
    label = has[:, 0] & (has[:, 1] ^ has[:, 2])
    return codes, label.astype(np.float32)


#: DeepResolve's synthetic dataset II: the patterns of each class
SHARED_PATTERN_CLASSES = (("GATA", "CAGATG"), ("TCAT", "CAGATG"), ("GATA", "TCAT"), ("CGCTTG",))


def shared_pattern_dataset(rng: np.random.Generator, n: int, length: int = 50,
                           random_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """DeepResolve's synthetic dataset II: four classes that share patterns
    (:data:`SHARED_PATTERN_CLASSES`); each row holds the patterns of one class and is labelled
    with that class only; a ``random_fraction`` of the rows are random DNA with no label.
    Returns codes (n, length) uint8 and labels (n, 4) float32 (one-hot or all zero)."""
    codes = random_codes(rng, n, length)
    taken = np.zeros(codes.shape, bool)
    cls = rng.integers(0, 4, n)
    plain = rng.random(n) < random_fraction
    labels = np.zeros((n, 4), np.float32)
    for c, words in enumerate(SHARED_PATTERN_CLASSES):
        rows = np.flatnonzero((cls == c) & ~plain)
        labels[rows, c] = 1
        for word in words:
            _plant_word(rng, codes, rows, word, taken)
    return codes, labels
