"""JASPAR count matrices: the ``.jaspar`` format (headers, ``A [ ... ]`` rows) and bare ``.pfm``.

``.jaspar``::

    >MA0004.1 Arnt
    A  [ 4 19  0  0  0  0 ]
    C  [16  0 20  0  0  0 ]
    G  [ 0  1  0 20  0 20 ]
    T  [ 0  0  0  0 20  0 ]

``.pfm``: four rows of counts (A, C, G, T) without letters or brackets, with or
without a ``>id name`` header line; several motifs need headers. Counts may be
fractional. Motifs read from either keep their counts; their probabilities are
counts / column total (no pseudocount: add one with ``Motif.probabilities``).
"""

from __future__ import annotations

import os

import numpy as np

from exactpwm.core.motif import DEFAULT_NSITES, Motif, MotifSet
from exactpwm.io.formats._text import Lines, fmt_number

__all__ = ["read_jaspar", "write_jaspar", "read_pfm", "write_pfm"]


def read_jaspar(text: str, label: str) -> MotifSet:
    return _read(text, label, bracketed=True)


def read_pfm(text: str, label: str) -> MotifSet:
    return _read(text, label, bracketed=False)


def _read(text: str, label: str, bracketed: bool) -> MotifSet:
    lines = Lines(text, label)
    motifs: list[Motif] = []
    while lines.peek() is not None:
        lineno, line = lines.next("a '>id name' header")
        if line.startswith(">"):
            tok = line[1:].split(None, 1)
            if not tok:
                raise lines.error(lineno, "expected '>id name', found an empty header")
            name, alt = tok[0], (tok[1].strip() if len(tok) > 1 else "")
        elif bracketed:
            raise lines.error(lineno, f"expected a '>id name' header, found {line.strip()[:40]!r}")
        else:  # a bare .pfm: the rows start at once
            if motifs:
                raise lines.error(lineno, "expected a '>id name' header before the next motif's rows")
            lines.i -= 1
            name, alt = _stem(label), ""
        rows = [_row(lines, b, bracketed, name) for b in "ACGT"]
        widths = {r[1].size for r in rows}
        if len(widths) != 1:
            raise lines.error(rows[0][0], f"expected four rows of equal length for motif {name}, "
                                          f"found lengths {[r[1].size for r in rows]}")
        try:
            motifs.append(Motif.from_counts(name, np.array([r[1] for r in rows]), alt_name=alt))
        except ValueError as exc:
            raise lines.error(rows[0][0], str(exc)) from None
    if not motifs:
        raise lines.error(1, "expected a count matrix, found an empty file")
    return MotifSet(motifs, None, label)


def _row(lines: Lines, base: str, bracketed: bool, name: str) -> tuple[int, np.ndarray]:
    lineno, line = lines.next(f"the {base} row of motif {name}")
    s = line.strip()
    if bracketed:
        letter, _, rest = s.partition("[")
        if letter.strip().upper() != base or not rest.rstrip().endswith("]"):
            raise lines.error(lineno, f"expected '{base} [ counts ]' for motif {name}, found {s[:40]!r}")
        fields = rest.rstrip()[:-1].split()
    else:
        fields = s.split()
        if fields and fields[0].upper() == base:  # tolerate a leading letter
            fields = fields[1:]
    if not fields:
        raise lines.error(lineno, f"expected counts in the {base} row of motif {name}, found none")
    return lineno, lines.numbers(lineno, fields, f"the {base} row of motif {name}")


def _stem(label: str) -> str:
    base = os.path.basename(label)
    for ext in (".gz", ".xz", ".bz2", ".pfm", ".txt"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return "".join(c if not c.isspace() else "_" for c in base) or "motif"


def _counts(m: Motif) -> np.ndarray:
    """The motif's counts, or its probabilities x nsites (20 when unknown) when it has none."""
    if m.counts is not None:
        return m.counts
    return m.pwm * (m.nsites or DEFAULT_NSITES)


def write_jaspar(motifs: MotifSet, f) -> None:
    for m in motifs:
        f.write(f">{m.name}\t{m.alt_name}\n".replace("\t\n", "\n"))
        C = _counts(m)
        for b, row in zip("ACGT", C):
            f.write(f"{b}  [ " + " ".join(f"{fmt_number(x):>6}" for x in row) + " ]\n")


def write_pfm(motifs: MotifSet, f) -> None:
    for m in motifs:
        f.write(f">{m.name}\t{m.alt_name}\n".replace("\t\n", "\n"))
        for row in _counts(m):
            f.write("\t".join(fmt_number(x) for x in row) + "\n")
