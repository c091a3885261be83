"""The compare and logo jobs: ``exactpwm compare`` is :func:`run_compare` (which known motif is it?
Tomtom's statistics, its TSV, aligned logos), ``exactpwm logo`` is :func:`run_logo`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from exactpwm.core.motif import MotifSet
from exactpwm.io.files import unique_filenames
from exactpwm.jobs.common import (
    Log,
    MotifSource,
    check_inputs,
    check_outputs,
    load_motifs,
    make_folder,
    stderr_log,
)

__all__ = ["CompareOptions", "CompareResult", "LogoOptions", "run_compare", "run_logo"]


@dataclass
class CompareOptions:
    """``exactpwm compare``'s options (Tomtom's, with its defaults except ``dist``).

    threshold, by : rows with ``by`` ("qvalue" or "evalue") <= threshold (default q <= 0.5)
    uniform, bgfile : the background (default: the queries', made strand-symmetric)
    logos, logo_format : a folder for each query's best match drawn as aligned logos
    """

    queries: MotifSource
    targets: MotifSource
    output: Any = None
    threshold: float = 0.5
    by: str = "qvalue"
    dist: str = "pearson"
    min_overlap: int = 1
    norc: bool = False
    motif_pseudo: float = 0.1
    uniform: bool = False
    bgfile: str | None = None
    logos: str | None = None
    logo_format: str = "png"
    threads: int = 0
    argv: Sequence[str] | None = None


@dataclass
class CompareResult:
    """The rows written, the number of queries and targets, the files written."""

    rows: int = 0
    queries: int = 0
    targets: int = 0
    paths: list[str] = field(default_factory=list)


def run_compare(opts: CompareOptions, *, log: Log = stderr_log) -> CompareResult:
    """Run one comparison as ``exactpwm compare`` does."""
    from exactpwm.interpret.tomtom import tomtom

    q_spec, t_spec = opts.queries.spec, opts.targets.spec
    check_inputs(q_spec, t_spec, _fit_base(opts.queries), _fit_base(opts.targets))
    check_outputs([opts.output], [q_spec, t_spec])
    if opts.logos:
        make_folder(opts.logos, "--logos names a folder for the aligned logos")
    queries = load_motifs(opts.queries, log)
    if _same_source(opts.queries, opts.targets):  # all against all: read and prepared once
        targets = queries
        log(f"exactpwm compare: the queries are the targets: {len(queries)} motifs, all against all")
    else:
        targets = load_motifs(opts.targets, log)
    if (q_spec.startswith("jaspar:") and not t_spec.startswith("jaspar:")) or \
            (len(queries) >= 50 and len(queries) >= 10 * len(targets)):
        log(f"exactpwm compare: note: {len(queries)} query motifs ({q_spec}) against {len(targets)} targets "
            f"({t_spec}): were the arguments swapped? The order is 'compare QUERIES TARGETS', e.g. "
            "'compare learned.meme jaspar:'")
    shown = tomtom(queries, targets, dist=opts.dist, min_overlap=opts.min_overlap, strand="+" if opts.norc else "both",
                   pseudocount=opts.motif_pseudo, background=_background(opts, queries), threshold=opts.threshold,
                   by=opts.by, threads=opts.threads)
    command = "exactpwm " + " ".join(opts.argv) if opts.argv is not None else None
    shown.write_tsv(sys.stdout if opts.output in (None, "-") else opts.output, command=command)
    paths = [] if opts.output in (None, "-") else [str(opts.output)]
    if opts.logos:
        paths += _write_match_logos(opts.logos, shown.best(), queries, targets, opts.logo_format, log)
    return CompareResult(len(shown), len(queries), len(targets), paths)


def _same_source(a: MotifSource, b: MotifSource) -> bool:
    """Do two sources name the same motifs (the same file, or the same ``jaspar:`` spec)?"""
    def norm(s: MotifSource) -> MotifSource:
        return replace(s, spec=os.path.realpath(s.spec)) if os.path.exists(s.spec) else s

    return norm(a) == norm(b)


def _fit_base(source: MotifSource) -> str | None:
    return source.kernels.fit_base if source.kernels is not None else None


def _background(opts: CompareOptions, queries: MotifSet) -> Any:
    if opts.uniform:
        return None if queries.background is None else [0.25] * 4
    if opts.bgfile:
        from exactpwm.io.formats.background import read_background_file

        return read_background_file(opts.bgfile)
    return None


def _write_match_logos(folder: str, best: Any, queries: MotifSet, targets: MotifSet, fmt: str,
                       log: Log) -> list[str]:
    """One aligned query/target logo per query: its best match."""
    from exactpwm.interpret.logo import save_alignment_logo

    names = unique_filenames([best.query_names[q] for q in best.rows["query"]])
    paths = []
    for r, fname in zip(best.rows, names):
        path = os.path.join(folder, f"{fname}.{fmt}")
        save_alignment_logo(queries[int(r["query"])], targets[int(r["target"])], int(r["offset"]),
                            r["strand"].decode(), path)
        log(f"wrote {path}")
        paths.append(path)
    return paths


@dataclass
class LogoOptions:
    """``exactpwm logo``'s options: one logo per motif into ``outdir``."""

    motifs: MotifSource
    outdir: str = "logos"
    format: str = "png"
    mode: str = "information"
    uniform: bool = False


def run_logo(opts: LogoOptions, *, log: Log = stderr_log) -> list[str]:
    """Draw one logo per motif (``outdir/<name>.<format>``); returns the paths."""
    from exactpwm.interpret.logo import save_logo

    check_inputs(opts.motifs.spec, _fit_base(opts.motifs))
    motifs = load_motifs(opts.motifs, log)
    make_folder(opts.outdir, "-o names the folder for the logos")
    paths = []
    for m, fname in zip(motifs, unique_filenames(motifs.names)):
        path = os.path.join(opts.outdir, f"{fname}.{opts.format}")
        check_outputs([path], [opts.motifs.spec])
        save_logo(m, path, mode=opts.mode, background=None if opts.uniform else motifs.background)
        paths.append(path)
    return paths
