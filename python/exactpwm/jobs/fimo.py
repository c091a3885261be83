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

__all__ = ["FimoOptions", "FimoResult", "run_fimo"]


@dataclass
class FimoOptions:
    """FIMO 5's options (``exactpwm fimo --help``), with FIMO's defaults.

    folder, clobber : the output folder (``--oc DIR``: written into if it exists, ``clobber``; ``--o
        DIR``: must not exist); ignored with ``text``
    text : write the TSV stream to ``stream`` (stdout), by motif, no q-values (``--text``)
    bfile : ``--nrdb--`` (default), ``--motif--``, ``--uniform--`` or a MEME background file
    regions : a BED file over an indexed FASTA (exactpwm's addition); hits in genomic coordinates
    verbosity : 1 errors only; 2 and above warnings and notes (on ``log``)
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
    _write_folder(opts, hits, paths)
    if opts.verbosity >= 2:
        log(f"wrote {paths[0]} and {paths[1]}: {len(hits):,} hits")
    return FimoResult(rows=len(hits), paths=paths)


def _write_folder(opts: FimoOptions, hits: Any, paths: list[str]) -> None:
    from exactpwm import __version__
    from exactpwm.io.files import atomic_output
    from exactpwm.scanning.fimo import output_folder, write_fimo_gff, write_fimo_tsv

    output_folder(opts.folder, clobber=opts.clobber)
    alts = hits.motif_alt_names or [""] * len(hits.motif_names)
    command = "exactpwm " + " ".join(opts.argv or [])
    with atomic_output(paths[0]) as f:
        write_fimo_tsv(f, hits.rows, hits.motif_names, hits.sequence_names, alts, command, __version__,
                       threads=opts.threads)
    with atomic_output(paths[1]) as f:
        write_fimo_gff(f, hits.rows, hits.motif_names, hits.sequence_names, alts)
