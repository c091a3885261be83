"""Scan plans: motifs -> score matrices, thresholds and null models, before any sequence.

Scores: PWMs become score matrices (log-odds against the background by default), scored in
float64 or quantized to multiples of ``step`` (see :mod:`exactpwm.core.pvalues`), so hits do not
depend on threads, backend or chunking. p-value scans certify their hits for the real-valued
matrices (:mod:`exactpwm.scanning.certified`). Motifs are grouped by width: one engine call per
group and batch.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from exactpwm.core._checks import to_numpy
from exactpwm.core.errors import ExactpwmWarning
from exactpwm.core.matrices import (
    DEFAULT_PSEUDOCOUNT,
    as_background,
    log_likelihood,
    log_odds,
    probabilities_with_pseudocount,
    resolve_pseudocount,
)
from exactpwm.core.motif import MotifSet
from exactpwm.core.pvalues import DEFAULT_STEP, PvalueTable, quantize, score_distributions
from exactpwm.core.scoring import prepare_threshold
from exactpwm.core.types import ArrayLike, Background, Motifs
from exactpwm.scanning.certified import CertifiedPvalues
from exactpwm.scanning.hits import hit_dtype

__all__ = ["MODES", "ScanPlan", "ScanWarning", "plan_scan", "score_matrices", "subset_plan"]

MODES = ("logodds", "loglik", "matrix")
_FLOAT32_EXACT = 2.0 ** 14  # quantized scores below this magnitude are exact in float32


def symmetric_background(background: Background) -> np.ndarray:
    """(4,) float64: the background averaged with its complement (A<->T, C<->G)."""
    bg = as_background(background)
    return (bg + bg[::-1]) / 2.0


def prepare_motifs(motifs, names, mode, background, pseudocount):
    """(motifs, names, background, pseudocount) as scans use them: the background (given, else a
    MotifSet's own) made strand-symmetric, so that both strands share one null and a
    reverse-complemented window's p-value is right under any background (as FIMO does); a
    MotifSet's PWMs after its pseudocount step."""
    if isinstance(motifs, MotifSet) and background is None:
        background = motifs.background
    background = symmetric_background(background)
    if mode != "matrix":
        motifs, names, background, pseudocount = _unpack(motifs, names, background, pseudocount)
    return motifs, names, background, pseudocount


def _unpack(motifs, names, background, pseudocount):
    """A MotifSet becomes (its PWMs after the pseudocount step, its names, its background, 0);
    anything else passes through with its pseudocount resolved. ``pseudocount=None`` is
    :data:`~exactpwm.core.matrices.DEFAULT_PSEUDOCOUNT`, except for a MotifSet's exact kernel PWMs,
    which keep their probabilities."""
    if isinstance(motifs, MotifSet):
        bg = motifs.background if background is None else background
        if pseudocount is None:
            pwms = motifs.with_pseudocount(DEFAULT_PSEUDOCOUNT, bg).pwms(0.0, bg)
        else:
            pwms = motifs.pwms(resolve_pseudocount(pseudocount), bg)
        return pwms, (motifs.names if names is None else names), bg, 0.0
    return motifs, names, background, resolve_pseudocount(pseudocount)


def _smoothed(M: np.ndarray, pseudocount: float, background) -> np.ndarray:
    """A probability matrix after the pseudocount step (read as counts of 20 sites, as a motif
    without counts or nsites is): the same numbers for an array as for a MotifSet."""
    return probabilities_with_pseudocount(M, pseudocount, background) if pseudocount else M


def score_matrices(motifs: Motifs, mode: str = "logodds", *, background: Background = None, base: float = 2.0,
                   pseudocount: float | None = None, step: float | None = DEFAULT_STEP,
                   names: Sequence[str] | None = None) -> list[np.ndarray]:
    """Quantized (4, L_i) score matrices from motifs of any widths.

    motifs : a (K, 4, L) array, a sequence of (4, L_i) arrays, or a :class:`exactpwm.MotifSet`
        (then its background is the default and ``pseudocount`` is added to its counts
        as in the MEME suite, see :meth:`exactpwm.Motif.probabilities`)
    mode : "logodds" (log_b(p / background)), "loglik" (log_b p) or "matrix"
        (the input already holds scores, e.g. CNN kernels)
    pseudocount : counts added to each column, spread by the background, before the log
        (as FIMO's ``--motif-pseudo``): a motif's counts, or its probabilities read as counts of
        its ``nsites`` sites (20 when unknown, always for plain arrays), so an array and a
        MotifSet holding the same probabilities score the same. None (the default) is 0.1, as
        FIMO, except for the exact PWMs of CNN kernels in a MotifSet, scanned as they are; 0 scans
        the probabilities as given (a zero probability is then an error naming the motif)
    names : motif names for error messages
        (default: a MotifSet's, else 'motif i')
    step : grid of the scores (None: no quantization; then hits are exact
        only up to float rounding and p-values approximate)
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if isinstance(motifs, MotifSet) and mode == "matrix":
        raise ValueError("a MotifSet holds probabilities: use mode='logodds' or 'loglik', not 'matrix'")
    explicit = pseudocount is not None
    motifs, names, background, pseudocount = _unpack(motifs, names, background, pseudocount)
    items = list(motifs) if not isinstance(motifs, np.ndarray) or motifs.ndim == 3 else [motifs]
    if not items:
        raise ValueError("no motifs given")
    out = []
    for i, m in enumerate(items):
        label = f"motif {names[i]!r}" if names is not None and i < len(names) else f"motif {i}"
        M = to_numpy(m, label).astype(np.float64)
        if M.ndim != 2 or M.shape[0] != 4 or M.shape[1] < 1:
            raise ValueError(f"{label} must have shape (4, L) with rows A, C, G, T; got {M.shape}")
        try:
            if mode != "matrix" and not pseudocount and (M == 0).any():
                c, l = (int(j) for j in np.argwhere(M == 0)[0])
                given = "pseudocount=0" if explicit else "no pseudocount (an exact kernel PWM)"
                raise ValueError(f"has a zero probability (row {'ACGT'[c]}, column {l + 1}), whose log is -inf, and "
                                 f"{given} was asked for: give pseudocount > 0 (the default, 0.1, is FIMO's "
                                 "--motif-pseudo)")
            if mode == "logodds":
                M = log_odds(_smoothed(M, pseudocount, background), background, base)
            elif mode == "loglik":
                M = log_likelihood(_smoothed(M, pseudocount, background), base)
            elif not np.isfinite(M).all():
                raise ValueError("has a non-finite value")
            out.append(quantize(M, step) if step is not None else M)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
    return out


@dataclass
class WidthGroup:
    """Motifs of one width, scanned together by one engine call per chunk."""

    width: int
    motifs: np.ndarray  # (k,) motif indices
    kernels: np.ndarray  # (k, 4, width)
    thresholds: np.ndarray  # (k,) float64
    dtype: type
    _inputs: dict = field(default_factory=dict, repr=False)  # strand -> engine inputs

    def engine_inputs(self, strand: str):
        """The engine table and thresholds for ``strand``, prepared once per plan."""
        if strand not in self._inputs:
            self._inputs[strand] = prepare_threshold(self.kernels, self.thresholds, strand=strand, dtype=self.dtype)
        return self._inputs[strand]


def width_groups(matrices: list[np.ndarray], thresholds: np.ndarray, step) -> list[WidthGroup]:
    groups = []
    for w in sorted({m.shape[1] for m in matrices}):
        idx = np.array([i for i, m in enumerate(matrices) if m.shape[1] == w])
        kernels = np.stack([matrices[i] for i in idx])
        worst = np.abs(kernels).max(axis=1).sum(axis=1).max()
        exact32 = step is not None and worst < _FLOAT32_EXACT
        groups.append(WidthGroup(w, idx, kernels, thresholds[idx], np.float32 if exact32 else np.float64))
    return groups


@dataclass
class ScanPlan:
    """What a scan needs before it reads any sequence: matrices, thresholds, null models."""

    matrices: list
    names: list
    thresholds: np.ndarray
    dists: list
    groups: list
    overlap: int
    dtype: np.dtype
    pvalues: PvalueTable
    rna: bool = False  # RNA motifs (MEME 'ALPHABET= ACGU'): echoed letters pair A with U
    certified: CertifiedPvalues | None = None  # p-value scans: hits and p-values of the real-valued matrices
    step: float | None = DEFAULT_STEP  # the grid of ``matrices`` (None: float64 scores)

    @property
    def widths(self) -> np.ndarray:
        """(K,) int64 motif widths."""
        return np.array([m.shape[1] for m in self.matrices], dtype=np.int64)


class ScanWarning(ExactpwmWarning):
    """Something about a scan's inputs that changes what it reports (renamed or unreachable motifs)."""


def default_motif_names(names, K: int) -> list[str]:
    """K motif names (default motif0, motif1, ...); repeats get ``_2``, ``_3``, ... with a warning,
    so every hit names one motif."""
    names = [f"motif{i}" for i in range(K)] if names is None else [str(n) for n in names]
    if len(names) != K:
        raise ValueError(f"{len(names)} names for {K} motifs")
    seen: dict[str, int] = {}
    out, renamed = [], []
    taken = set(names)
    for n in names:
        if n in seen:
            i = seen[n]
            while f"{n}_{i}" in taken:
                i += 1
            seen[n] = i + 1
            out.append(f"{n}_{i}")
            taken.add(out[-1])
            renamed.append(f"{n} -> {out[-1]}")
        else:
            seen[n] = 2
            out.append(n)
    if renamed:
        warnings.warn(f"motif names repeat, renamed so that hits can be told apart: {', '.join(renamed[:10])}"
                      + (f" and {len(renamed) - 10} more" if len(renamed) > 10 else ""), ScanWarning, stacklevel=4)
    return out


def resolve_step(step: float | str | None, score: ArrayLike | None, matrices: list | None = None) -> float | None:
    """The score grid of a scan. ``step="auto"``: with score thresholds, None (float64 scores,
    exact for the user's matrices, as MOODS compares them) unless every matrix already lies on the
    p-value grid (:data:`exactpwm.core.pvalues.DEFAULT_STEP`: integers, or multiples of 2**-10),
    where the grid is as exact and faster; with p-value thresholds, the grid, whose thresholds
    are grid values. ``matrices``: the unquantized score matrices."""
    if isinstance(step, str):
        if step != "auto":
            raise ValueError(f"step must be a positive number, None or 'auto', got {step!r}")
        if score is None:
            return DEFAULT_STEP
        flat = np.concatenate(matrices, axis=1) if matrices else None  # (4, L) each: checked at once
        on_grid = flat is not None and np.array_equal(flat, np.round(flat / DEFAULT_STEP) * DEFAULT_STEP) \
            and np.abs(flat).max() < 2.0 ** 20
        return DEFAULT_STEP if on_grid else None
    return step


def _quantized(matrices: list, step: float) -> list:
    """quantize(M, step) of each (4, L_i) matrix, computed at once."""
    if not matrices:
        return []
    q = quantize(np.concatenate(matrices, axis=1), step)
    return [np.ascontiguousarray(M) for M in np.split(q, np.cumsum([M.shape[1] for M in matrices])[:-1], axis=1)]


def plan_scan(motifs: Motifs, *, pvalue: float | None = None, score: ArrayLike | None = None,
              names: Sequence[str] | None = None, mode: str = "logodds", background: Background = None,
              base: float = 2.0,
              pseudocount: float | None = None, step: float | str | None = "auto", threads: int = 0) -> ScanPlan:
    """Check the arguments and prepare a scan (see :func:`scan` for their meaning)."""
    if pvalue is not None and score is not None:
        raise ValueError("give pvalue= or score=, not both")
    if isinstance(step, str) and step != "auto":
        raise ValueError(f"step must be a positive number, None or 'auto', got {step!r}")
    if score is None and pvalue is None:
        pvalue = 1e-4
    rna = isinstance(motifs, MotifSet) and len(motifs) > 0 and all(m.meta.get("alphabet") == "ACGU" for m in motifs)
    motifs, names, background, pseudocount = prepare_motifs(motifs, names, mode, background, pseudocount)
    exact = score_matrices(motifs, mode, background=background, base=base, pseudocount=pseudocount, step=None,
                           names=names)
    certify = pvalue is not None and isinstance(step, str)
    step = resolve_step(step, score, exact)
    matrices = exact if step is None else _quantized(exact, step)  # as score_matrices(step=step)
    K = len(matrices)
    labels = [f"motif {n!r}" for n in names] if names is not None else None
    names = default_motif_names(names, K)
    floors = None if score is None else np.broadcast_to(np.asarray(score, dtype=np.float64), (K,))
    # hits score at or above the thresholds (with a p-value, a certified scan's band below it): the
    # distributions' tails from there are all a scan looks up
    dists = score_distributions(matrices, as_background(background), step or 1e-3, threads, labels, floors,
                                pvalue=pvalue if score is None else None)
    if score is None:
        if not (isinstance(pvalue, (int, float)) and 0 < pvalue <= 1):
            raise ValueError(f"pvalue must be a number in (0, 1], got {pvalue!r}")
        thresholds = np.array([d.threshold(pvalue) for d in dists])
        never = [n for n, t in zip(names, thresholds) if not np.isfinite(t)]
        if never:
            shown = ", ".join(never[:10]) + (f" and {len(never) - 10} more" if len(never) > 10 else "")
            warnings.warn(f"{len(never)} of {K} motifs can never reach p <= {pvalue:g} (even their best "
                          f"window is more likely than that), so they give no hits: {shown}", ScanWarning,
                          stacklevel=3)
    else:
        thresholds = np.broadcast_to(np.asarray(score, dtype=np.float64), (K,)).copy()
        if np.isnan(thresholds).any():
            raise ValueError("score thresholds must not be NaN")
    overlap = max(m.shape[1] for m in matrices) - 1
    certified, scan_at = None, thresholds
    if certify and pvalue is not None and step is not None:
        certified = CertifiedPvalues(exact, matrices, thresholds, pvalue, as_background(background), step)
        scan_at = certified.scan_thresholds
    return ScanPlan(matrices, names, thresholds, dists, width_groups(matrices, scan_at, step), overlap,
                    hit_dtype(overlap + 1), PvalueTable(dists, scan_at), rna, certified, step)


def subset_plan(plan: ScanPlan, motifs: np.ndarray) -> ScanPlan:
    """The plan for some of its motifs (indices ``motifs``), reusing their null distributions and
    certificates. Hits name motifs by their place in the subset."""
    ix = [int(i) for i in motifs]
    matrices = [plan.matrices[i] for i in ix]
    thresholds = plan.thresholds[ix]
    dists = [plan.dists[i] for i in ix]
    certified = plan.certified.subset(ix) if plan.certified is not None else None
    scan_at = certified.scan_thresholds if certified is not None else thresholds
    return ScanPlan(matrices, [plan.names[i] for i in ix], thresholds, dists,
                    width_groups(matrices, scan_at, plan.step), plan.overlap, plan.dtype, PvalueTable(dists, scan_at),
                    plan.rna, certified, plan.step)
