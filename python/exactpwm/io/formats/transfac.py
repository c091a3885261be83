"""TRANSFAC matrix format (as exported by JASPAR and read by MEME's transfac2meme).

A record: two-letter keys (``AC`` accession, ``ID`` identifier, ``NA`` name,
``DE`` description, ``BF``, ``CC``, ``XX`` separators...), a matrix starting at
a ``P0`` (or ``PO``, both accepted) line naming the columns ``A C G T``, one row
per position (``01 n_A n_C n_G n_T [consensus letter]``), and ``//`` ending the
record. Rows may hold counts or probabilities (rows summing to 1 are read as
probabilities). The motif's name is its ``ID``, else ``AC``, else ``NA``.
"""

from __future__ import annotations

import numpy as np

from exactpwm.core.motif import Motif, MotifSet
from exactpwm.io.formats._text import Lines, fmt_number

__all__ = ["read_transfac", "write_transfac"]


def read_transfac(text: str, label: str) -> MotifSet:
    lines = Lines(text, label)
    motifs: list[Motif] = []
    fields: dict[str, str] = {}
    rows: list[np.ndarray] = []
    order = None
    start = None
    for lineno, line in lines:
        s = line.rstrip()
        if not s.strip():
            continue
        key, tok = s[:2], s.split()
        if key == "//":
            if order is not None or fields:
                motifs.append(_motif(lines, start, fields, order, rows, len(motifs)))
            fields, rows, order, start = {}, [], None, None
            continue
        if start is None:
            start = lineno
        if key in ("P0", "PO"):
            order = [c.upper().replace("U", "T") for c in tok[1:]]
            if sorted(order) != list("ACGT"):
                raise lines.error(lineno, f"expected columns A C G T after {key}, found {s[2:].strip()!r}")
        elif order is not None and tok[0].isdigit():
            if len(tok) < 5:
                raise lines.error(lineno, f"expected a position and 4 numbers, found {s.strip()!r}")
            rows.append(lines.numbers(lineno, tok[1:5], "a matrix row"))
        elif key in ("AC", "ID", "NA", "DE"):
            fields.setdefault(key, s[2:].strip())
        elif not (len(tok[0]) == 2 and tok[0].isalpha() and tok[0].isupper()):
            raise lines.error(lineno, f"expected a two-letter TRANSFAC key or a matrix row, found {s.strip()[:40]!r}")
    if order is not None or fields:
        motifs.append(_motif(lines, start, fields, order, rows, len(motifs)))  # a last record without '//'
    if not motifs:
        raise lines.error(1, "expected a TRANSFAC record with a P0 matrix, found none")
    return MotifSet(motifs, None, label)


def _motif(lines: Lines, start: int | None, fields: dict, order, rows, index: int = 0) -> Motif:
    start = 1 if start is None else start
    name = (fields.get("ID") or fields.get("AC") or fields.get("NA") or "").split()
    if order is None or not rows:
        raise lines.error(start, f"expected a P0 matrix in the record starting here ({' '.join(name) or 'no ID'})")
    if not name:  # Biopython writes records without AC/ID/NA: name them by their place in the file
        name = [f"motif{index}"]
    M = np.array(rows)[:, [order.index(b) for b in "ACGT"]].T
    meta = {k: v for k, v in (("accession", fields.get("AC")), ("description", fields.get("DE"))) if v}
    alt = fields.get("NA", "") if fields.get("NA", "").split()[:1] != name[:1] else ""
    try:
        if np.allclose(M.sum(axis=0), 1, atol=0.02):
            return Motif(name[0], M, alt_name=alt, meta=meta)
        return Motif.from_counts(name[0], M, alt_name=alt, meta=meta)
    except ValueError as exc:
        raise lines.error(start, str(exc)) from None


def write_transfac(motifs: MotifSet, f) -> None:
    for m in motifs:
        f.write(f"AC  {m.meta.get('accession', m.name)}\nXX\nID  {m.name}\nXX\n")
        if m.alt_name:
            f.write(f"NA  {m.alt_name}\nXX\n")
        if m.meta.get("description"):
            f.write(f"DE  {m.meta['description']}\nXX\n")
        f.write("P0      A      C      G      T\n")
        M = m.counts if m.counts is not None else m.pwm
        consensus = m.consensus().upper()
        for j, col in enumerate(M.T):
            f.write(f"{j + 1:02d}  " + "  ".join(f"{fmt_number(x):>8}" for x in col) + f"  {consensus[j]}\n")
        f.write("XX\n//\n")
