"""The track job: ``exactpwm track`` is :func:`run_track`, window scores at every position as
bedGraph (one file per motif in a folder), bigWig (pyBigWig) or Dask partitions."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from exactpwm.core.motif import MotifSet
from exactpwm.core.types import Strand
from exactpwm.io.files import unique_filenames
from exactpwm.jobs.common import (
    Log,
    MotifSource,
    OptionsError,
    check_inputs,
    check_outputs,
    load_motifs,
    make_folder,
    open_text,
    resolve_background,
    stderr_log,
)

__all__ = ["TrackOptions", "TrackResult", "bedgraph_header", "bedgraph_paths", "run_track"]

_TRACK_FILE_EXTENSIONS = (".bedgraph", ".bdg", ".bg", ".wig", ".bw", ".bigwig", ".txt", ".tsv", ".gz")


@dataclass
class TrackOptions:
    """``exactpwm track``'s options.

    output : a file (.bedGraph; .bw/.bigwig for bigWig), a folder for one bedGraph per motif, or
        None / '-' for stdout (one motif)
    strand : "both" (the better strand at each window), "+" or "-"
    part : ``(i, n)``, 0-based: only part i of n of the FASTA file's records, to a part file
        (``output``) that ``exactpwm merge`` turns into this run's bedGraph file(s), or its bigWig file
    """

    motifs: MotifSource
    sequences: str
    output: str | None = None
    strand: Strand = "both"
    uniform: bool = False
    bgfile: str | None = None
    pseudocount: float | None = None
    base: float = 2.0
    threads: int = 0
    chunk_size: int = 1 << 23
    dask: str | None = None
    backend: str = "auto"
    part: tuple[int, int] | None = None


@dataclass
class TrackResult:
    """The files written (a folder per motif with ``dask``)."""

    paths: list[str] = field(default_factory=list)


def run_track(opts: TrackOptions, *, progress: Callable[[int], None] | None = None,
              log: Log = stderr_log) -> TrackResult:
    """Run one track job as ``exactpwm track`` does."""
    from exactpwm.scanning.tracks import score_tracks

    if opts.strand not in ("both", "+", "-"):
        raise OptionsError(f"strand must be 'both', '+' or '-', got {opts.strand!r}")
    check_inputs(opts.motifs.spec, opts.sequences)
    if opts.part is not None and opts.dask:
        raise OptionsError("--part and --dask do not go together: a part runs in one process")
    motifs = load_motifs(opts.motifs, log)
    if opts.part is not None:
        return _track_part(opts, motifs, progress, log)
    out = opts.output
    if len(motifs) > 1 and out in (None, "-"):
        raise OptionsError(f"{len(motifs)} motifs: choose one with --motif, or give -o a folder for one file each")
    bw = out is not None and out.lower().endswith((".bw", ".bigwig"))
    if len(motifs) > 1 and bw:
        raise OptionsError("bigWig holds one track: choose one motif with --motif")
    if len(motifs) > 1 and out is not None and out.lower().endswith(_TRACK_FILE_EXTENSIONS):
        raise OptionsError(f"-o {out} names one file, but {len(motifs)} motifs give one track each: "
                           "choose one with --motif, or give -o a folder name (one .bedGraph per motif)")
    if len(motifs) == 1 or bw:
        check_outputs([out], [opts.motifs.spec, opts.sequences])
    bg = resolve_background(motifs, uniform=opts.uniform, bgfile=opts.bgfile)
    paths: list[str | None]
    if len(motifs) == 1:
        paths = [out]
    else:
        assert out is not None
        make_folder(out, f"with {len(motifs)} motifs -o names a folder for one bedGraph each")
        paths = bedgraph_paths(out, list(motifs.names))
        check_outputs(paths, [opts.motifs.spec, opts.sequences])
    if opts.dask:
        return _track_dask(opts, motifs, bg, progress, log)
    tracks = score_tracks(motifs, opts.sequences, background=bg, base=opts.base, pseudocount=opts.pseudocount,
                          strand=opts.strand, threads=opts.threads, chunk_size=opts.chunk_size,
                          progress=progress if not bw else None)
    if bw:
        from exactpwm.io.fasta import sequence_lengths
        from exactpwm.scanning.tracks import write_bigwig

        assert out is not None
        write_bigwig(out, tracks, sequence_lengths(opts.sequences), opts.strand)
        log(f"wrote {out}")
        return TrackResult([out])
    from contextlib import ExitStack

    with ExitStack() as stack:
        files = [stack.enter_context(open_text(p)) for p in paths]
        for f, m in zip(files, motifs):
            f.write(bedgraph_header(m.name, opts.strand))
        _write_tracks(files, tracks, opts.strand)
    written = [p for p in paths if p not in (None, "-")]
    for p in written:
        log(f"wrote {p}")
    return TrackResult([str(p) for p in written])


def bedgraph_header(name: str, strand: Strand) -> str:
    """The ``track`` line of a motif's bedGraph file."""
    return (f'track type=bedGraph name="{name}" description="exactpwm {name} '
            f'{"best strand " if strand == "both" else ""}score at window start"\n')


