"""The gia job: ``exactpwm gia`` is :func:`run_gia`. A model saved by ``torch.export`` and a null
model in; global importance tables (and their figures) out.

Files written in the output folder:

* ``effects.tsv``: each motif (and each ``--patterns`` consensus) embedded at one position (default
  the centre) on the strands asked for: mean change of the output over the null set, its standard
  deviation and 95% interval, strongest first;
* ``spacing.tsv``: with ``pair``, the pair's effect at every spacing 0..``max_spacing`` in the four
  orientations, with the single effects and the interaction;
* ``interactions.tsv``: with ``interactions`` = m, every pair of the m strongest patterns;
* ``kmers.tsv``: with ``kmer`` = k, all 4^k k-mers, strongest first;
* ``null.fa``: the null sequences used (so the run can be repeated or checked);
* a ``.png`` figure beside each table when matplotlib is installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.jobs.common import (
    Log,
    MotifSource,
    OptionsError,
    check_inputs,
    check_outputs,
    equal_length_fasta,
    load_exported_model,
    load_motifs,
    make_folder,
    share_cores_with_torch,
    stderr_log,
    worker_threads_by_host,
)

__all__ = ["DaskOutputs", "GiaOptions", "GiaResult", "gia_task", "parse_null", "run_gia"]


@dataclass
class GiaOptions:
    """``exactpwm gia``'s options.

    Attributes
    ----------
    model : a ``.pt2`` file (``torch.export.save``) taking one-hot (B, 4, L), exported with a
        dynamic batch (a fixed batch also works, more slowly)
    output : the output folder (created; the files listed in the module's notes are replaced)
    null : ``shuffle:FASTA[:k]`` (shuffles of real sequences keeping k-mer counts, k = 2 by default),
        ``profile:FASTA`` (per-position base frequencies), ``iid[:GC]`` or ``iid:A,C,G,T``
        (independent bases), or ``quantile:FASTA[:LOW-HIGH]`` (the real sequences whose prediction
        lies in those quantiles, default 0-0.25)
    motifs : a motif file or ``jaspar:`` spec (None: none)
    patterns : consensus strings
    size : null sequences (default 1000)
    length : the null length for ``iid`` when the model does not fix it
    position : the start of each embedded pattern (None: the centre)
    strand : "+", "-" or "both"
    embed : "consensus" or "sample" (a draw from the PWM per null sequence)
    output_index : the model output reported (None: all)
    pair : two motif names (ids or alt names) or consensus strings for the spacing curve
    max_spacing, interactions, kmer : as in the module's notes (0: not run)
    seed : seeds the null and the samples
    batch_size : rows per model call
    plots : a figure beside each table
    dask : a Dask scheduler address or ``local:N``: blocks of the null set as tasks (the workers read
        the same model file); the same tables as one run
    """

    model: str
    output: str
    null: str
    motifs: str | None = None
    patterns: list = field(default_factory=list)
    size: int = 1000
    length: int | None = None
    position: int | None = None
    strand: str = "+"
    embed: str = "consensus"
    output_index: int | None = 0
    pair: tuple | None = None
    max_spacing: int = 100
    interactions: int = 0
    kmer: int = 0
    seed: int = 0
    batch_size: int | None = None
    plots: bool = True
    dask: str | None = None


@dataclass
class GiaResult:
    """Null sequences used, patterns tested, the path taken ("local" or "full") and files written."""

    null_size: int
    patterns: int
    method: str
    paths: list


def parse_null(spec: str, model: Any, size: int, length: int | None, seed: int) -> np.ndarray:
    """The (size, L) uint8 null sequences that a ``null`` spec names (see :class:`GiaOptions`)."""
    from exactpwm.interpret import null_models

    kind, _, rest = spec.partition(":")
    if kind in ("shuffle", "profile", "quantile"):
        path, _, arg = rest.rpartition(":") if rest.count(":") and not os.path.exists(rest) else (rest, "", "")
        if not path:
            raise OptionsError(f"--null {spec}: give a FASTA of real sequences ({kind}:FASTA)")
        check_inputs(path)
        _, X = equal_length_fasta(path, "null sequences")
        if kind == "shuffle":
            k = int(arg) if arg.isdigit() else 2 if not arg else 0
            if k < 1:
                raise OptionsError(f"--null {spec}: give the k-mer length the shuffle keeps, such as shuffle:FASTA:3")
            return null_models.shuffle_null(X, size, k=k, seed=seed)
        if kind == "profile":
            if arg:
                raise OptionsError(f"--null {spec}: profile takes a FASTA only")
            return null_models.profile_null(X, size, pseudocount=0.01, seed=seed)
        low, high = 0.0, 0.25
        if arg:
            try:
                low, high = (float(v) for v in arg.split("-"))
            except ValueError:
                raise OptionsError(f"--null {spec}: quantiles are LOW-HIGH, such as 0-0.25") from None
        Q = null_models.quantile_null(model, X, low, high)
        if len(Q) == 0:
            raise OptionsError(f"--null {spec}: no sequence's prediction lies in that quantile range")
        rng = np.random.default_rng(seed)
        return Q[rng.integers(0, len(Q), size)] if size != len(Q) else Q
    if kind == "iid":
        if length is None:
            raise OptionsError("--null iid: the model does not fix its input length; give --length")
        comp: Any = None
        if rest:
            try:
                values = [float(v) for v in rest.split(",")]
            except ValueError:
                raise OptionsError(f"--null {spec}: give a GC fraction or four base frequencies A,C,G,T") from None
            comp = values[0] if len(values) == 1 else values
        return null_models.iid_null(size, length, comp, seed=seed)
    raise OptionsError(f"--null {spec}: the null model is shuffle:FASTA[:k], profile:FASTA, iid[:GC] or "
                       "quantile:FASTA[:LOW-HIGH]")


def _pattern(name: str, motifs: Any) -> Any:
    for m in motifs or []:
        if name in (m.name, m.alt_name, f"{m.name} {m.alt_name}".strip()):
            return m
    if set(name.upper()) <= set("ACGTN") and name:
        return name.upper()
    raise OptionsError(f"--pair {name}: not a motif id or name of --motifs, nor a consensus of A, C, G, T, N")


def run_gia(opts: GiaOptions, *, log: Log = stderr_log, progress: Any = None) -> GiaResult:
    """Run one global importance job as ``exactpwm gia`` does."""
    from exactpwm.interpret.gia import GlobalImportance

    motif_file = opts.motifs if opts.motifs and not opts.motifs.startswith("jaspar:") else None
    check_inputs(opts.model, motif_file)
    if not opts.model.lower().endswith(".pt2"):
        raise OptionsError(f"{opts.model}: give a model saved by torch.export.save (.pt2)")
    if not opts.motifs and not opts.patterns and not opts.pair and not opts.kmer:
        raise OptionsError("nothing to test: give --motifs, --patterns, --pair or --kmer")
    if opts.strand not in ("+", "-", "both"):
        raise OptionsError(f"--strand must be +, - or both, got {opts.strand!r}")
    model, _, length = load_exported_model(opts.model)
    if opts.length is not None and length is not None and opts.length != length:
        raise OptionsError(f"--length {opts.length}: the model takes sequences of {length} bp")
    null = parse_null(opts.null, model, opts.size, length or opts.length, opts.seed)
    if length is not None and null.shape[1] != length:
        raise OptionsError(f"--null {opts.null}: sequences of {null.shape[1]} bp, but the model takes {length} bp")
    motifs = load_motifs(MotifSource(opts.motifs), log) if opts.motifs else None
    patterns = list(motifs or []) + [p.upper() for p in opts.patterns]
    make_folder(opts.output, "gia writes its tables into a folder")
    names = ["null.fa"] + [f"{t}.{x}" for t in ("effects", "spacing", "interactions", "kmers") for x in ("tsv", "png")]
    null_path = opts.null.split(":")[1] if opts.null.count(":") and not opts.null.startswith("iid") else None
    check_outputs([os.path.join(opts.output, n) for n in names], [opts.model, motif_file, null_path])  # not an input
    client = runner = None
    if opts.dask:
        from exactpwm.scanning.distributed import connect

        client = connect(opts.dask)
    try:
        if client is not None:
            runner = DaskOutputs(client, opts.model, null, batch_size=opts.batch_size, seed=opts.seed)
            log(f"dask: {len(client.nthreads())} workers, {runner.blocks} tasks per batch of edits (blocks of "
                "the null set)")
        gia = GlobalImportance(model, null, output=opts.output_index, batch_size=opts.batch_size, seed=opts.seed,
                               runner=runner)
        return _run_tables(opts, gia, null, patterns, motifs, log, progress)
    finally:
        if client is not None:
            from exactpwm.scanning.distributed import close

            close(client)


def _run_tables(opts: GiaOptions, gia: Any, null: np.ndarray, patterns: list, motifs: Any, log: Log,
                progress: Any) -> GiaResult:
    from exactpwm.interpret.gia import hypotheses

    log(f"null: {len(null):,} sequences of {null.shape[1]:,} bp ({opts.null}); the model runs on the "
        f"{gia.runner.method} path" + (f" ({gia.runner.why})" if gia.runner.why else ""))
    paths = [_write_fasta(os.path.join(opts.output, "null.fa"), null)]
    tables = []
    if patterns:
        effects = gia.effect(patterns, position=opts.position, strand=opts.strand, embed=opts.embed)
        order = np.argsort(-effects["mean"], kind="stable")
        effects.columns = {k: v[order] for k, v in effects.columns.items()}
        tables.append(("effects", effects))
        if progress is not None:
            progress(1)
        if opts.interactions:
            top = list(dict.fromkeys(effects["pattern"]))[:opts.interactions]
            by_name = {h.name: h for h in hypotheses(patterns)}
            tables.append(("interactions", gia.interactions([by_name[t] for t in top], embed=opts.embed)))
    if opts.pair:
        a, b = (_pattern(p, motifs) for p in opts.pair)
        tables.append(("spacing", gia.spacing_curve(a, b, spacings=range(0, opts.max_spacing + 1), interaction=True,
                                                    embed=opts.embed)))
    if opts.kmer:
        tables.append(("kmers", gia.optimal_kmer(opts.kmer, position=opts.position,
                                                 strand="-" if opts.strand == "-" else "+")))
    for name, table in tables:
        path = os.path.join(opts.output, f"{name}.tsv")
        table.write_tsv(path)
        paths.append(path)
        if opts.plots:
            paths += _figure(table, os.path.join(opts.output, f"{name}.png"))
    if tables and tables[0][0] == "effects":
        e = tables[0][1]
        log(f"strongest: {e['pattern'][0]} ({e['strand'][0]}) {e['mean'][0]:+.4g} "
            f"[{e['ci_low'][0]:.4g}, {e['ci_high'][0]:.4g}]")
    log(f"wrote {', '.join(paths)}")
    return GiaResult(len(null), len(patterns), gia.runner.method, paths)


class DaskOutputs:
    """The edited outputs of :class:`~exactpwm.interpret.edited_outputs.EditedOutputs`, computed on
    a Dask cluster: each call cuts the null set into runs of whole blocks (``EditedOutputs.block``
    sequences) and runs each as a task (:func:`gia_task`), so every model call is the one the
    in-process run makes and the outputs are the same numbers. Retried when a worker dies.

    client : a ``dask.distributed.Client``; model : path of a ``.pt2`` file every worker reads;
    sequences : (N, n) uint8 null codes; batch_size, seed : as ``EditedOutputs``
    """

    def __init__(self, client: Any, model: str, sequences: np.ndarray, *, batch_size: int | None = None,
                 seed: int = 0):
        from exactpwm.scanning.distributed import task_count

        self.client, self.model, self.sequences = client, model, np.ascontiguousarray(sequences)
        self.threads_by_host = worker_threads_by_host(client)
        self.batch_size, self.seed = batch_size, seed
        from exactpwm.interpret.edited_outputs import block_size

        block = block_size(batch_size)
        N = len(self.sequences)
        n = min(-(-N // block), task_count(client, per_thread=2))
        from exactpwm.scanning.parts import block_range

        self.ranges = [block_range(N, i, n, block) for i in range(n)]
        self.blocks = len(self.ranges)
        empty_words = np.zeros((0, 1), np.uint8)
        pieces = self._tasks(np.zeros(0, np.int64), empty_words)
        self.baseline = np.concatenate([b for b, _, _, _ in pieces])
        self.method, self.why = pieces[0][2], pieces[0][3]

    @property
    def outputs(self) -> int:
        return int(self.baseline.shape[1])

    def _tasks(self, starts: np.ndarray, words: np.ndarray) -> list:
        from exactpwm.scanning.distributed import run_tasks

        args = [(self.model, self.sequences[a:b], starts, words[:, a:b] if words.ndim == 3 else words,
                 self.batch_size, self.seed, self.threads_by_host) for a, b in self.ranges]
        workers = sorted(self.client.nthreads())  # each run of blocks on one worker, whose runner it keeps
        return run_tasks(self.client, gia_task, args, prefer=[workers[i % len(workers)] for i in range(len(args))])

    def __call__(self, starts: Any, words: Any) -> np.ndarray:
        """(E, N, K) float64, as ``EditedOutputs.__call__``."""
        starts = np.asarray(starts, np.int64).reshape(-1)
        words = np.asarray(words)
        N = len(self.sequences)
        if words.ndim not in (2, 3) or len(words) != len(starts) or (words.ndim == 3 and words.shape[1] != N):
            raise ValueError(f"words must be (E, w) or (E, {N}, w) for {len(starts)} starts, got {words.shape}")
        return np.concatenate([y for _, y, _, _ in self._tasks(starts, words)], axis=1)


_WORKER_RUNNERS: dict = {}


def gia_task(model: str, sequences: np.ndarray, starts: np.ndarray, words: np.ndarray, batch_size: int | None,
             seed: int, threads_by_host: dict | None = None) -> tuple[np.ndarray, np.ndarray, str, str]:
    """On a Dask worker: (baseline (n, K), outputs (E, n, K), method, why) of the edits on one run
    of blocks of the null set. The worker keeps the model and its runners for the next calls; torch
    runs on the worker's share of the cores (:func:`exactpwm.jobs.common.share_cores_with_torch`)."""
    import hashlib

    share_cores_with_torch(threads_by_host)

    from exactpwm.interpret.edited_outputs import EditedOutputs

    key = (model, os.stat(model).st_mtime_ns, batch_size, seed, hashlib.sha1(sequences.tobytes()).hexdigest(),
           sequences.shape)
    runner = _WORKER_RUNNERS.get(key)
    if runner is None:
        if len(_WORKER_RUNNERS) >= 16:
            _WORKER_RUNNERS.pop(next(iter(_WORKER_RUNNERS)))
        loaded, _, _ = load_exported_model(model)
        runner = _WORKER_RUNNERS[key] = EditedOutputs(loaded, sequences, batch_size=batch_size, seed=seed)
    y = runner(starts, words) if len(starts) else np.empty((0, len(sequences), runner.outputs))
    return runner.baseline, y, runner.method, runner.why


def _write_fasta(path: str, codes: np.ndarray) -> str:
    from exactpwm.io.files import atomic_output

    letters = np.frombuffer(b"ACGTN", np.uint8)
    with atomic_output(path, "w") as f:
        for i, row in enumerate(codes):
            f.write(f">null{i}\n{letters[row].tobytes().decode()}\n")
    return path


def _figure(table: Any, path: str) -> list:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return []
    from exactpwm.io.files import atomic_output

    fig = table.plot()
    with atomic_output(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    return [path]
