"""Motif files: MEME, JASPAR (.jaspar and bare .pfm), TRANSFAC and HOMER, read and written.

``read_motifs(path)`` picks the format from the file name, else from the
content; ``write_motifs(motifs, path, format)`` writes atomically and never over
the file the motifs were read from. Files may be gzip/xz/bzip2-compressed; ``-``
reads standard input. Malformed files raise :class:`MotifFormatError` with the
file name, line number and what was expected.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from exactpwm.core.motif import Motif, MotifSet
from exactpwm.core.types import Motifs, PathOrFile
from exactpwm.io.files import atomic_output, same_file
from exactpwm.io.formats._text import MotifFormatError, read_text
from exactpwm.io.formats._text import is_number as _is_number
from exactpwm.io.formats.homer import read_homer, write_homer
from exactpwm.io.formats.jaspar import read_jaspar, read_pfm, write_jaspar, write_pfm
from exactpwm.io.formats.meme import read_meme, write_meme
from exactpwm.io.formats.transfac import read_transfac, write_transfac

__all__ = ["FORMATS", "MotifFormatError", "detect_format", "read_motifs", "write_motifs", "as_motif_set"]

#: format name -> (reader(text, label) -> MotifSet, writer(MotifSet, file))
FORMATS: dict[str, tuple[Callable, Callable]] = {
    "meme": (read_meme, write_meme),
    "jaspar": (read_jaspar, write_jaspar),
    "pfm": (read_pfm, write_pfm),
    "transfac": (read_transfac, write_transfac),
    "homer": (read_homer, write_homer),
}

_EXTENSIONS = {
    ".meme": "meme", ".jaspar": "jaspar", ".pfm": "pfm", ".transfac": "transfac", ".tf": "transfac",
    ".dat": "transfac", ".motif": "homer", ".motifs": "homer", ".homer": "homer",
}


def format_from_name(path) -> str | None:
    """The format an extension names (.meme, .jaspar, .pfm, .transfac/.tf/.dat, .motif/.homer), or None."""
    name = os.fspath(path).lower() if isinstance(path, (str, os.PathLike)) else ""
    for z in (".gz", ".xz", ".bz2"):
        if name.endswith(z):
            name = name[: -len(z)]
    return _EXTENSIONS.get(os.path.splitext(name)[1])


def detect_format(text: str) -> str | None:
    """Guess the format of a motif file from its first lines (None if it looks like none)."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    if first.startswith("MEME version"):
        return "meme"
    if first[:2] in ("AC", "ID", "VV", "NA", "DE", "XX", "P0", "PO", "//"):
        return "transfac"
    if first.startswith(">"):
        if len(lines) > 1 and "[" in lines[1]:
            return "jaspar"
        if len(lines) > 1 and not all(_is_number(t) for t in lines[1].split()):
            return None  # e.g. FASTA
        rows = []
        for ln in lines[1:]:
            if ln.startswith(">"):
                break
            rows.append(len(ln.split()))
        header = first[1:].split("\t")
        if rows and set(rows) == {4} and (len(rows) != 4 or (len(header) > 2 and _is_number(header[2]))):
            return "homer"
        return "pfm" if len(rows) >= 4 else None
    if all(_is_number(t) for t in first.split()):
        return "pfm"
    return None


def read_motifs(source: PathOrFile, format: str | None = None) -> MotifSet:
    """Read a motif file (path, '-' or text file object) into a :class:`MotifSet`.

    format : one of ``FORMATS`` (meme, jaspar, pfm, transfac, homer); default:
        from the extension, else guessed from the content
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown motif format {format!r}; choose from {', '.join(FORMATS)}")
    text, label = read_text(source)
    fmt = format or format_from_name(source) or detect_format(text)
    if fmt is None:
        hint = " (it looks like FASTA: motifs come first, then sequences)" if text.lstrip().startswith(">") else ""
        raise MotifFormatError(f"{label}:1: cannot tell the motif format (expected MEME, JASPAR, PFM, "
                               f"TRANSFAC or HOMER); name it with format={hint}")
    return FORMATS[fmt][0](text, label)


def write_motifs(motifs: Motifs, out: PathOrFile, format: str | None = None) -> None:
    """Write motifs (a MotifSet, Motif list, or (K, 4, L) probabilities) to a path or text file.

    format : one of ``FORMATS``; default from the extension of ``out``. A path is
        written atomically and is never the file the motifs were read from.
    """
    ms = as_motif_set(motifs)
    fmt = format or format_from_name(out)
    if fmt is None:
        raise ValueError(f"cannot tell the motif format from {out!r}; give format= one of {', '.join(FORMATS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown motif format {fmt!r}; choose from {', '.join(FORMATS)}")
    if ms.source and not hasattr(out, "write") and same_file(out, ms.source):
        raise ValueError(f"refusing to overwrite {out}: the motifs were read from it")
    with atomic_output(out) as f:
        FORMATS[fmt][1](ms, f)


def as_motif_set(motifs, names=None) -> MotifSet:
    """A MotifSet from a MotifSet, a list of Motif, or PWMs ((K, 4, L) array or list of (4, L_i))."""
    if isinstance(motifs, MotifSet):
        return motifs
    if isinstance(motifs, Motif):
        return MotifSet([motifs])
    items = list(motifs) if not (isinstance(motifs, np.ndarray) and motifs.ndim == 2) else [motifs]
    if items and all(isinstance(m, Motif) for m in items):
        return MotifSet(items)
    names = [f"motif{i}" for i in range(len(items))] if names is None else list(names)
    if len(names) != len(items):
        raise ValueError(f"{len(names)} names for {len(items)} motifs")
    return MotifSet([Motif(n, np.asarray(p, dtype=np.float64)) for n, p in zip(names, items)])
