"""HOMER ``.motif`` files: a header line, then one row of A C G T probabilities per position.

Header (tab-separated): ``>consensus  name  log-odds threshold  [log p-value  0  stats...]``.
The threshold is HOMER's detection cutoff in natural-log odds against a uniform
background; it is kept in ``Motif.meta['homer_threshold']`` and written back. A
motif without one gets the score of p = 1e-4 (uniform background, natural log,
pseudocount 0.01 per base), a cutoff close to what HOMER itself would choose.
"""

from __future__ import annotations

import numpy as np

from exactpwm.core.motif import Motif, MotifSet
from exactpwm.io.formats._text import Lines

__all__ = ["read_homer", "write_homer", "DEFAULT_HOMER_PVALUE"]

DEFAULT_HOMER_PVALUE = 1e-4


def read_homer(text: str, label: str) -> MotifSet:
    lines = Lines(text, label)
    motifs = []
    while lines.peek() is not None:
        lineno, line = lines.next("a '>consensus<TAB>name<TAB>threshold' header")
        if not line.startswith(">"):
            raise lines.error(lineno, f"expected a '>consensus<TAB>name<TAB>threshold' header, "
                                      f"found {line.strip()[:40]!r}")
        tok = line[1:].rstrip("\r\n").split("\t")
        consensus = tok[0].strip()
        name = tok[1].strip() if len(tok) > 1 and tok[1].strip() else consensus
        meta: dict[str, object] = {"homer_consensus": consensus}
        if len(tok) > 2 and tok[2].strip():
            try:
                meta["homer_threshold"] = float(tok[2])
            except ValueError:
                raise lines.error(lineno, f"expected a number (log-odds threshold) in the third field, "
                                          f"found {tok[2]!r}") from None
        if len(tok) > 3:
            meta["homer_extra"] = "\t".join(tok[3:])
        rows = []
        while (nxt := lines.peek()) is not None and not nxt.startswith(">"):
            rlineno, row = lines.next("a row of 4 probabilities")
            fields = row.split()
            if len(fields) != 4:
                raise lines.error(rlineno, f"expected 4 numbers (A C G T) per row of motif {name}, found {len(fields)}")
            rows.append(lines.numbers(rlineno, fields, f"a row of motif {name}"))
        if not rows:
            raise lines.error(lineno + 1, f"expected rows of 4 probabilities for motif {name}, found none")
        try:
            motifs.append(Motif(name.replace(" ", "_"), np.array(rows).T, meta=meta))
        except ValueError as exc:
            raise lines.error(lineno, str(exc)) from None
    if not motifs:
        raise lines.error(1, "expected a HOMER motif ('>consensus<TAB>name<TAB>threshold'), found an empty file")
    return MotifSet(motifs, None, label)


def default_threshold(m: Motif) -> float:
    """Natural-log odds score (uniform background, pseudocount 0.01) at p = 1e-4, at most the best score."""
    from exactpwm.core.pvalues import ScoreDistribution

    S = np.log((m.pwm + 0.01) / (1 + 0.04) / 0.25)
    return float(min(ScoreDistribution(S).threshold(DEFAULT_HOMER_PVALUE), S.max(axis=0).sum()))


def write_homer(motifs: MotifSet, f) -> None:
    for m in motifs:
        thr = m.meta.get("homer_threshold")
        thr = default_threshold(m) if thr is None else thr
        extra = m.meta.get("homer_extra")
        consensus = m.meta.get("homer_consensus") or m.consensus(0.5).upper()
        f.write(f">{consensus}\t{m.name}\t{thr:.6f}" + (f"\t{extra}" if extra else "") + "\n")
        for col in m.pwm.T:
            f.write("\t".join(f"{p:.6f}" for p in col) + "\n")
