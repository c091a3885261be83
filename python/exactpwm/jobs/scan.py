"""The scan job: motifs over sequences to a hits file (TSV, BED, GFF) or per-sequence maxima, in
one call: ``exactpwm scan`` is :func:`run_scan`.

It owns every path a scan can take: streaming hits chunk by chunk (memory bounded by a chunk),
holding them for q-values, best windows per sequence (``format="maxima"``), regions of an indexed
genome (``regions=``), genomic coordinates in sequence names, and a Dask cluster (``dask=``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from exactpwm.core.types import Strand
from exactpwm.jobs.common import (
    Log,
    MotifSource,
    OptionsError,
    check_inputs,
    check_outputs,
    command_text,
    load_motifs,
    open_text,
    resolve_background,
    stderr_log,
)

__all__ = ["ScanOptions", "ScanResult", "run_scan", "scan_strand", "write_hits"]

FORMATS = ("tsv", "bed", "gff", "maxima")


@dataclass
class ScanOptions:
    """Everything ``exactpwm scan`` is told (see ``exactpwm scan --help`` for each option).

    motifs : where the motifs come from (a file, ``jaspar:``, a kernel file)
    sequences : a FASTA path (plain, gz, xz, bz2) or '-' for stdin; with ``regions``, an indexed FASTA
    output : a path, '-' or None (stdout); with ``dask``, a folder for partition files
    format : "tsv" (FIMO's columns), "bed", "gff" or "maxima" (best window per sequence and motif)
    pvalue, score : the hit threshold (p-value, default 1e-4), or a score threshold instead
    norc : scan the given strand only (also when every motif says ``strands: +``)
    qvalues : None, "motif" or "pooled" (holds every hit in memory)
    regions : a BED file of regions of ``sequences``; hits in genomic coordinates
    genomic_coord : None, "ucsc" or "bed": read ``chr:start-end`` sequence names as coordinates
    uniform, bgfile : the background (default: the motif file's)
    pseudocount : None is the library's default (0.1, none for exact kernel PWMs)
    base : the log-odds' base (default 2, bits)
    dask, motif_groups : a Dask scheduler address or ``local:N``, and motif groups per chunk
    part : ``(i, n)``, 0-based: scan only part i of n of the FASTA file's records, to a part file
    (``output``; :mod:`exactpwm.scanning.parts`) that ``exactpwm merge`` combines with the others
    argv : the command line, recorded in the output's closing comment
    """

    motifs: MotifSource
    sequences: str
    output: Any = None
    format: str = "tsv"
    pvalue: float | None = 1e-4
    score: float | None = None
    norc: bool = False
    qvalues: str | None = None
    regions: str | None = None
    genomic_coord: str | None = None
    uniform: bool = False
    bgfile: str | None = None
    pseudocount: float | None = None
    base: float = 2.0
    threads: int = 0
    chunk_size: int = 1 << 23
    dask: str | None = None
    motif_groups: int = 1
    backend: str = "auto"
    part: tuple[int, int] | None = None
    argv: Sequence[str] | None = None


@dataclass
class ScanResult:
    """What a scan wrote: ``hits`` rows (or maxima rows), and for ``dask`` the partition files."""

    rows: int = 0
    partitions: list[str] = field(default_factory=list)


def scan_strand(motifs: Any, norc: bool) -> Strand:
    """The strands a scan reads: "+" for ``norc`` or when every motif says ``strands: +`` (MEME);
    else "both". An empty motif set scans both (and finds nothing)."""
    single = len(motifs) > 0 and all(m.meta.get("strands") == "+" for m in motifs)
    return "+" if norc or single else "both"


def run_scan(opts: ScanOptions, *, progress: Callable[[int], None] | None = None, log: Log = stderr_log) -> ScanResult:
    """Run one scan as ``exactpwm scan`` does: check the inputs and output, load the motifs,
    scan, write. ``progress`` is called with bases done; ``log`` gets the informational lines."""
    if opts.format not in FORMATS:
        raise OptionsError(f"format must be one of {', '.join(FORMATS)}, got {opts.format!r}")
    check_inputs(opts.motifs.spec, opts.sequences, opts.regions)
    if opts.part is not None and opts.dask:
        raise OptionsError("--part and --dask do not go together: a part runs in one process")
    if opts.dask is None:
        check_outputs([opts.output], [opts.motifs.spec, opts.sequences, opts.regions])
    sequences, coords = _sequences(opts) if opts.part is None else (None, None)  # a part reads its own
    motifs = load_motifs(opts.motifs, log)
    bg = resolve_background(motifs, uniform=opts.uniform, bgfile=opts.bgfile)
    common = dict(background=bg, base=opts.base, pseudocount=opts.pseudocount)
    strand = scan_strand(motifs, opts.norc)
    pvalue = opts.pvalue if opts.score is None else None
    if opts.dask:
        return _scan_dask(opts, motifs, common, strand, pvalue, progress, log)
    alts = [m.alt_name for m in motifs]
    if opts.part is not None:
        return _scan_part(opts, motifs, common, strand, pvalue, alts, progress, log)
    note = command_text(opts.argv)
    if opts.format == "maxima":
        from exactpwm.scanning.hits import write_maxima
        from exactpwm.scanning.maxima import sequence_maxima

        best = sequence_maxima(motifs, sequences, strand=strand, threads=opts.threads, chunk_size=opts.chunk_size,
                               backend=opts.backend, progress=progress, **common)
        if coords is not None:  # per region: the best window's start on its chromosome
            coords.shift_maxima(best)
        with open_text(opts.output) as f:
            write_maxima(f, best, alts, motifs.widths, note or "")
        return ScanResult(rows=int(best.score.size))
    from exactpwm.scanning.hits import HitWriter

    if opts.qvalues:  # q-values need every p-value: hold the hits
        from exactpwm.scanning.scan import scan

        hits = scan(motifs, sequences, pvalue=pvalue, score=opts.score, strand=strand, qvalues=opts.qvalues,
                    threads=opts.threads, chunk_size=opts.chunk_size, backend=opts.backend, progress=progress,
                    **common)
        seq_names = hits.sequence_names
        if coords is not None:
            coords.map_rows(hits.rows, hits.sequence_names)
            seq_names = coords.names
        write_hits(opts.output, opts.format, hits.rows, hits.motif_names, seq_names, alts, note, opts.threads)
        return ScanResult(rows=len(hits))
    from exactpwm.scanning.plan import plan_scan
    from exactpwm.scanning.scan import iter_scan

    plan = plan_scan(motifs, pvalue=pvalue, score=opts.score, threads=opts.threads, **common)
    n = 0
    with open_text(opts.output) as f:
        w = HitWriter(f, opts.format, plan.names, [] if coords is None else coords.names, alts, note,
                      threads=opts.threads)
        for chunk in iter_scan(plan, sequences, strand=strand, chunk_size=opts.chunk_size, threads=opts.threads,
                               backend=opts.backend, progress=progress):
            if coords is None:
                w.sequences = chunk.sequence_names
                w.write(chunk.rows)
            else:
                w.write(coords.map_rows(chunk.rows, chunk.sequence_names))
            n += len(chunk.rows)
        w.close()
    return ScanResult(rows=n)


def write_hits(output: Any, fmt: str, rows: Any, motif_names: Sequence[str], sequence_names: Sequence[str],
               alts: Sequence[str], note: str | None, threads: int) -> None:
    """Write hit rows held in memory to ``output`` (a path, written atomically, or stdout)."""
    from exactpwm.scanning.hits import HitWriter

    with open_text(output) as f:
        w = HitWriter(f, fmt, motif_names, sequence_names, alts, note, threads=threads)
        w.write(rows)
        w.close()


def _scan_part(opts: ScanOptions, motifs: Any, common: dict, strand: Strand, pvalue: float | None, alts: list,
               progress: Callable[[int], None] | None, log: Log) -> ScanResult:
    """scan --part i/n: the hits, tests and p-value sample of one part of the records, to a part file."""
    import numpy as np

    from exactpwm import __version__
    from exactpwm.scanning.parts import ScanPart, fingerprint, part_range, write_part
    from exactpwm.scanning.plan import plan_scan
    from exactpwm.scanning.scan import collect_hits

    i, n = opts.part  # type: ignore[misc]
    if opts.format == "maxima" and opts.regions:
        raise OptionsError("--part with --format maxima cuts a FASTA file's records: it does not go with --regions "
                           "(one row per BED line)")
    if opts.sequences == "-" or opts.output in (None, "-"):
        raise OptionsError("--part reads a FASTA file (not stdin) and writes a part file: give the file and -o")
    if not (n >= 1 and 0 <= i < n):
        raise OptionsError(f"--part must be K/N with 1 <= K <= N, got {i + 1}/{n}")
    if opts.format == "maxima":
        return _maxima_part(opts, motifs, common, strand, alts, progress, log)
    spans: list = []
    if opts.regions:  # the merged regions are the records: the part reads only its own
        from exactpwm.scanning.regions import fetch_regions, read_bed, region_spans

        spans = region_spans(opts.sequences, read_bed(opts.regions))
        where = part_range(None, i, n, np.array([e - s for _, s, e in spans], dtype=np.int64))
        sequences: Any = fetch_regions(opts.sequences, spans[where.first:where.stop])
        records = None
    else:
        where = part_range(opts.sequences, i, n)
        sequences, records = opts.sequences, (where.first, where.stop)
    plan = plan_scan(motifs, pvalue=pvalue, score=opts.score, threads=opts.threads, **common)
    found = collect_hits(plan, sequences, strand=strand, tests=bool(opts.qvalues), chunk_size=opts.chunk_size,
                         threads=opts.threads, backend=opts.backend, progress=progress, records=records,
                         first_position=where.first_position,
                         sample_stride=where.sample_stride)  # the whole scan's sample only
    names = found.sequence_names
    if opts.regions or opts.genomic_coord:  # hits on the chromosomes, as the whole scan reports them
        from exactpwm.scanning.regions import GenomicCoordinates

        coords = GenomicCoordinates(opts.genomic_coord or "ucsc")
        coords.map_rows(found.hits, found.sequence_names)
        names = coords.names
    settings = {"command": "scan", "format": opts.format, "qvalues": opts.qvalues, "motif_names": list(plan.names),
                "alt_names": alts, "chromosome_names": bool(opts.regions or opts.genomic_coord)}
    run = fingerprint({**settings, "version": __version__, "strand": strand, "pvalue": pvalue, "score": opts.score,
                       "parts": n, "regions": [(c, s) for c, s, _ in spans], "genomic": opts.genomic_coord},
                      [where.lengths, np.asarray(plan.thresholds), *plan.matrices])
    write_part(opts.output, ScanPart(run, i, n, where.positions, where.first, found.hits, names,
                                     found.n_tests, found.indexed or [], settings, stop_record=where.stop))
    log(f"part {i + 1} of {n}: {'regions' if opts.regions else 'records'} {where.first + 1}-{where.stop} of "
        f"{where.lengths.size}, "
        f"{found.hits.size:,} hits -> {opts.output}")
    return ScanResult(rows=int(found.hits.size))


def _maxima_part(opts: ScanOptions, motifs: Any, common: dict, strand: Strand, alts: list,
                 progress: Callable[[int], None] | None, log: Log) -> ScanResult:
    """scan --format maxima --part i/n: the maxima rows of one part of the records, as text."""
    import io

    import numpy as np

    from exactpwm import __version__
    from exactpwm.scanning.hits import write_maxima
    from exactpwm.scanning.maxima import sequence_maxima
    from exactpwm.scanning.parts import ScanPart, fingerprint, part_range, write_part
    from exactpwm.scanning.plan import score_matrices

    i, n = opts.part  # type: ignore[misc]
    where = part_range(opts.sequences, i, n)
    best = sequence_maxima(motifs, opts.sequences, strand=strand, threads=opts.threads, chunk_size=opts.chunk_size,
                           backend=opts.backend, progress=progress, records=(where.first, where.stop), **common)
    if opts.genomic_coord:
        from exactpwm.scanning.regions import GenomicCoordinates

        GenomicCoordinates(opts.genomic_coord).shift_maxima(best)
    buf = io.StringIO()
    write_maxima(buf, best, alts, motifs.widths, "")
    header, _, body = buf.getvalue().partition("\n")
    body = body[:body.rindex("\n\n# exactpwm scan --format maxima")] + "\n" if best.score.size else ""
    settings = {"command": "scan", "format": "maxima", "header": header}
    matrices = score_matrices(motifs, "logodds", background=common["background"], base=common["base"],
                              pseudocount=common["pseudocount"], step=None)
    run = fingerprint({**settings, "version": __version__, "strand": strand, "parts": n,
                       "genomic": opts.genomic_coord, "names": list(best.motif_names)},
                      [where.lengths, *matrices])
    write_part(opts.output, ScanPart(run, i, n, where.positions, where.first, np.zeros(0, np.int8), [],
                                     np.zeros(0, np.int64), [], settings, {}, where.stop, body.encode()))
    log(f"part {i + 1} of {n}: records {where.first + 1}-{where.stop} of {where.lengths.size}, "
        f"{best.score.shape[0]:,} sequences -> {opts.output}")
    return ScanResult(rows=int(best.score.size))


def _sequences(opts: ScanOptions) -> tuple[Any, Any]:
    """(sequences to scan, GenomicCoordinates or None) for ``regions`` / ``genomic_coord``."""
    if not (opts.regions or opts.genomic_coord):
        return opts.sequences, None
    if opts.dask:
        raise OptionsError("--regions and --parse-genomic-coord report hits in genomic coordinates: they do not go "
                           "with --dask")
    from exactpwm.scanning.regions import GenomicCoordinates, read_bed, region_sequences

    if opts.regions:  # maxima: one row per BED region (not merged), named chrom:start-end
        return (region_sequences(opts.sequences, read_bed(opts.regions), merge=opts.format != "maxima"),
                GenomicCoordinates("ucsc"))
    return opts.sequences, GenomicCoordinates(opts.genomic_coord or "ucsc")


def _scan_dask(opts: ScanOptions, motifs: Any, common: dict, strand: Strand, pvalue: float | None,
               progress: Callable[[int], None] | None, log: Log) -> ScanResult:
    """scan --dask: partition files in the output folder, one per chunk (and motif group)."""
    if opts.format == "maxima" or opts.qvalues:
        raise OptionsError("--dask writes hits per partition: --format maxima and --qvalues are not supported "
                           "with it")
    if opts.output in (None, "-"):
        raise OptionsError("--dask writes partition files: give -o a folder")
    if os.path.isfile(opts.output):
        raise OptionsError(f"--dask writes partition files into a folder, and {opts.output} is a file")
    from exactpwm.scanning.distributed import close, connect, scan_distributed

    client = connect(opts.dask)
    log(f"dask: {len(client.nthreads())} workers; dashboard {client.dashboard_link}")
    try:
        res = scan_distributed(motifs, opts.sequences, opts.output, client=client, pvalue=pvalue, score=opts.score,
                               strand=strand, chunk_size=opts.chunk_size, motif_groups=opts.motif_groups,
                               format=opts.format, threads=max(opts.threads, 1), backend=opts.backend,
                               progress=progress, **common)
    finally:
        close(client)
    log(f"{res.n_hits:,} hits in {len(res.paths)} partitions under {opts.output}/")
    return ScanResult(rows=res.n_hits, partitions=list(res.paths))
