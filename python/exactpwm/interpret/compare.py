"""How alike two motifs are: column correlation over the best ungapped alignment, both strands.

To name which known motif a PWM is, with p-, E- and q-values, use :func:`exactpwm.compare_motifs`
(Tomtom's method, :mod:`exactpwm.interpret.tomtom`); this module keeps the plain similarity score.

A small Tomtom-like measure for matching learned PWMs to known motifs (with a
p-value from a null of column-shuffled targets, see :func:`similarity_pvalue`): the
shorter motif slides along the longer one (fully inside it, or overhanging by up
to ``overhang`` columns), on both strands; the score of an alignment is the sum
of the Pearson correlations of aligned columns divided by the shorter width, so
1.0 means the shorter motif appears exactly (up to scale per column) inside the
longer one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Match", "motif_similarity", "similarity_pvalue", "MatchSignificance", "match_motifs"]


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


def _best_scores(A: np.ndarray, stack: np.ndarray, overhang: int = 0) -> np.ndarray:
    """motif_similarity(A, stack[s]).score for every (4, Lb) matrix of an (S, 4, Lb) stack, vectorised."""
    ca = _centered(A)
    La, Lb = A.shape[1], stack.shape[2]
    short = min(La, Lb)
    best = np.full(stack.shape[0], -np.inf)
    for M in (stack, stack[:, ::-1, ::-1]):
        C = M - M.mean(axis=1, keepdims=True)
        norm = np.sqrt((C ** 2).sum(axis=1, keepdims=True))
        cb = np.divide(C, norm, out=np.zeros_like(C), where=norm > 1e-12)
        for off in range(-Lb + 1, La):
            i0, i1 = max(0, off), min(La, off + Lb)
            if i1 - i0 < short - overhang:
                continue
            s = np.einsum("cl,scl->s", ca[:, i0:i1], cb[:, :, i0 - off:i1 - off]) / short
            np.maximum(best, s, out=best)
    return best


def similarity_pvalue(query, target, *, n_shuffles: int = 1000, rng=None, overhang: int = 0) -> tuple[Match, float]:
    """(best Match, p-value) of ``target`` against ``query``.

    The null is the best-alignment score of the target with its columns shuffled
    (``n_shuffles`` permutations, seeded by ``rng``): p = (1 + #null >= observed) / (1 + n).
    """
    A, B = np.asarray(query, np.float64), np.asarray(target, np.float64)
    match = motif_similarity(A, B, overhang)
    rng = np.random.default_rng(rng)
    perms = np.argsort(rng.random((n_shuffles, B.shape[1])), axis=1)
    null = _best_scores(A, B[:, perms].transpose(1, 0, 2), overhang)
    return match, float((1 + np.count_nonzero(null >= match.score - 1e-12)) / (1 + n_shuffles))


class MatchSignificance(NamedTuple):
    """A query's best target: index, Match, p-value, E-value (p x number of targets)."""

    target: int
    match: Match
    pvalue: float
    evalue: float


def match_motifs(queries, targets, *, n_shuffles: int = 1000, seed: int = 0) -> list[MatchSignificance]:
    """For each query PWM, the target with the smallest p-value (ties: the higher score).

    Deprecated: its p-values come from column shuffles, so none can be below 1 / (n_shuffles + 1);
    use :func:`exactpwm.compare_motifs` (Tomtom's exact statistics) to name what a motif is.
    """
    import warnings

    warnings.warn("match_motifs (shuffle p-values, floor 1/(n_shuffles+1)) is deprecated: use "
                  "exactpwm.compare_motifs (Tomtom's statistics)", DeprecationWarning, stacklevel=2)
    targets = [np.asarray(t, np.float64) for t in targets]
    out = []
    for qi, q in enumerate(queries):
        res = [similarity_pvalue(q, t, n_shuffles=n_shuffles, rng=[seed, qi, ti]) for ti, t in enumerate(targets)]
        k = min(range(len(res)), key=lambda i: (res[i][1], -res[i][0].score))
        out.append(MatchSignificance(k, res[k][0], res[k][1], res[k][1] * len(targets)))
    return out