def _write_tracks(files: list, tracks: Any, strand: Strand) -> None:
    """Each motif's bedGraph lines of :func:`~exactpwm.scanning.tracks.score_tracks` to its file."""
    from exactpwm.scanning.tracks import best_strand, write_bedgraph

    for name, start, idx, scores in tracks:
        vals = best_strand(scores, strand)
        for row, k in enumerate(idx):
            write_bedgraph(files[k], name, start, vals[row])


def bedgraph_paths(output: str | None, names: list[str]) -> list:
    """Where a track job writes each motif's bedGraph: ``output`` itself for one motif, else one
    file per motif in the folder ``output``."""
    return [output] if len(names) == 1 else [os.path.join(str(output), f"{n}.bedGraph")
                                             for n in unique_filenames(names)]


def _track_part(opts: TrackOptions, motifs: MotifSet, progress: Callable[[int], None] | None,
                log: Log) -> TrackResult:
    """track --part K/N: each motif's bedGraph lines of one part of the records, to a part file."""
    import io

    import numpy as np

    from exactpwm import __version__
    from exactpwm.scanning.parts import ScanPart, fingerprint, part_range, write_part
    from exactpwm.scanning.tracks import score_tracks

    i, n = opts.part  # type: ignore[misc]
    if not (n >= 1 and 0 <= i < n):
        raise OptionsError(f"--part must be K/N with 1 <= K <= N, got {i + 1}/{n}")
    if opts.dask or opts.sequences == "-" or opts.output in (None, "-") or \
            opts.output.lower().endswith((".bw", ".bigwig")):
        raise OptionsError("--part reads a FASTA file (not stdin) and writes a part file (-o FILE, not a track: "
                           "'exactpwm merge PARTS -o track.bw' writes the bigWig), without --dask")
    check_outputs([opts.output], [opts.motifs.spec, opts.sequences])
    bg = resolve_background(motifs, uniform=opts.uniform, bgfile=opts.bgfile)
    where = part_range(opts.sequences, i, n)
    texts = [io.StringIO() for _ in motifs]
    names: set[str] = set()  # the part's records with windows (score_tracks refuses repeats within the part)
    tracks = score_tracks(motifs, opts.sequences, background=bg, base=opts.base, pseudocount=opts.pseudocount,
                          strand=opts.strand, threads=opts.threads, chunk_size=opts.chunk_size, progress=progress,
                          records=(where.first, where.stop))

    def named(items: Any) -> Any:  # for the merge's check that no name repeats across parts
        for item in items:
            names.add(item[0])
            yield item

    _write_tracks(texts, named(tracks), opts.strand)
    data = [t.getvalue().encode() for t in texts]
    settings = {"command": "track", "strand": opts.strand, "motif_names": list(motifs.names)}
    run = fingerprint({**settings, "version": __version__, "base": opts.base, "pseudocount": opts.pseudocount,
                       "background": np.asarray(bg, dtype=float).tolist() if bg is not None else None,
                       "chunk_size": opts.chunk_size, "parts": n},
                      [where.lengths, *[m.pwm for m in motifs]])
    arrays = {"text": np.frombuffer(b"".join(data), np.uint8),
              "text_bounds": np.concatenate([[0], np.cumsum([len(d) for d in data])]).astype(np.int64),
              "names": np.array(sorted(names), dtype=str),
              # every record of the part, for a bigWig's header (records without a window included)
              "record_names": np.array(_record_names(opts.sequences, where.first, where.stop), dtype=str),
              "record_lengths": where.lengths[where.first:where.stop].astype(np.int64)}
    write_part(opts.output, ScanPart(run, i, n, where.positions, where.first, np.zeros(0, np.int8), [],
                                     np.zeros(0, np.int64), [], settings, {}, where.stop, b"", arrays))
    log(f"part {i + 1} of {n}: records {where.first + 1}-{where.stop} of {where.lengths.size} -> {opts.output}")
    return TrackResult([str(opts.output)])


def _record_names(path: str, first: int, stop: int) -> list[str]:
    """The names of records ``first .. stop - 1`` of a FASTA file, in order."""
    from exactpwm.io.fasta import Chunk, iter_pieces, select_records

    names: list[str] = []
    for item in select_records(iter_pieces(path, 1 << 24), first, stop):
        if isinstance(item, Chunk):
            if item.start == 0:
                names.append(item.name)
        else:
            names.extend(item.names)
    return names


def _track_dask(opts: TrackOptions, motifs: MotifSet, bg: Any, progress: Callable[[int], None] | None,
                log: Log) -> TrackResult:
    out = opts.output
    if out in (None, "-") or out.lower().endswith((".bw", ".bigwig", ".bedgraph")):
        raise OptionsError("--dask writes bedGraph partitions: give -o a folder")
    from exactpwm.scanning.distributed import close, connect, tracks_distributed

    client = connect(opts.dask)
    try:
        folders = tracks_distributed(motifs, opts.sequences, out, client=client, strand=opts.strand,
                                     chunk_size=opts.chunk_size, background=bg, base=opts.base,
                                     pseudocount=opts.pseudocount, threads=max(opts.threads, 1), progress=progress)
    finally:
        close(client)
    for d in folders:
        log(f"wrote {d}/part-*.bedGraph (concatenate in name order for one track)")
    return TrackResult(list(folders))
