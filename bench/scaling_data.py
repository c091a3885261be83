"""Seeded data for the scaling benchmark: JASPAR-motif kernels and motif-planted sequences."""

from __future__ import annotations

import functools

import numpy as np
from exactpwm.app import synthetic

SEQ_LEN = 200
WIDTH = 19


@functools.cache
def motif_pool(n: int = 64) -> tuple[np.ndarray, str]:
    """(n, 4, 19) PWMs: JASPAR CORE vertebrate motifs of width >= 8 centred/cropped to 19
    columns (uniform padding), or seeded random PWMs when pyjaspar is not installed."""
    try:
        from pyjaspar import jaspardb

        motifs = jaspardb(release="JASPAR2024").fetch_motifs(collection="CORE", tax_group=["vertebrates"])
        pwms = []
        for m in motifs:
            counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64)
            if counts.shape[1] < 8:
                continue
            P = (counts + 0.25) / (counts + 0.25).sum(axis=0)
            out = np.full((4, WIDTH), 0.25)
            L = min(WIDTH, P.shape[1])
            src = (P.shape[1] - L) // 2
            dst = (WIDTH - L) // 2
            out[:, dst:dst + L] = P[:, src:src + L]
            pwms.append(out)
            if len(pwms) == n:
                break
        return np.stack(pwms), "JASPAR2024 CORE vertebrates"
    except ImportError:
        rng = np.random.default_rng(0)
        return rng.dirichlet(np.full(4, 0.3), size=(n, WIDTH)).transpose(0, 2, 1), "random Dirichlet(0.3)"


def kernels(K: int) -> np.ndarray:
    """(K, 4, 19) float32 'trained-like' kernels: log2-odds of pool motifs plus noise."""
    pool, _ = motif_pool()
    rng = np.random.default_rng(K)
    W = np.log2(pool[np.arange(K) % len(pool)] / 0.25) + rng.normal(scale=0.3, size=(K, 4, WIDTH))
    return W.astype(np.float32)


@functools.lru_cache(maxsize=2)
def sequences(N: int) -> np.ndarray:
    """(N, 200) codes, each with one pool motif planted (random strand) in half the sequences."""
    pool, _ = motif_pool()
    rng = np.random.default_rng(N)
    X = synthetic.random_codes(rng, N, SEQ_LEN)
    which = rng.integers(0, len(pool), size=N)
    for i in range(len(pool)):
        rows = np.flatnonzero(which == i)
        if rows.size:
            sub = X[rows]
            synthetic.plant_motif(rng, sub, pool[i], fraction=0.5)
            X[rows] = sub
    return X
