"""Scanning parts of a genome and reporting hits in the genome's coordinates.

* :func:`parse_genomic_name`: a sequence named ``chr2:1001-1100`` (UCSC style, as FIMO's
  ``--parse-genomic-coord`` reads it: the start is 1-based) or Galaxy's ``hg38_chr2_1001_1100_+``
  lies on chr2 from 0-based position 1000; ``style="bed"`` reads the start as 0-based instead,
  as ``bedtools getfasta`` writes it.
* :class:`GenomicCoordinates`: moves hit rows from such sequences onto their chromosomes.
* :func:`read_bed` and :func:`region_sequences`: the regions of a BED file, fetched from an
  indexed FASTA (plain, or bgzip with ``.fai`` and ``.gzi``) through pysam.

Coordinates are 0-based half-open inside Python (as BED); hit files convert as their format says.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from exactpwm.core.errors import ExactpwmWarning
from exactpwm.io.htsfiles import fetch_checked, open_indexed

__all__ = ["GenomicCoordinates", "Region", "fetch_regions", "parse_genomic_name", "read_bed", "region_sequences",
           "region_spans"]

_UCSC = re.compile(r"([^\s:]+):([0-9]+)-([0-9]+)(\([+-]\))?(_\S+)?")
_GALAXY = re.compile(r"([^\s_]+_[^\s_]+)_([0-9]+)_([0-9]+)(_[+-])?")
STYLES = ("ucsc", "bed")


def parse_genomic_name(name: str, style: str = "ucsc") -> tuple[str, int] | None:
    """(chromosome, 0-based offset of the sequence's first base) from a name holding genomic
    coordinates, or None when it holds none.

    style : "ucsc" -- ``chr:start-end`` with a 1-based start (UCSC, and FIMO's
        ``--parse-genomic-coord``; Galaxy's ``genome_chr_start_end[_strand]`` too);
        "bed" -- the same names with a 0-based start, as ``bedtools getfasta`` writes them
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    m = _UCSC.search(name) or _GALAXY.search(name)
    if m is None:
        return None
    start = int(m.group(2))
    return m.group(1), (start if style == "bed" else max(start - 1, 0))


class GenomicCoordinates:
    """Moves hit rows onto chromosomes: a sequence whose name holds coordinates becomes its
    chromosome, its hits shifted by its offset; other names stay as they are.

    names : the output sequence names (chromosomes), which the mapped rows' ``sequence`` indexes
    """

    def __init__(self, style: str = "ucsc"):
        if style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {style!r}")
        self.style = style
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self._target = np.zeros(0, np.int64)
        self._offset = np.zeros(0, np.int64)

    def map_rows(self, rows: np.ndarray, input_names: Sequence[str]) -> np.ndarray:
        """``rows`` (hit rows naming ``input_names``) in genomic coordinates, in place."""
        seen = self._target.size
        if len(input_names) > seen:
            target, offset = [], []
            for name in input_names[seen:]:
                parsed = parse_genomic_name(name, self.style)
                chrom, off = parsed if parsed is not None else (name, 0)
                if chrom not in self._index:
                    self._index[chrom] = len(self.names)
                    self.names.append(chrom)
                target.append(self._index[chrom])
                offset.append(off)
            self._target = np.concatenate([self._target, np.asarray(target, np.int64)])
            self._offset = np.concatenate([self._offset, np.asarray(offset, np.int64)])
        if len(rows):
            seq = rows["sequence"]
            shift = self._offset[seq]
            rows["start"] += shift
            rows["end"] += shift
            rows["sequence"] = self._target[seq]
        return rows

    def shift_maxima(self, best) -> None:
        """A :class:`exactpwm.SequenceMaxima`'s starts moved onto the chromosomes, in place: each
        sequence keeps its own row and name (a region ``chrom:start-end``); where its name holds
        coordinates, its best windows' starts are shifted by its offset."""
        offsets = np.array([(parse_genomic_name(n, self.style) or (n, 0))[1] for n in best.sequence_names],
                           np.int64)
        found = best.start >= 0
        best.start[found] = (best.start + offsets[:, None])[found]


Region = tuple[str, int, int]  # chromosome, 0-based start, end (half-open)


def read_bed(path: str) -> list[Region]:
    """(chrom, start, end) of every interval of a BED file (3 or more tab- or space-separated
    columns; ``#``, ``track`` and ``browser`` lines skipped); errors name the file and line."""
    out: list[Region] = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            tok = line.split()
            if not tok or tok[0].startswith("#") or tok[0] in ("track", "browser"):
                continue
            if len(tok) < 3:
                raise ValueError(f"{path}, line {lineno}: a BED line needs chrom, start and end, "
                                 f"found {line.strip()[:60]!r}")
            try:
                start, end = int(tok[1]), int(tok[2])
            except ValueError:
                raise ValueError(f"{path}, line {lineno}: start and end must be integers, "
                                 f"found {tok[1]!r} and {tok[2]!r}") from None
            if start < 0 or end < start:
                raise ValueError(f"{path}, line {lineno}: expected 0 <= start <= end, found {start} and {end}")
            out.append((tok[0], start, end))
    if not out:
        raise ValueError(f"{path}: no regions (expected BED lines: chrom, start, end)")
    return out


def region_sequences(fasta: str, regions: Sequence[Region], *, merge: bool = True) -> Iterator[tuple[str, str]]:
    """(name, letters) of each region of an indexed FASTA, named ``chrom:start+1-end`` (UCSC style,
    which :class:`GenomicCoordinates` maps back), in the FASTA's chromosome order then by start.

    Regions that overlap or touch are merged first (``merge``), so each window of their union is
    scanned once. An end past the chromosome's end is cut there (with a warning); a chromosome the
    FASTA does not hold is an error. Letters keep the file's case.
    """
    return fetch_regions(fasta, region_spans(fasta, regions, merge=merge))


def region_spans(fasta: str, regions: Sequence[Region], *, merge: bool = True) -> list[tuple[str, int, int]]:
    """The (chrom, start, end) spans :func:`region_sequences` reads, in its order (checked, cut at
    the chromosomes' ends, merged when ``merge``)."""
    fa = open_indexed(fasta)
    try:
        lengths = dict(zip(fa.references, fa.lengths))
        order = {c: i for i, c in enumerate(fa.references)}
        names = list(fa.references)
    finally:
        fa.close()
    missing = sorted({c for c, _, _ in regions if c not in lengths})
    if missing:
        raise ValueError(f"{fasta} holds no sequence named {', '.join(missing[:5])}"
                         f"{' and more' if len(missing) > 5 else ''} (the BED's chromosomes must be the FASTA's); "
                         f"its {len(names):,} sequences are {', '.join(names[:10])}"
                         f"{', ...' if len(names) > 10 else ''}")
    cut = sum(1 for c, _, e in regions if e > lengths[c])
    if cut:
        warnings.warn(f"{cut} regions end past their chromosome's end: cut there", ExactpwmWarning, stacklevel=3)
    spans = sorted(((c, min(s, lengths[c]), min(e, lengths[c])) for c, s, e in regions),
                   key=lambda r: (order[r[0]], r[1], r[2]))
    if merge:
        merged: list[list] = []
        for c, s, e in spans:
            if merged and merged[-1][0] == c and s <= merged[-1][2]:
                merged[-1][2] = max(merged[-1][2], e)
            else:
                merged.append([c, s, e])
        spans = [(c, s, e) for c, s, e in merged]
    return spans


def fetch_regions(fasta: str, spans: Sequence[tuple[str, int, int]]) -> Iterator[tuple[str, str]]:
    """(``chrom:start+1-end``, letters) of each span of an indexed FASTA, one at a time."""
    fa = open_indexed(fasta)

    def fetch() -> Iterator[tuple[str, str]]:
        try:
            for c, s, e in spans:
                yield f"{c}:{s + 1}-{e}", fetch_checked(fa, fasta, c, s, e)
        finally:
            fa.close()

    return fetch()
