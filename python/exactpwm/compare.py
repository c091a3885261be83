"""How alike two motifs are: column correlation over the best ungapped alignment, both strands.

A small Tomtom-like measure for matching learned PWMs to known motifs: the
shorter motif slides along the longer one (fully inside it, or overhanging by up
to ``overhang`` columns), on both strands; the score of an alignment is the sum
of the Pearson correlations of aligned columns divided by the shorter width, so
1.0 means the shorter motif appears exactly (up to scale per column) inside the
longer one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Match", "motif_similarity", "best_matches"]


class Match(NamedTuple):
    """score in [-1, 1]; offset: position in ``a`` of b's first column (may be < 0);
    strand: '+' or '-' (b reverse-complemented)."""

    score: float
    offset: int
    strand: str


def _centered(P: np.ndarray) -> np.ndarray:
    C = P - P.mean(axis=0, keepdims=True)
    norm = np.sqrt((C ** 2).sum(axis=0, keepdims=True))
    return np.divide(C, norm, out=np.zeros_like(C), where=norm > 1e-12)


def motif_similarity(a, b, overhang: int = 0) -> Match:
    """Best alignment of (4, Lb) PWM ``b`` to (4, La) PWM ``a`` (rows A, C, G, T)."""
    A, B = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[0] != 4 or B.shape[0] != 4:
        raise ValueError(f"motifs must be (4, L) matrices, got {A.shape} and {B.shape}")
    ca = _centered(A)
    best = Match(-np.inf, 0, "+")
    short = min(A.shape[1], B.shape[1])
    for strand, M in (("+", B), ("-", B[::-1, ::-1])):
        cb = _centered(M)
        for off in range(-B.shape[1] + 1, A.shape[1]):
            i0, i1 = max(0, off), min(A.shape[1], off + B.shape[1])
            if i1 - i0 < short - overhang:
                continue
            s = float((ca[:, i0:i1] * cb[:, i0 - off:i1 - off]).sum() / short)
            if s > best.score:
                best = Match(s, off, strand)
    return best


def best_matches(queries, targets) -> list[tuple[int, Match]]:
    """For each query PWM, (index of the most similar target, its Match)."""
    out = []
    for q in queries:
        scores = [motif_similarity(q, t) for t in targets]
        k = int(np.argmax([s.score for s in scores]))
        out.append((k, scores[k]))
    return out
