"""Motif patterns built from aligned seqlets: the contribution-weight matrix (CWM), the hypothetical
CWM, the PFM and the seqlets behind them, as TF-MoDISco builds them.

A pattern is a set of equal-width windows (sequence, start, strand) over the attribution maps, all
aligned to one frame: position p of the pattern is base ``start + p`` of a ``+`` window and base
``start + width - 1 - p`` (complemented) of a ``-`` window. Its matrices are means over the windows
(positions outside a sequence count as zeros). Conventions as :mod:`exactpwm.interpret.seqlet_similarity`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from exactpwm.core.motif import Motif

__all__ = ["Pattern", "build_pattern", "information_content"]


@dataclass
class Pattern:
    """One motif pattern.

    Attributes
    ----------
    name : str
        ``pos_pattern_0``, ``neg_pattern_1``, ... (modisco-lite's names)
    sign : int
        +1 for a pattern of positive contributions, -1 for negative
    sequence, start : (n,) int64
        Each seqlet's map and the first base of its window (may lie outside the sequence; zeros there)
    minus : (n,) bool
        Whether the window is read as the reverse complement
    cwm, hcwm, pfm : (4, width) float64
        Mean contributions, mean hypothetical contributions, letter frequencies (N and positions
        off the sequence count in no column, so a column may sum to less than 1 at the edges)
    similarity : (n,) float32
        Each seqlet's continuous Jaccard similarity with the pattern it was aligned to
    subpatterns : list of Pattern
        Subclusters of the seqlets (TF-MoDISco's subpatterns), largest first
    """

    name: str
    sign: int
    sequence: np.ndarray
    start: np.ndarray
    minus: np.ndarray
    cwm: np.ndarray
    hcwm: np.ndarray
    pfm: np.ndarray
    similarity: np.ndarray
    subpatterns: list = field(default_factory=list)

    @property
    def n_seqlets(self) -> int:
        return int(self.sequence.size)

    @property
    def width(self) -> int:
        return int(self.cwm.shape[1])

    def trim_span(self, threshold: float = 0.3) -> tuple[int, int]:
        """[first, end) of the positions from the first to the last whose summed absolute CWM is at least
        ``threshold`` times the largest (modisco-lite's report trims the same way)."""
        imp = np.abs(self.cwm).sum(axis=0)
        keep = np.flatnonzero(imp >= threshold * imp.max()) if imp.max() > 0 else np.arange(self.width)
        return int(keep[0]), int(keep[-1]) + 1

    def core_span(self, threshold: float = 0.3, gap: int = 2) -> tuple[int, int]:
        """[first, end) of the strongest block of positions with at least ``threshold`` times the
        largest summed absolute CWM, blocks being split where ``gap`` or more positions in a row fall
        below it (so a pattern holding two sites gives the stronger site)."""
        imp = np.abs(self.cwm).sum(axis=0)
        if imp.max() <= 0:
            return 0, self.width
        keep = np.flatnonzero(imp >= threshold * imp.max())
        cuts = np.flatnonzero(np.diff(keep) > gap) + 1
        blocks = np.split(keep, cuts)
        best = max(blocks, key=lambda b: (imp[b[0]:b[-1] + 1].sum(), -b[0]))
        return int(best[0]), int(best[-1]) + 1

    def motif(self, kind: str = "pfm", *, trim: float | None = 0.3) -> Motif:
        """The pattern as a :class:`exactpwm.Motif` (probabilities), trimmed (``trim=None``: whole).

        kind : "pfm" (letter frequencies, ``nsites`` the seqlet count) or "cwm" (the CWM's
        magnitudes made into probabilities per column, as modisco-lite's report does for Tomtom)
        """
        lo, hi = self.trim_span(trim) if trim is not None else (0, self.width)
        if kind == "pfm":
            m = self.pfm[:, lo:hi] + 1e-9
        elif kind == "cwm":
            m = np.abs(self.cwm[:, lo:hi]) + 1e-12
        else:
            raise ValueError(f"kind must be 'pfm' or 'cwm', got {kind!r}")
        m = m / m.sum(axis=0)
        return Motif(self.name, m, alt_name=f"{kind}:{self.n_seqlets}_seqlets", nsites=self.n_seqlets)


def information_content(pfm: np.ndarray, background: np.ndarray | None = None,
                        pseudocount: float = 0.001) -> np.ndarray:
    """(width,) bits of each column of a (4, width) frequency matrix against ``background`` (uniform)."""
    bg = np.full(4, 0.25) if background is None else np.asarray(background, np.float64)
    p = (np.asarray(pfm, np.float64) + pseudocount)
    p = p / p.sum(axis=0)
    return (p * np.log2(p / bg[:, None])).sum(axis=0)


def build_pattern(name: str, sign: int, hypothetical: np.ndarray, one_hot: np.ndarray, sequence: np.ndarray,
                  start: np.ndarray, minus: np.ndarray, width: int, similarity: np.ndarray | None = None) -> Pattern:
    """The pattern of these windows: means of their (S, width, 4) windows of ``hypothetical`` and
    ``one_hot`` (N, 4, L) (see :func:`exactpwm.interpret.seqlet_similarity.windows`)."""
    from exactpwm.interpret.seqlet_similarity import windows

    hyp = windows(hypothetical, sequence, start, width, minus).astype(np.float64)
    oh = windows(one_hot, sequence, start, width, minus).astype(np.float64)
    n = max(len(sequence), 1)
    hcwm = hyp.sum(axis=0).T / n
    cwm = (hyp * oh).sum(axis=0).T / n
    pfm = oh.sum(axis=0).T / n
    sim = np.ones(len(sequence), np.float32) if similarity is None else np.asarray(similarity, np.float32)
    return Pattern(name, int(sign), np.asarray(sequence, np.int64), np.asarray(start, np.int64),
                   np.asarray(minus, bool), cwm, hcwm, pfm, sim)
