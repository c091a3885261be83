"""MEME background files: the 0-order A, C, G, T frequencies a scan's null model uses.

Lines ``A 0.3`` (U read as T), ``#`` comments; entries of longer k-mers (higher-order models)
are ignored. Errors name the file and line.
"""

from __future__ import annotations

import numpy as np

from exactpwm.core.matrices import as_background

__all__ = ["read_background_file"]


def read_background_file(path: str) -> np.ndarray:
    """(4,) float64 0-order frequencies from a MEME background file ('A 0.3' lines; '#' comments;
    longer k-mers of higher-order models ignored)."""
    freqs: dict[str, float] = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            tok = line.split("#", 1)[0].split()
            if not tok:
                continue
            if len(tok) != 2:
                raise ValueError(f"{path}:{lineno}: expected 'letter frequency', found {line.strip()!r}")
            if len(tok[0]) == 1:
                try:
                    freqs[tok[0].upper().replace("U", "T")] = float(tok[1])
                except ValueError:
                    raise ValueError(f"{path}:{lineno}: expected a frequency, found {tok[1]!r}") from None
    missing = [b for b in "ACGT" if b not in freqs]
    if missing:
        raise ValueError(f"{path}: no background frequency for {', '.join(missing)}")
    try:
        return as_background([freqs[b] for b in "ACGT"])
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
