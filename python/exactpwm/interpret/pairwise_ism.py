"""Second-order in-silico mutagenesis: every pair of substitutions inside a window, and their
epistasis, where first-order maps mislead.

For positions i < j of a window and bases a, b, the model is run on the sequence with a at i and b
at j; the *epistasis* is ``y(a@i, b@j) - y(a@i) - y(b@j) + y0``, zero for a model that adds up
the effects of single positions. Under XOR logic (a site counts only when its partner is absent)
each single change looks harmless or helpful while the pair is not: the first-order map cannot
show it, the pairwise map does. Each double mutant is recomputed only inside its receptive field
(:class:`exactpwm.interpret.edited_outputs.EditedOutputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number
from exactpwm.interpret.edited_outputs import KEEP, EditedOutputs

__all__ = ["PairwiseISM", "pairwise_ism"]


@dataclass
class PairwiseISM:
    """start, end : the window [start, end) (0-based); y0 : (K,) the outputs on the sequence;
    single : (w, 4, K) outputs with base b at position start + i; double : (w, w, 4, 4, K) with
    base a at start + i and b at start + j (symmetric: ``double[i, j, a, b] ==
    double[j, i, b, a]``; NaN where i == j)."""

    start: int
    end: int
    y0: np.ndarray
    single: np.ndarray
    double: np.ndarray

    @property
    def epistasis(self) -> np.ndarray:
        """(w, w, 4, 4, K): double - single_i - single_j + y0 (NaN on the diagonal)."""
        return (self.double - self.single[:, None, :, None] - self.single[None, :, None, :] + self.y0)

    def interaction_map(self, output: int = 0) -> np.ndarray:
        """(w, w): the largest absolute epistasis over the base pairs at each pair of positions."""
        e = np.abs(self.epistasis[..., output])
        w = e.shape[0]
        out = np.where(np.isnan(e), -np.inf, e).reshape(w, w, -1).max(axis=-1)
        np.fill_diagonal(out, np.nan)
        return out


def pairwise_ism(model: Any, sequence: Any, start: int = 0, end: int | None = None, *, method: str = "auto",
                 batch_size: int | None = None, check: int = 4, threads: int = 0) -> PairwiseISM:
    """Every single and double substitution in ``sequence[start:end]`` (see the module's notes).

    model : a torch module on one-hot (B, 4, n), a :class:`exactpwm.PWMModel` or a callable on codes
    sequence : one str, (n,) codes or (1, n) codes
    Cost: 16 w (w - 1) / 2 model rows for a window of w positions, each recomputed locally.
    """
    from exactpwm.core.sequence import code_rows

    X = code_rows(sequence if not isinstance(sequence, str) else [sequence])
    if X.ndim == 1:
        X = X[None]
    if len(X) != 1:
        raise ValueError(f"pairwise_ism takes one sequence, got {len(X)}")
    n = X.shape[1]
    end = n if end is None else int(end)
    start = int(check_number(start, "start", low=0, integer=True))
    if not start < end <= n:
        raise ValueError(f"the window [{start}, {end}) must lie in the sequence of {n} bp and hold a position")
    w = end - start
    run = EditedOutputs(model, X, method=method, batch_size=batch_size, check=check, threads=threads)
    y0 = run.baseline[0]
    singles = np.full((4 * w, w), KEEP, np.uint8)
    singles[np.arange(4 * w), np.repeat(np.arange(w), 4)] = np.tile(np.arange(4), w)
    single = run(np.full(4 * w, start), singles)[:, 0].reshape(w, 4, -1)
    i, j = np.triu_indices(w, 1)
    P = len(i)
    words = np.full((16 * P, w), KEEP, np.uint8)
    rows = np.arange(16 * P)
    a, b = np.tile(np.repeat(np.arange(4), 4), P), np.tile(np.arange(4), 4 * P)
    words[rows, np.repeat(i, 16)] = a
    words[rows, np.repeat(j, 16)] = b
    y = run(np.full(16 * P, start), words)[:, 0].reshape(P, 4, 4, -1)
    K = y0.shape[0]
    double = np.full((w, w, 4, 4, K), np.nan)
    double[i, j] = y
    double[j, i] = y.transpose(0, 2, 1, 3)
    return PairwiseISM(start, end, y0, single, double)
