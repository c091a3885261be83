"""FIMO's way of reporting a scan: its background, strand choice, cap on stored hits, row order
and files, so that pipelines built on FIMO 5 read exactpwm's output unchanged.

The scan itself is exactpwm's (p-values and decisions certified for the real-valued matrix, see
:mod:`exactpwm.scanning.certified`);
what FIMO decides on top of it is here:

* background: MEME's NRDB frequencies by default (``--nrdb--``), or the motif file's
  (``--motif--``), uniform (``--uniform--``) or a MEME background file (0-order part), always
  averaged with its complement (the scan plan does that);
* ``--max-strand``: one strand per position, the higher score ('+' on ties, where FIMO draws
  at random);
* ``--max-stored-scores N``: per motif, at most N hits kept, the most significant, those tied at
  the cut dropped together (FIMO drops the least significant half whenever N is reached, so it
  may keep fewer);
* ``fimo.tsv`` (``--oc``): rows by p-value, q-values per motif, three closing comment lines;
  ``--text``: rows by motif, then sequence and position as scanned, no q-values, no comments;
* ``fimo.gff``: per motif and sequence by p-value, score column -10 log10(p) (at most 1000),
  FIMO's attributes.

Scores are printed as FIMO prints them (``%g``); ``matched_sequence`` echoes the input's letters.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from typing import IO, TextIO

import numpy as np

from exactpwm.core.errors import ExactpwmWarning
from exactpwm.core.matrices import as_background
from exactpwm.core.motif import MotifSet
from exactpwm.core.types import Strand
from exactpwm.scanning.hits import HitTable, HitWriter

__all__ = ["NRDB", "MotifOrderWriter", "best_strand_rows", "cap_stored", "fimo_background", "fimo_collect",
           "fimo_hits", "fimo_order", "fimo_rows", "keep_most_significant", "merge_cuts", "output_folder",
           "stream_fimo_text", "warn_capped", "write_fimo_gff", "write_fimo_tsv"]

# MEME's 0-order DNA frequencies of the non-redundant database (FIMO's default background)
NRDB = np.array([0.281774, 0.222020, 0.228876, 0.267330])
FORMAT_URL = "https://meme-suite.org/meme/doc/fimo-output-format.html"


def fimo_background(spec: str | None, motifs: MotifSet) -> np.ndarray:
    """(4,) float64 background as FIMO's ``--bfile``: None or ``"--nrdb--"`` (the default),
    ``"--motif--"`` (the motif file's), ``"--uniform--"``, or a MEME background file (its 0-order
    frequencies; a Markov model's longer k-mers are not used, as FIMO does)."""
    if spec in (None, "--nrdb--"):
        return NRDB.copy()
    if spec == "--motif--":
        return np.asarray(motifs.background, dtype=np.float64)
    if spec == "--uniform--":
        return as_background(None)
    from exactpwm.io.formats.background import read_background_file

    return read_background_file(spec)


def best_strand_rows(rows: np.ndarray) -> np.ndarray:
    """Rows with one strand per (motif, sequence, start): the higher score, '+' on a tie
    (FIMO's ``--max-strand``; FIMO breaks ties at random). Order is kept."""
    if len(rows) < 2:
        return rows
    order = np.lexsort((rows["strand"] != b"+", -rows["score"], rows["start"], rows["sequence"], rows["motif"]))
    r = rows[order]
    same = (r["motif"][1:] == r["motif"][:-1]) & (r["sequence"][1:] == r["sequence"][:-1]) & \
        (r["start"][1:] == r["start"][:-1])
    drop = np.zeros(len(rows), bool)
    drop[order[1:][same]] = True
    return rows[~drop]


def keep_most_significant(rows: np.ndarray, cap: int) -> tuple[np.ndarray, dict[int, float]]:
    """(rows, {motif: p cut}): per motif at most ``cap`` rows, those with p below the p-value of
    its (cap + 1)-th most significant row (so ties at the cut go together); order is kept."""
    if cap <= 0 or len(rows) <= cap:
        return rows, {}
    keep = np.ones(len(rows), bool)
    cuts: dict[int, float] = {}
    motifs, counts = np.unique(rows["motif"], return_counts=True)
    for k in motifs[counts > cap]:
        mine = np.flatnonzero(rows["motif"] == k)
        p = rows["pvalue"][mine]
        cut = float(np.partition(p, cap)[cap])
        keep[mine[p >= cut]] = False
        cuts[int(k)] = cut
    return rows[keep], cuts


def fimo_order(rows: np.ndarray) -> np.ndarray:
    """Indices putting rows in ``fimo.tsv``'s order: by p-value, then motif, sequence, start,
    strand ('+' first)."""
    return np.lexsort((rows["strand"] != b"+", rows["start"], rows["sequence"], rows["motif"], rows["pvalue"]))


def _closing_lines(f: IO[str], command: str, version: str) -> None:
    f.write(f"\n# exactpwm fimo (FIMO-compatible output): version {version}\n")
    f.write(f"# The format of this file is described at {FORMAT_URL}.\n")
    f.write(f"# {command}\n")


def write_fimo_tsv(f: IO[str], rows: np.ndarray, motif_names, sequence_names, alt_names, command: str,
                   version: str, threads: int = 0) -> None:
    """``fimo.tsv``: FIMO's columns, rows already in :func:`fimo_order`, closing comment lines
    (the program and its ``version``, the format's description, the command)."""
    w = HitWriter(f, "fimo", motif_names, sequence_names, alt_names, threads=threads)
    w.write(rows)
    _closing_lines(f, command, version)


def write_fimo_gff(f: IO[str], rows: np.ndarray, motif_names, sequence_names, alt_names) -> None:
    """``fimo.gff`` as FIMO 5 writes it: per motif, then sequence, by p-value; column 6 is
    -10 log10(p) (%3.3g, at most 1000); attributes Name=motif_sequence+strand, Alias (alt name),
    ID=motif-alt-n-sequence (n counts the motif's hits in the sequence), pvalue, qvalue (when
    computed), sequence. Source column: exactpwm."""
    f.write("##gff-version 3\n")
    r = rows[np.lexsort((rows["pvalue"], rows["sequence"], rows["motif"]))]
    if not len(r):
        return
    motif, seq = r["motif"].astype(np.int64), r["sequence"]
    new_group = np.ones(len(r), bool)
    new_group[1:] = (motif[1:] != motif[:-1]) | (seq[1:] != seq[:-1])
    first = np.maximum.accumulate(np.where(new_group, np.arange(len(r)), 0))
    n = np.arange(len(r)) - first + 1  # the hit's rank in its (motif, sequence) group
    p = r["pvalue"]
    with np.errstate(divide="ignore"):
        score = np.minimum(1000.0, -10.0 * np.log10(p))
    columns = zip(motif.tolist(), seq.tolist(), (r["start"] + 1).tolist(), r["end"].tolist(), score.tolist(),
                  r["strand"].astype("U1").tolist(), p.tolist(), r["qvalue"].tolist(),
                  r["matched"].astype("U").tolist(), n.tolist())
    out = []
    for k, s, start, end, sc, strand, pv, q, matched, i in columns:
        name, alt, sname = motif_names[k], alt_names[k], sequence_names[s]
        qv = "" if q != q else f"qvalue={q:.3g};"
        out.append(f"{sname}\texactpwm\tnucleotide_motif\t{start}\t{end}\t{sc:3.3g}\t{strand}\t.\t"
                   f"Name={name}_{sname}{strand};Alias={alt};ID={name}{'-' if alt else ''}{alt}-{i}-{sname};"
                   f"pvalue={pv:.3g};{qv}sequence={matched};\n")
        if len(out) >= 65536:
            f.write("".join(out))
            out = []
    f.write("".join(out))


class MotifOrderWriter:
    """``--text`` output: hits streamed chunk by chunk, written by motif (in the motif file's
    order), each motif's hits in scan order (sequence, start, strand).

    A single motif is written straight through; with several, each chunk's lines are spilled to a
    temporary file by motif and gathered at :meth:`close`, so memory stays bounded by a chunk.
    """

    def __init__(self, f: TextIO, motif_names, sequence_names, alt_names, threads: int = 0):
        self.f = f
        self.k = len(motif_names)
        self.text = HitWriter(f, "fimo", motif_names, sequence_names, alt_names, threads=threads)
        self._spill = tempfile.TemporaryFile() if self.k > 1 else None
        self._pieces: list[list[tuple[int, int]]] = [[] for _ in range(self.k)]

    def write(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        if self._spill is None:
            self.text.write(rows)
            return
        order = np.argsort(rows["motif"], kind="stable")
        rows = rows[order]
        bounds = np.searchsorted(rows["motif"], np.arange(self.k + 1))
        for k in range(self.k):
            a, b = int(bounds[k]), int(bounds[k + 1])
            if a == b:
                continue
            parts = self.text.format_engine(rows[a:b])
            if parts is None:
                parts = [self.text.format_python(rows[a:b]).encode("utf-8")]
            start = self._spill.tell()
            self._spill.writelines(parts)
            self._pieces[k].append((start, sum(map(len, parts))))

    def close(self) -> None:
        if self._spill is None:
            return
        spill = self._spill
        buffer = getattr(self.f, "buffer", None)
        self.f.flush()
        for pieces in self._pieces:
            for start, size in pieces:
                spill.seek(start)
                if buffer is not None:
                    shutil.copyfileobj(_Limited(spill, size), buffer)
                else:
                    self.f.write(spill.read(size).decode("utf-8"))
        if buffer is not None:
            buffer.flush()
        spill.close()


class _Limited:
    """Reads at most ``size`` bytes of a file (for shutil.copyfileobj)."""

    def __init__(self, f, size: int):
        self.f, self.left = f, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n)
        self.left -= len(data)
        return data


def warn_capped(cuts: dict[int, float], names, cap: int) -> None:
    """A warning per motif whose hits were cut to ``cap`` (FIMO's ``--max-stored-scores``)."""
    for k, cut in cuts.items():
        warnings.warn(f"motif {names[k]}: more than {cap} hits (--max-stored-scores); those with p-value >= "
                      f"{cut:.3g} were dropped", ExactpwmWarning, stacklevel=2)


def output_folder(path: str, clobber: bool) -> None:
    """Make FIMO's output folder: ``--oc`` (``clobber``) writes into an existing one; ``--o``
    refuses one that exists. A file of that name is never replaced."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path} exists and is not a folder: the output folder cannot be made there")
    if os.path.isdir(path) and not clobber:
        raise FileExistsError(f"{path} exists: --o does not write into an existing folder (use --oc to do so)")
    os.makedirs(path, exist_ok=True)


def _each_chunk(max_strand: bool, coords, names: list):
    def apply(rows: np.ndarray) -> np.ndarray:
        if max_strand:
            rows = best_strand_rows(rows)
        if coords is not None:
            rows = coords.map_rows(rows, names)
        return rows
    return apply


def fimo_hits(motifs: MotifSet, sequences, *, background: np.ndarray, thresh: float = 1e-4,
              qv_thresh: bool = False, qvalues: bool = True, strand: Strand = "both", max_strand: bool = False,
              max_stored: int = 100_000, pseudocount: float = 0.1, genomic: str | None = None,
              threads: int = 0, chunk_size: int = 1 << 23, backend: str = "auto",
              progress=None) -> tuple[HitTable, dict[int, float]]:
    """The hits FIMO 5 stores for its ``--oc`` files, and where ``max_stored`` cut them.

    Parameters
    ----------
    motifs : MotifSet
        Probabilities; ``pseudocount`` is added to their counts, spread by the background, as
        FIMO's ``--motif-pseudo``.
    sequences : as in :func:`exactpwm.scan`
    background : (4,) float64
        See :func:`fimo_background`; averaged with its complement here.
    thresh : float
        p-value threshold, or with ``qv_thresh`` a q-value threshold (then the sequences are
        scanned twice: q <= t needs p <= t / pi0, and pi0 is known after the first pass).
    qvalues : bool
        Per-motif q-values (Storey's pi0 from sampled windows) in ``rows['qvalue']``.
    strand : str
        "both" or "+" (FIMO's ``--norc``, or a motif file's ``strands: +``).
    max_strand : bool
        One strand per position (see :func:`best_strand_rows`).
    max_stored : int
        Per motif, at most this many hits (see :func:`keep_most_significant`).
    genomic : str or None
        "ucsc" or "bed" to read ``chr:start-end`` sequence names as coordinates (see
        :mod:`exactpwm.scanning.regions`); hits then name chromosomes.

    Returns
    -------
    (HitTable in fimo.tsv's order, {motif index: p-value cut}); ``matched`` echoes the input.
    """
    def collect(p: float):
        return fimo_collect(motifs, sequences, background=background, thresh=p, qvalues=qvalues or qv_thresh,
                            strand=strand, max_strand=max_strand, max_stored=max_stored, pseudocount=pseudocount,
                            genomic=genomic, threads=threads, chunk_size=chunk_size, backend=backend,
                            progress=progress)

    with warnings.catch_warnings():
        if qv_thresh:
            warnings.simplefilter("ignore")  # the first pass's notes repeat in the second
        plan, found, seq_names, cuts = collect(thresh)
    if qv_thresh:
        from exactpwm.core.pvalues import storey_pi0

        pi0 = min((storey_pi0(s) for s in found.samples if s.size), default=1.0)
        if pi0 < 1.0:
            plan, found, seq_names, cuts = collect(min(1.0, thresh / pi0))
    rows = fimo_rows(found, qvalues=qvalues, qv_thresh=thresh if qv_thresh else None)
    alts = [m.alt_name for m in motifs]
    return HitTable(rows, plan.names, seq_names, plan.thresholds, alts), cuts


def fimo_collect(motifs: MotifSet, sequences, *, background: np.ndarray, thresh: float, qvalues: bool,
                 strand: Strand, max_strand: bool, max_stored: int, pseudocount: float, genomic: str | None,
                 threads: int, chunk_size: int, backend: str, progress=None, records: tuple[int, int] | None = None,
                 first_position: int = 0, sample_stride: int = 1):
    """The hits FIMO stores at p <= ``thresh`` (at most ``max_stored`` per motif), with the window
    tests and p-value sample when ``qvalues``: (plan, :class:`~exactpwm.scanning.scan.Collected`,
    sequence names, {motif: p cut}). Arguments as in :func:`fimo_hits`; ``records``,
    ``first_position`` and ``sample_stride`` scan a part of a FASTA file (see
    :func:`exactpwm.scanning.scan.collect_hits`)."""
    from exactpwm.scanning.plan import plan_scan
    from exactpwm.scanning.regions import GenomicCoordinates
    from exactpwm.scanning.scan import collect_hits

    plan = plan_scan(motifs, pvalue=thresh, background=background, pseudocount=pseudocount, base=2.0,
                     threads=threads)
    names: list[str] = []
    coords = GenomicCoordinates(genomic) if genomic else None
    cuts: dict[int, float] = {}

    def shrink(rows: np.ndarray) -> np.ndarray:
        return cap_stored(rows, max_stored, cuts)

    found = collect_hits(plan, sequences, strand=strand, tests=qvalues, chunk_size=chunk_size, threads=threads,
                         backend=backend, progress=progress, input_letters=True, sequence_names=names,
                         each_chunk=_each_chunk(max_strand, coords, names), shrink=shrink,
                         shrink_above=2 * max_stored * len(plan.names), records=records,
                         first_position=first_position, sample_stride=sample_stride)
    found.hits = shrink(found.hits)
    return plan, found, (coords.names if coords is not None else names), cuts


def cap_stored(rows: np.ndarray, cap: int, cuts: dict[int, float]) -> np.ndarray:
    """FIMO's ``--max-stored-scores`` over hits that arrive in pieces: rows at or above a motif's
    cut so far (``cuts``, updated) are dropped, then :func:`keep_most_significant`. However the
    hits are cut into pieces (chunks, parts), what is left in the end is, per motif, the hits with
    p below the (cap + 1)-th smallest p of all its hits, and ``cuts`` holds that p."""
    if cuts and len(rows):
        limit = np.full(int(rows["motif"].max()) + 1, np.inf)
        for k, c in cuts.items():
            if k < limit.size:
                limit[k] = c
        rows = rows[rows["pvalue"] < limit[rows["motif"]]]
    rows, cut = keep_most_significant(rows, cap)
    merge_cuts(cuts, cut)
    return rows


def merge_cuts(cuts: dict[int, float], more: dict[int, float]) -> dict[int, float]:
    """Fold ``more`` {motif: p cut} into ``cuts`` (the lower cut of a motif wins); returns ``cuts``."""
    for k, c in more.items():
        cuts[int(k)] = min(float(c), cuts.get(int(k), float(c)))
    return cuts


def fimo_rows(found, *, qvalues: bool, qv_thresh: float | None = None) -> np.ndarray:
    """The stored hits of ``found`` (:class:`~exactpwm.scanning.scan.Collected`) as ``fimo.tsv``
    lists them: per-motif q-values when ``qvalues`` (then, with ``qv_thresh``, q <= it only), in
    :func:`fimo_order`."""
    rows = found.hits
    if qvalues:
        found.add_qvalues("motif")
        rows = found.hits
    if qv_thresh is not None:
        rows = rows[rows["qvalue"] <= qv_thresh]
    return rows[fimo_order(rows)]


def stream_fimo_text(out: TextIO, motifs: MotifSet, sequences, *, background: np.ndarray, thresh: float = 1e-4,
                     strand: Strand = "both", max_strand: bool = False, pseudocount: float = 0.1,
                     genomic: str | None = None, skip_matched: bool = False, threads: int = 0,
                     chunk_size: int = 1 << 23, backend: str = "auto", progress=None) -> int:
    """FIMO's ``--text`` output to ``out``: no q-values, rows by motif then sequence, position and
    strand, memory bounded by a chunk (see :class:`MotifOrderWriter`). Arguments as in
    :func:`fimo_hits`; ``skip_matched`` leaves matched_sequence empty. Returns the number of hits.
    """
    from exactpwm.scanning.plan import plan_scan
    from exactpwm.scanning.regions import GenomicCoordinates
    from exactpwm.scanning.scan import iter_scan

    plan = plan_scan(motifs, pvalue=thresh, background=background, pseudocount=pseudocount, base=2.0,
                     threads=threads)
    names: list[str] = []
    coords = GenomicCoordinates(genomic) if genomic else None
    apply = _each_chunk(max_strand, coords, names)
    w = MotifOrderWriter(out, plan.names, coords.names if coords is not None else names,
                         [m.alt_name for m in motifs], threads=threads)
    n = 0
    for chunk in iter_scan(plan, sequences, strand=strand, chunk_size=chunk_size, threads=threads, backend=backend,
                           input_letters=not skip_matched, progress=progress):
        names[len(names):] = chunk.sequence_names[len(names):]  # the writer's list: the names read so far
        rows = apply(chunk.rows)
        if skip_matched:
            rows["matched"] = b""
        w.write(rows)
        n += len(rows)
    w.close()
    return n
