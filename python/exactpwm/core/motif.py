"""Motifs as users exchange them: a name, a (4, L) matrix, the counts behind it, a background.

Rows are A, C, G, T; columns are motif positions 5' -> 3'. The steps from
evidence to scores are explicit, as in the MEME suite::

    counts (or pwm x nsites) --pseudocount, background--> probabilities   Motif.probabilities()
    probabilities --background, base--> log-odds scores                    exactpwm.log_odds()

A motif read from a file that gives only probabilities (MEME, HOMER) gets
counts ``pwm * nsites`` for the pseudocount step, with ``nsites`` from the file
or 20 (the MEME suite's default) when the file does not say.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np

from exactpwm.core._checks import to_numpy
from exactpwm.core.errors import InputTypeError, NotFoundError
from exactpwm.core.matrices import DEFAULT_NSITES, as_background, counts_to_pwm, probabilities_with_pseudocount
from exactpwm.core.types import Background

# DEFAULT_NSITES: from matrices
__all__ = ["Motif", "MotifSet", "DEFAULT_NSITES", "PROBABILITY_TOLERANCE", "EXACT_PWM_URL"]

EXACT_PWM_URL = "exactpwm:exact-pwm"  # the URL line of a kernel's exact PWM in MEME files

#: how far a column of a probability matrix read from a file may sum from 1 (rounded files)
PROBABILITY_TOLERANCE = 0.02
#: columns summing to 1 within this keep their values; others are divided by their sum (MEME's rule)
NORMALIZE_TOLERANCE = 1e-5


@dataclass
class Motif:
    """One DNA motif.

    Attributes
    ----------
    name : str
        Identifier (MEME ``MOTIF`` id, JASPAR matrix id, HOMER/TRANSFAC name).
    pwm : (4, L) float64
        Probabilities, rows A, C, G, T; every column sums to 1 within 1e-5 (a column further from 1 is
        divided by its sum, as the MEME suite reads matrices; closer columns keep their values, so
        probabilities read from a file are the numbers FIMO and Tomtom use).
    counts : (4, L) float64 or None
        Counts when the source gave them.
    alt_name : str
        Second name (MEME alternate name, JASPAR TF name).
    nsites : int or None
        Number of sites behind the matrix, if known.
    meta : dict
        Format-specific extras kept for writing back (``evalue``, ``url``, ``homer_threshold``,
        TRANSFAC ``accession`` / ``description``).
    """

    name: str
    pwm: np.ndarray
    counts: np.ndarray | None = None
    alt_name: str = ""
    nsites: float | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.name = str(self.name)
        if not self.name or any(c.isspace() for c in self.name):
            raise ValueError(f"motif name must be non-empty without spaces, got {self.name!r}")
        self.pwm = _check_matrix(self.pwm, f"motif {self.name}: pwm")
        if self.counts is not None:
            self.counts = _check_matrix(self.counts, f"motif {self.name}: counts")
            if self.counts.shape != self.pwm.shape:
                raise ValueError(f"motif {self.name}: counts {self.counts.shape} and pwm {self.pwm.shape} differ")
        sums = self.pwm.sum(axis=0)
        bad = np.flatnonzero(np.abs(sums - 1) > PROBABILITY_TOLERANCE)
        if bad.size:
            raise ValueError(f"motif {self.name}: column {bad[0] + 1} of the probability matrix sums to "
                             f"{sums[bad[0]]:.6g}, not 1")
        off = np.abs(sums - 1) > NORMALIZE_TOLERANCE
        if off.any():
            self.pwm = np.where(off, self.pwm / sums, self.pwm)

    @classmethod
    def from_counts(cls, name: str, counts, *, pseudocount: float = 0.0, background=None, **kwargs) -> Motif:
        """A motif from (4, L) counts; ``pwm`` = counts -> probabilities with ``pseudocount``
        (total per column, spread by ``background``). Columns with no counts need a pseudocount."""
        C = _check_matrix(counts, f"motif {name}: counts")
        total = C.sum(axis=0)
        if pseudocount == 0 and (total <= 0).any():
            raise ValueError(f"motif {name}: column {int(np.argmax(total <= 0)) + 1} has no counts; "
                             "give a pseudocount > 0")
        pwm = counts_to_pwm(C, pseudocount, background)
        if kwargs.get("nsites") is None:
            kwargs["nsites"] = float(np.median(total))
        return cls(name, pwm, counts=C, **kwargs)

    @property
    def width(self) -> int:
        return self.pwm.shape[1]

    def probabilities(self, pseudocount: float = 0.0, background: Background = None) -> np.ndarray:
        """(4, L) probabilities with a pseudocount a = ``pseudocount``, per column: (n + a * bg) / (N + a)
        for the counts n (N their column sum) when the motif has them; otherwise the probabilities
        read as counts of the motif's sites, as the MEME suite reads them
        (:func:`exactpwm.core.matrices.probabilities_with_pseudocount`: the whole part of ``nsites``,
        20 when unknown)."""
        if not (np.isfinite(pseudocount) and pseudocount >= 0):
            raise ValueError(f"pseudocount must be a finite number >= 0, got {pseudocount!r}")
        if pseudocount == 0:
            return self.pwm.copy()
        if self.counts is not None:
            return counts_to_pwm(self.counts, pseudocount, background)
        return probabilities_with_pseudocount(self.pwm, pseudocount, background, self.nsites)

    @property
    def is_exact(self) -> bool:
        """True for the exact PWM of a kernel (``exactpwm convert``; kept in MEME files by the
        ``URL exactpwm:exact-pwm ...`` line): scanning it adds no pseudocount unless asked."""
        return bool(self.meta.get("exact")) or str(self.meta.get("url", "")).startswith(EXACT_PWM_URL)

    def consensus(self, threshold: float = 0.5) -> str:
        """Most likely base per column, lowercase 'n' where no base reaches ``threshold``."""
        best = self.pwm.argmax(axis=0)
        return "".join("ACGT"[b] if self.pwm[b, j] >= threshold else "n" for j, b in enumerate(best))

    def information(self, background: Background = None) -> np.ndarray:
        """(L,) information content in bits per column: sum p log2(p / bg)."""
        bg = as_background(background)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(self.pwm > 0, self.pwm * np.log2(self.pwm / bg), 0.0)
        return terms.sum(axis=0)

    def reverse_complement(self) -> Motif:
        """The motif read on the other strand (rows and columns reversed)."""
        rc = None if self.counts is None else self.counts[::-1, ::-1].copy()
        return Motif(self.name, self.pwm[::-1, ::-1].copy(), rc, self.alt_name, self.nsites, dict(self.meta))


class MotifSet(Sequence[Motif]):
    """An ordered collection of motifs with their background and where they came from.

    Attributes
    ----------
    background : (4,) float64
        0-order A, C, G, T frequencies (uniform unless the source gave them); the default null
        model of scans and of the pseudocount step.
    source : str or None
        The file (or database) the motifs were read from, if any.
    """

    def __init__(self, motifs=(), background=None, source: str | None = None):
        self.motifs: list[Motif] = list(motifs)
        self.background = as_background(background)
        self.source = source
        for m in self.motifs:
            if not isinstance(m, Motif):
                raise InputTypeError(f"MotifSet holds Motif objects, got {type(m).__name__}")

    @overload
    def __getitem__(self, key: int | str) -> Motif: ...
    @overload
    def __getitem__(self, key: slice) -> MotifSet: ...

    def __getitem__(self, key):
        if isinstance(key, str):
            for m in self.motifs:
                if m.name == key:
                    return m
            raise NotFoundError(f"no motif named {key!r}")
        if isinstance(key, slice):
            return MotifSet(self.motifs[key], self.background, self.source)
        return self.motifs[key]

    def __len__(self) -> int:
        return len(self.motifs)

    def __iter__(self) -> Iterator[Motif]:
        return iter(self.motifs)

    def __repr__(self) -> str:
        src = f", source={self.source!r}" if self.source else ""
        return f"MotifSet({len(self)} motifs{src})"

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.motifs]

    @property
    def widths(self) -> list[int]:
        return [m.width for m in self.motifs]

    def with_pseudocount(self, pseudocount: float, background: Background = None) -> MotifSet:
        """The set with ``pseudocount`` applied (as :meth:`Motif.probabilities`) to every motif
        except exact kernel PWMs (:attr:`Motif.is_exact`), which stay as they are."""
        out = [m if m.is_exact else Motif(m.name, m.probabilities(pseudocount, background), None, m.alt_name,
                                          m.nsites, dict(m.meta)) for m in self.motifs]
        return MotifSet(out, self.background, self.source)

    def select(self, names: Sequence[str]) -> MotifSet:
        """The motifs with these names (or alt names), in the order given; unknown names are an error."""
        out = []
        for n in names:
            found = [m for m in self.motifs if m.name == n] or [m for m in self.motifs if m.alt_name == n]
            if not found:
                raise NotFoundError(f"no motif named {n!r} (have: {', '.join(self.names[:10])}"
                               f"{', ...' if len(self) > 10 else ''})")
            out.extend(found)
        return MotifSet(out, self.background, self.source)

    def pwms(self, pseudocount: float = 0.0, background: Background = None) -> list[np.ndarray]:
        """(4, L_i) probabilities of every motif after the pseudocount step (see
        :meth:`Motif.probabilities`), spread by ``background`` (default: the set's)."""
        bg = self.background if background is None else background
        return [m.probabilities(pseudocount, bg) for m in self.motifs]


def _check_matrix(x, what: str) -> np.ndarray:
    M = to_numpy(x, what).astype(np.float64)
    if M.ndim != 2 or M.shape[0] != 4 or M.shape[1] < 1:
        raise ValueError(f"{what} must have shape (4, L) with rows A, C, G, T; got {M.shape}")
    if not np.isfinite(M).all():
        raise ValueError(f"{what} has a non-finite value")
    if (M < 0).any():
        raise ValueError(f"{what} has a negative entry")
    return np.ascontiguousarray(M)

