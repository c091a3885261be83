"""The attribute job: ``exactpwm attribute`` is :func:`run_attribute`. A model saved by
``torch.export`` and equal-length sequences (FASTA), or regions of an indexed genome (BED, each
centred and resized to the model's length), in; attribution maps out, as the ``.npz`` files
modisco-lite reads (``modisco motifs -s ohe.npz -a attr.npz``), and as a bigWig track of per-base
contributions."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.core.errors import ExactpwmWarning
from exactpwm.jobs.common import (
    Log,
    OptionsError,
    check_inputs,
    check_outputs,
    equal_length_fasta,
    load_exported_model,
    make_folder,
    share_cores_with_torch,
    stderr_log,
    worker_threads_by_host,
)

__all__ = ["AttributeOptions", "AttributeResult", "attribute_rows", "attribute_task", "join_checks", "join_maps",
           "log_attribute_summary", "run_attribute", "write_attribute_outputs"]


@dataclass
class AttributeOptions:
    """``exactpwm attribute``'s options.

    model : a ``.pt2`` file (``torch.export.save``) taking one-hot (B, 4, L)
    sequences : a FASTA file of sequences of one length L (the model's, when it fixes one); with
        ``regions``, an indexed genome FASTA (plain or bgzip, with .fai; needs pysam)
    regions : a BED file: each region centred and resized to L (the model's length, else the first
        region's width); regions whose window passes a chromosome's end are skipped (counted)
    bigwig : a folder: ``attributions.bw`` there holds each base's contribution (the sum over the
        letters of the actual contributions), on the genome with ``regions`` (overlaps averaged),
        else on the sequences' names
    output : the attributions ``.npz`` (``arr_0``, (N, 4, L) float32): the hypothetical contributions
        (what modisco-lite reads), or with ``projected`` each position's contribution on its letter
    ohe : also the one-hot sequences ``.npz`` (``arr_0``, (N, 4, L))
    method, target, baseline, steps, n_shuffles, seed, tolerance, window, mask, rule : as
        :func:`exactpwm.interpret.attribution.attribute`
    part : ``(i, n)``, 0-based: only part i of n of the sequences (whole ``chunk``-s of them, so
        every map is computed exactly as in one run), to a part file (``output``) that
        ``exactpwm merge`` joins with the others into this run's files
    dask : a Dask scheduler address or ``local:N``: whole blocks of sequences as tasks (the workers
        read the same files), the maps joined and written here as one run writes them
    """

    model: str
    sequences: str
    output: str
    ohe: str | None = None
    method: str = "ig"
    target: int = 0
    baseline: str | None = None
    steps: int | str = "auto"
    n_shuffles: int = 20
    seed: int = 0
    tolerance: float | None = None
    projected: bool = False
    batch_size: int = 64
    regions: str | None = None
    bigwig: str | None = None
    window: int = 10
    mask: str = "N"
    chunk: int = 256
    rule: str = "rescale"
    part: tuple[int, int] | None = None
    dask: str | None = None


@dataclass
class AttributeResult:
    """The sequences attributed, the method's check, the files written."""

    sequences: int = 0
    steps: int = 0
    max_relative_delta: float | None = None
    paths: list[str] = field(default_factory=list)


def run_attribute(opts: AttributeOptions, *, log: Log = stderr_log, progress: Any = None) -> AttributeResult:
    """Run one attribution job as ``exactpwm attribute`` does. ``progress`` is called with the
    number of sequences done."""
    check_inputs(opts.model, opts.sequences, opts.regions)
    if opts.part is not None and opts.dask:
        raise OptionsError("--part and --dask do not go together: a part runs in one process")
    if opts.part is not None and (opts.ohe or opts.bigwig):
        raise OptionsError("--part writes one part file (-o): give --ohe and --bigwig to 'exactpwm merge', which "
                           "writes the run's files")
    track = os.path.join(opts.bigwig, "attributions.bw") if opts.bigwig else None
    if opts.bigwig:
        make_folder(opts.bigwig, "--bigwig names a folder")
    check_outputs([opts.output, opts.ohe, track], [opts.model, opts.sequences, opts.regions])  # one check: no two alike
    if not opts.model.lower().endswith(".pt2"):
        raise OptionsError(f"{opts.model}: give a model saved by torch.export.save (.pt2)")
    model, batch, length = load_exported_model(opts.model)
    if batch is not None and opts.method in ("deeplift", "deepshap"):
        raise OptionsError(f"{opts.model} was exported for batches of {batch} only; {opts.method} runs each sequence "
                           "with its references in one batch: export the model with a dynamic batch "
                           "(dynamic_shapes={0: torch.export.Dim('batch')}), or use --method ig")
    from exactpwm.scanning.parts import block_range

    X, places, sizes = _rows(opts, length, log)
    N = len(X)
    chunk = max(1, opts.chunk)
    first, stop = 0, N
    if opts.part is not None:  # whole chunks: each map is computed as in one run (same batches, same shuffles)
        i, n = opts.part
        if not (n >= 1 and 0 <= i < n):
            raise OptionsError(f"--part must be K/N with 1 <= K <= N, got {i + 1}/{n}")
        first, stop = block_range(N, i, n, chunk)
    if opts.dask:
        maps = _attribute_dask(opts, N, log)
    else:
        maps = attribute_rows(model, X[first:stop], opts, progress)
    summary = {"sequences": N, "length": int(X.shape[1]), "method": opts.method, "target": opts.target,
               **{k: maps[k] for k in ("worst", "tolerance", "steps", "notes")}}
    if opts.part is not None:
        return _write_part(opts, X, places, sizes, first, stop, maps, summary, log)
    paths = write_attribute_outputs(opts.output, opts.ohe, track, maps["hypothetical"], maps["attributions"],
                                    maps["ohe"], places, sizes, projected=opts.projected)
    log_attribute_summary(summary, paths, log)
    return AttributeResult(N, summary["steps"], summary["worst"], paths)


def _rows(opts: AttributeOptions, length: int | None, log: Log) -> tuple[np.ndarray, list, dict]:
    if opts.regions:
        return _region_rows(opts.sequences, opts.regions, length, log)
    return _fasta_rows(opts.sequences, length, opts.model, bool(opts.bigwig))


def attribute_rows(model: Any, X: np.ndarray, opts: AttributeOptions, progress: Any = None) -> dict:
    """The maps of the (n, L) code rows ``X`` (which start at a block boundary of ``opts.chunk``), block
    by block as one run computes them: {"hypothetical", "attributions", "ohe": (n, 4, L) float32,
    "worst": the largest relative completeness error (None without a check), "tolerance", "steps",
    "notes"}."""
    from exactpwm.interpret.attribution import attribute

    baseline = opts.baseline or ("zero" if opts.method == "deeplift" else "shuffle")
    chunk = max(1, opts.chunk)
    hyp = np.empty((len(X), 4, X.shape[1]), np.float32)
    attr, ohe = np.empty_like(hyp), np.empty_like(hyp)
    out: dict = {"worst": None, "tolerance": None, "steps": 0, "notes": []}
    for a in range(0, len(X), chunk):
        part = attribute(model, X[a:a + chunk], method=opts.method, target=opts.target, baseline=baseline,
                         steps=opts.steps, n_shuffles=opts.n_shuffles, seed=opts.seed, tolerance=opts.tolerance,
                         batch_size=opts.batch_size, layout="NCL", window=opts.window, mask=opts.mask,
                         rule=opts.rule)
        b = a + len(part.inputs)
        hyp[a:b], attr[a:b], ohe[a:b] = part.hypothetical, part.attributions, part.inputs
        if part.relative_delta is not None:
            out["worst"] = max(out["worst"] or 0.0, float(part.relative_delta.max()))
            out["tolerance"] = part.tolerance
        out["steps"] = max(out["steps"], part.steps)
        out["notes"] += [n for n in part.notes if n not in out["notes"]]
        if progress is not None:
            progress(b - a)
    return {"hypothetical": hyp, "attributions": attr, "ohe": ohe, **out}


def join_checks(pieces: list[dict]) -> dict:
    """The checks of consecutive pieces as one: the largest error ("worst", None without a check),
    its "tolerance", the most "steps", every note once."""
    notes: list = []
    for p in pieces:
        notes += [n for n in p["notes"] if n not in notes]
    worst = [p["worst"] for p in pieces if p["worst"] is not None]
    return {"worst": max(worst) if worst else None, "steps": max(p["steps"] for p in pieces),
            "tolerance": next((p["tolerance"] for p in pieces if p["tolerance"] is not None), None), "notes": notes}


def join_maps(pieces: list[dict]) -> dict:
    """:func:`attribute_rows` results of consecutive rows as one (maps joined, checks combined)."""
    joined = {k: np.concatenate([p[k] for p in pieces]) for k in ("hypothetical", "attributions", "ohe")}
    return {**joined, **join_checks(pieces)}


def attribute_task(opts: AttributeOptions, first: int, stop: int, threads_by_host: dict | None = None) -> dict:
    """:func:`attribute_rows` of rows ``first .. stop - 1`` on a Dask worker: reads the model and the
    sequences itself (the workers see the same files); torch on the worker's share of the cores
    (:func:`exactpwm.jobs.common.share_cores_with_torch`)."""
    share_cores_with_torch(threads_by_host)
    model, _, length = load_exported_model(opts.model)
    X, _, _ = _rows(opts, length, lambda line: None)
    return attribute_rows(model, X[first:stop], opts)


def _attribute_dask(opts: AttributeOptions, N: int, log: Log) -> dict:
    """attribute --dask: whole blocks of rows as tasks, the maps joined in order."""
    import dataclasses

    from exactpwm.scanning.distributed import close, connect, run_tasks, task_count
    from exactpwm.scanning.parts import block_range

    chunk = max(1, opts.chunk)
    client = connect(opts.dask)
    try:
        n = min(-(-N // chunk), task_count(client, per_thread=2))
        log(f"dask: {len(client.nthreads())} workers, {n} tasks")
        one = dataclasses.replace(opts, dask=None, bigwig=None, ohe=None)
        by_host = worker_threads_by_host(client)
        pieces = run_tasks(client, attribute_task, [(one, *block_range(N, i, n, chunk), by_host) for i in range(n)])
    finally:
        close(client)
    return join_maps(pieces)


def write_attribute_outputs(output: str, ohe_path: str | None, track: str | None, hyp: np.ndarray, attr: np.ndarray,
                            ohe: np.ndarray, places: list, sizes: dict, *, projected: bool = False) -> list[str]:
    """The files of an attribution run: ``output`` (hypothetical maps, or ``projected`` ones), the
    one-hot ``ohe_path`` when given, and the per-base bigWig ``track`` when given; each atomically.
    hyp, attr, ohe : (N, 4, L) float32; places : N (chromosome or name, start); sizes : {name: length}."""
    from exactpwm.io.files import atomic_output

    with atomic_output(output, "wb") as f:
        np.savez_compressed(f, hyp * ohe if projected else hyp)
    if ohe_path:
        with atomic_output(ohe_path, "wb") as f:
            np.savez_compressed(f, ohe)
    paths = [output] + ([ohe_path] if ohe_path else [])
    if track is not None:
        from exactpwm.io.bigwig import write_base_track

        per_base = attr.sum(axis=1)
        write_base_track(track, sizes, ((c, s, per_base[i]) for i, (c, s) in enumerate(places)))
        paths.append(track)
    return paths


def log_attribute_summary(summary: dict, paths: list[str], log: Log) -> None:
    """The closing lines of an attribution run: what was attributed, its check, the files."""
    steps, worst = summary["steps"], summary["worst"]
    steps_text = f", {steps} steps" if steps else ""
    check = (f"; completeness: largest relative error {worst:.3g} (tolerance {summary['tolerance']:g}){steps_text}"
             if worst is not None else "; no completeness check exists for this method")
    log(f"attributed {summary['sequences']:,} sequences of {summary['length']:,} bp ({summary['method']}, target "
        f"{summary['target']}){check}")
    for n in summary["notes"][1:]:
        log(n)
    log(f"wrote {', '.join(paths)}")


def _write_part(opts: AttributeOptions, X: np.ndarray, places: list, sizes: dict, first: int, stop: int,
                maps: dict, summary: dict, log: Log) -> AttributeResult:
    """attribute --part: the part's maps, places and summary to a part file (``opts.output``)."""
    import hashlib

    from exactpwm import __version__
    from exactpwm.scanning.parts import ScanPart, fingerprint, write_part

    i, n = opts.part  # type: ignore[misc]
    model = hashlib.sha256()
    with open(opts.model, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            model.update(block)
    run = fingerprint({"command": "attribute", "version": __version__, "model": model.hexdigest(), "parts": n,
                       **{k: getattr(opts, k) for k in ("method", "target", "baseline", "steps", "n_shuffles",
                                                         "seed", "tolerance", "projected", "batch_size", "window",
                                                         "mask", "chunk", "rule")}},
                      [X])
    settings = {"command": "attribute", "projected": opts.projected, "sizes": sizes, "summary": summary,
                "named": not opts.regions}
    arrays = {"hypothetical": maps["hypothetical"], "attributions": maps["attributions"], "ohe": maps["ohe"],
              "place_names": np.array([c for c, _ in places[first:stop]], dtype=str),
              "place_starts": np.array([s for _, s in places[first:stop]], dtype=np.int64)}
    write_part(opts.output, ScanPart(run, i, n, 0, first, np.zeros(0, np.int8), [], np.zeros(0, np.int64), [],
                                     settings, {}, stop, b"", arrays))
    log(f"part {i + 1} of {n}: sequences {first + 1}-{stop} of {len(X)} -> {opts.output}")
    return AttributeResult(stop - first, summary["steps"], summary["worst"], [opts.output])


def _fasta_rows(path: str, length: int | None, model: str, named: bool) -> tuple[np.ndarray, list, dict]:
    """(N, L) codes of a FASTA of one length; places (name, 0) and sizes {name: L} for a track."""
    names, X = equal_length_fasta(path)
    if length is not None and X.shape[1] != length:
        raise ValueError(f"{model} takes sequences of {length} bases; {path} has {X.shape[1]}")
    if named and len(set(names)) < len(names):
        raise ValueError(f"{path}: names repeat, so a bigWig track cannot hold each sequence once; give each "
                         "sequence its own name")
    return X, [(n, 0) for n in names], {n: X.shape[1] for n in names}


def _region_rows(genome: str, bed: str, length: int | None, log: Log) -> tuple[np.ndarray, list, dict]:
    """(N, L) codes of each BED region of an indexed genome, centred and resized to L."""
    from exactpwm.core.sequence import encode
    from exactpwm.io.htsfiles import fetch_checked, open_indexed
    from exactpwm.scanning.regions import read_bed

    regions = read_bed(bed)
    L = length if length is not None else regions[0][2] - regions[0][1]
    if L < 1:
        raise ValueError(f"{bed}: the first region is empty, and the model does not fix a length")
    fa = open_indexed(genome)
    try:
        sizes = dict(zip(fa.references, fa.lengths))
        missing = sorted({c for c, _, _ in regions if c not in sizes})
        if missing:
            raise ValueError(f"{genome} holds no sequence named {', '.join(missing[:5])} (the BED's chromosomes must "
                             f"be the FASTA's); its sequences are {', '.join(list(sizes)[:10])}")
        rows, places, skipped = [], [], 0
        for c, s, e in regions:
            start = (s + e) // 2 - L // 2
            if start < 0 or start + L > sizes[c]:
                skipped += 1
                continue
            rows.append(encode(fetch_checked(fa, genome, c, start, start + L)))
            places.append((c, start))
    finally:
        fa.close()
    if skipped:
        warnings.warn(f"{skipped} of {len(regions)} regions skipped: their {L}-bp window, centred on the region, "
                      "passes their chromosome's end", ExactpwmWarning, stacklevel=3)
    if not rows:
        raise ValueError(f"{bed}: no region's {L}-bp window lies inside its chromosome")
    log(f"{len(rows):,} regions of {bed}, centred and resized to {L:,} bp")
    return np.stack(rows), places, sizes
