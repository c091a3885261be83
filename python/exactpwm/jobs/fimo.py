"""The FIMO job: ``exactpwm fimo`` is :func:`run_fimo`, FIMO 5's options, defaults and files
(``fimo.tsv`` and ``fimo.gff`` in a folder, or the ``--text`` stream) over exactpwm's scan. What FIMO
decides on top of a scan (background, strand choice, cap on stored hits, row orders) is in
:mod:`exactpwm.scanning.fimo`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from exactpwm.jobs.common import Log, MotifSource, OptionsError, check_inputs, check_outputs, load_motifs, stderr_log
from exactpwm.jobs.scan import scan_strand

__all__ = ["FimoOptions", "FimoResult", "run_fimo", "write_fimo_folder"]


@dataclass
class FimoOptions:
    """FIMO 5's options (``exactpwm fimo --help``), with FIMO's defaults.

    folder, clobber : the output folder (``--oc DIR``: written into if it exists, ``clobber``; ``--o
        DIR``: must not exist); ignored with ``text``
    text : write the TSV stream to ``stream`` (stdout), by motif, no q-values (``--text``)
    bfile : ``--nrdb--`` (default), ``--motif--``, ``--uniform--`` or a MEME background file
    regions : a BED file over an indexed FASTA (exactpwm's addition); hits in genomic coordinates
    verbosity : 1 errors only; 2 and above warnings and notes (on ``log``)
    part, part_file : ``(i, n)`` (0-based) and a path: scan only part i of n of the FASTA file's
    records (or of the merged ``regions``) and write a part file there
    (:mod:`exactpwm.scanning.parts`); ``exactpwm merge -o DIR`` turns the n parts into the folder
    this run without ``part`` writes (with ``text``, ``exactpwm merge [-o FILE]`` writes the stream);
    not with ``qv_thresh``
    """

    motifs: MotifSource
    sequences: str
    folder: str = "fimo_out"
    clobber: bool = True
    text: bool = False
    skip_matched_sequence: bool = False
    bfile: str = "--nrdb--"
    thresh: float = 1e-4
    qv_thresh: bool = False
    no_qvalue: bool = False
    norc: bool = False
    max_strand: bool = False
    max_stored_scores: int = 100_000
    motif_pseudo: float = 0.1
    parse_genomic_coord: bool = False
    regions: str | None = None
    verbosity: int = 2
    threads: int = 0
    chunk_size: int = 1 << 23
    backend: str = "auto"
    part: tuple[int, int] | None = None
    part_file: str | None = None
    argv: Sequence[str] | None = None
    stream: TextIO | None = None


@dataclass
class FimoResult:
    """The hits written and the files (none with ``text``)."""

    rows: int = 0
    paths: list[str] = field(default_factory=list)


def run_fimo(opts: FimoOptions, *, progress: Callable[[int], None] | None = None, log: Log = stderr_log) -> FimoResult:
    """Run FIMO's job: check, load, scan, write ``fimo.tsv`` + ``fimo.gff`` (or the text stream)."""
    from exactpwm.scanning.fimo import fimo_background, fimo_hits, stream_fimo_text, warn_capped

    text = opts.text or opts.skip_matched_sequence
    if opts.qv_thresh and opts.no_qvalue:
        raise OptionsError("the --no-qvalue option cannot be used with the --qv-thresh option")
    if opts.qv_thresh and text:
        raise OptionsError("the --text option cannot be used with the --qv-thresh option")
    if text and opts.verbosity >= 2 and not opts.no_qvalue:
        log("Warning: text mode turns off computation of q-values")
    check_inputs(opts.motifs.spec, opts.sequences, opts.regions)
    if opts.part is not None:
        return _fimo_part(opts, progress, log)
    folder = opts.folder
    paths = [os.path.join(folder, n) for n in ("fimo.tsv", "fimo.gff")]
    if not text:
        if not opts.clobber and os.path.isdir(folder):
            raise OptionsError(f"{folder} exists: --o does not write into an existing folder (use --oc to do so)")
        if os.path.isdir(folder):
            check_outputs(paths, [opts.motifs.spec, opts.sequences, opts.regions])
        elif os.path.exists(folder):
            raise OptionsError(f"{folder} exists and is not a folder")
    motifs = load_motifs(opts.motifs, log)
    background = fimo_background(opts.bfile, motifs)
    strand = scan_strand(motifs, opts.norc)
    sequences: Any = opts.sequences
    genomic = "ucsc" if opts.parse_genomic_coord else None
    if opts.regions:
        from exactpwm.scanning.regions import read_bed, region_sequences

        sequences, genomic = region_sequences(opts.sequences, read_bed(opts.regions)), "ucsc"
    common: dict[str, Any] = dict(background=background, thresh=opts.thresh, strand=strand, max_strand=opts.max_strand,
                  pseudocount=opts.motif_pseudo, genomic=genomic, threads=opts.threads, chunk_size=opts.chunk_size,
                  backend=opts.backend, progress=progress)
    if text:
        n = stream_fimo_text(opts.stream or sys.stdout, motifs, sequences, skip_matched=opts.skip_matched_sequence,
                             **common)
        if opts.verbosity >= 2:
            log(f"{n:,} hits")
        return FimoResult(rows=n)
    hits, cuts = fimo_hits(motifs, sequences, qv_thresh=opts.qv_thresh, qvalues=not opts.no_qvalue,
                           max_stored=opts.max_stored_scores, **common)
    if opts.verbosity >= 2:
        warn_capped(cuts, hits.motif_names, opts.max_stored_scores)
    write_fimo_folder(folder, hits.rows, hits.motif_names, hits.sequence_names,
                      hits.motif_alt_names or [""] * len(hits.motif_names), "exactpwm " + " ".join(opts.argv or []),
                      clobber=opts.clobber, threads=opts.threads)
    if opts.verbosity >= 2:
        log(f"wrote {paths[0]} and {paths[1]}: {len(hits):,} hits")
    return FimoResult(rows=len(hits), paths=paths)


def write_fimo_folder(folder: str, rows: Any, motif_names: Sequence[str], sequence_names: Sequence[str],
                      alts: Sequence[str], command: str, *, clobber: bool = True, threads: int = 0) -> list[str]:
    """``fimo.tsv`` and ``fimo.gff`` of hit rows (in :func:`~exactpwm.scanning.fimo.fimo_order`) in
    ``folder`` (made if needed; ``clobber``: written into if it exists): both are written to
    temporary files first and renamed into place only when both are complete."""
    from exactpwm import __version__
    from exactpwm.io.files import atomic_output
    from exactpwm.scanning.fimo import output_folder, write_fimo_gff, write_fimo_tsv

    paths = [os.path.join(folder, n) for n in ("fimo.tsv", "fimo.gff")]
    output_folder(folder, clobber=clobber)
    with atomic_output(paths[0]) as tsv, atomic_output(paths[1]) as gff:  # both written, then both renamed
        write_fimo_tsv(tsv, rows, motif_names, sequence_names, alts, command, __version__, threads=threads)
        write_fimo_gff(gff, rows, motif_names, sequence_names, alts)
    return paths


def _fimo_part(opts: FimoOptions, progress: Callable[[int], None] | None, log: Log) -> FimoResult:
    """fimo --part K/N FILE: the stored hits, tests and p-value sample of one part of the records (or
    of the merged ``--regions``); with ``--text``, every hit (no q-values, no cap), for the stream."""
    import numpy as np

    from exactpwm import __version__
    from exactpwm.scanning.fimo import fimo_background, fimo_collect
    from exactpwm.scanning.parts import ScanPart, fingerprint, part_range, write_part

    i, n = opts.part  # type: ignore[misc]
    if not (n >= 1 and 0 <= i < n):
        raise OptionsError(f"--part must be K/N with 1 <= K <= N, got {i + 1}/{n}")
    if opts.qv_thresh:
        raise OptionsError("--part does not go with --qv-thresh: a q-value threshold needs the p-values of every "
                           "part before any part knows which hits to keep (give a p-value threshold)")
    if opts.sequences == "-" or not opts.part_file:
        raise OptionsError("--part reads a FASTA file (not stdin) and writes a part file: --part K/N FILE")
    check_outputs([opts.part_file], [opts.motifs.spec, opts.sequences, opts.regions])
    text = opts.text or opts.skip_matched_sequence
    motifs = load_motifs(opts.motifs, log)
    background = fimo_background(opts.bfile, motifs)
    strand = scan_strand(motifs, opts.norc)
    genomic = "ucsc" if opts.parse_genomic_coord else None
    spans: list = []
    if opts.regions:  # the merged regions are the records: the part reads only its own
        from exactpwm.scanning.regions import fetch_regions, read_bed, region_spans

        spans = region_spans(opts.sequences, read_bed(opts.regions))
        where = part_range(None, i, n, np.array([e - s for _, s, e in spans], dtype=np.int64))
        sequences: Any = fetch_regions(opts.sequences, spans[where.first:where.stop])
        records, genomic = None, "ucsc"
    else:
        where = part_range(opts.sequences, i, n)
        sequences, records = opts.sequences, (where.first, where.stop)
    qvalues = not opts.no_qvalue and not text
    plan, found, names, cuts = fimo_collect(
        motifs, sequences, background=background, thresh=opts.thresh, qvalues=qvalues,
        strand=strand, max_strand=opts.max_strand, max_stored=1 << 62 if text else opts.max_stored_scores,
        pseudocount=opts.motif_pseudo, genomic=genomic, threads=opts.threads, chunk_size=opts.chunk_size,
        backend=opts.backend, progress=progress, records=records, first_position=where.first_position,
        sample_stride=where.sample_stride)
    settings = {"command": "fimo", "qvalues": qvalues, "max_stored": opts.max_stored_scores,
                "verbosity": opts.verbosity, "motif_names": list(plan.names), "alt_names": [m.alt_name for m in motifs],
                "text": text, "skip_matched": opts.skip_matched_sequence, "chromosome_names": genomic is not None}
    run = fingerprint({**settings, "version": __version__, "strand": strand, "thresh": opts.thresh,
                       "max_strand": opts.max_strand, "background": background.tolist(), "parts": n,
                       "regions": [(c, s) for c, s, _ in spans], "genomic": genomic},
                      [where.lengths, np.asarray(plan.thresholds), *plan.matrices])
    write_part(opts.part_file, ScanPart(run, i, n, where.positions, where.first, found.hits, names, found.n_tests,
                                        found.indexed or [], settings, cuts, where.stop))
    if opts.verbosity >= 2:
        log(f"part {i + 1} of {n}: {'regions' if opts.regions else 'records'} {where.first + 1}-{where.stop} of "
            f"{where.lengths.size}, {found.hits.size:,} hits -> {opts.part_file}")
    return FimoResult(rows=int(found.hits.size), paths=[opts.part_file])
