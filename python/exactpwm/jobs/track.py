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

__all__ = ["TrackOptions", "TrackResult", "run_track"]

_TRACK_FILE_EXTENSIONS = (".bedgraph", ".bdg", ".bg", ".wig", ".bw", ".bigwig", ".txt", ".tsv", ".gz")


@dataclass
class TrackOptions:
    """``exactpwm track``'s options.

    output : a file (.bedGraph; .bw/.bigwig for bigWig), a folder for one bedGraph per motif, or
        None / '-' for stdout (one motif)
    strand : "both" (the better strand at each window), "+" or "-"
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
    motifs = load_motifs(opts.motifs, log)
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
        paths = [os.path.join(out, f"{n}.bedGraph") for n in unique_filenames(motifs.names)]
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

    from exactpwm.scanning.tracks import best_strand, write_bedgraph

    with ExitStack() as stack:
        files = [stack.enter_context(open_text(p)) for p in paths]
        for f, m in zip(files, motifs):
            f.write(f'track type=bedGraph name="{m.name}" description="exactpwm {m.name} '
                    f'{"best strand " if opts.strand == "both" else ""}score at window start"\n')
        for name, start, idx, scores in tracks:
            vals = best_strand(scores, opts.strand)
            for row, k in enumerate(idx):
                write_bedgraph(files[k], name, start, vals[row])
    written = [p for p in paths if p not in (None, "-")]
    for p in written:
        log(f"wrote {p}")
    return TrackResult([str(p) for p in written])


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
