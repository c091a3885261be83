"""Scanning across a Dask cluster (extra ``distributed``); in-process scanning stays the default.

The client reads the FASTA once, in chunks of ``chunk_size`` bases with L - 1
bases of overlap (as :func:`exactpwm.iter_scan`), and submits one task per
(chunk, motif group) to a ``dask.distributed`` cluster, keeping only a bounded
number of tasks in flight. Each task scans its chunk with the same engine and
either writes its hits to its own partition file (atomically, under a name fixed
by the chunk and group, so a retried task rewrites the same file: a lost worker
neither loses nor duplicates hits) or returns them. Hits are therefore those of
the in-process scan, including motifs spanning chunk boundaries.

Partitions: ``part-<record>-<start>-g<group>.<ext>``, record and start
zero-padded, so sorting the names gives the sequence order; formats ``tsv``
(FIMO-style, one header per file), ``bed`` or ``parquet`` (needs pyarrow).
Progress: Dask's dashboard (its address is in ``client.dashboard_link``) and an
optional callback with the bases done.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from exactpwm.core.motif import MotifSet
from exactpwm.core.types import Strand
from exactpwm.io.fasta import Chunk
from exactpwm.io.files import staged_partitions, unique_filenames
from exactpwm.scanning.batches import as_chunks
from exactpwm.scanning.hits import HitTable, HitWriter, RowBuffer
from exactpwm.scanning.plan import ScanPlan, plan_scan, subset_plan
from exactpwm.scanning.scan import scan_chunk

__all__ = ["connect", "close", "scan_distributed", "tracks_distributed", "DistributedScan", "read_partitions",
           "run_tasks", "task_count"]

PARTITION_FORMATS = ("tsv", "bed", "gff", "parquet")


def connect(address: str | None = None):
    """A ``dask.distributed.Client``: ``None`` or ``"local"`` (a LocalCluster on loopback, one
    worker per core), ``"local:N"`` (N single-threaded... workers), or a scheduler address."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("scanning with Dask needs dask.distributed: pip install 'exactpwm[distributed]'") from None
    if address is None or address == "local" or address.startswith("local:"):
        n = int(address.split(":", 1)[1]) if address and ":" in address else None
        if n is not None and n < 1:
            raise ValueError(f"local:N needs N >= 1 workers, got {address!r}")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0",
                               processes=True)
        return Client(cluster)
    return Client(address)


def close(client) -> None:
    """Close a client and, if :func:`connect` started one for it, its LocalCluster."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


@dataclass
class DistributedScan:
    """What a distributed scan produced.

    paths : partition files in sequence order (empty when the hits were collected)
    hits : a HitTable when ``outdir`` was None, else None
    n_hits : number of hits
    sequence_names, motif_names : labels
    """

    paths: list = field(default_factory=list)
    hits: HitTable | None = None
    n_hits: int = 0
    sequence_names: list = field(default_factory=list)
    motif_names: list = field(default_factory=list)


def _partition_task(plan: ScanPlan, motif_index: np.ndarray, codes: np.ndarray, record: int, name: str,
                    start: int, last: bool, chunk_size: int, strand: Strand, threads: int, backend: str,
                    path: str | None, fmt: str, alt_names: list):
    """Scan one chunk with one motif group; write the partition (atomically) or return the rows."""
    rows = scan_chunk(plan, Chunk(record, name, start, codes, last), chunk_size, strand=strand, threads=threads,
                      backend=backend)
    rows["motif"] = motif_index[rows["motif"]]
    if path is None:
        return rows
    from exactpwm.io.files import atomic_output

    motif_names = {int(g): n for g, n in zip(motif_index, plan.names)}  # global motif index -> name
    if fmt == "parquet":
        _write_parquet(path, rows, motif_names, name)
    else:
        alts = {int(g): alt_names[int(g)] for g in motif_index}
        with atomic_output(path) as f:
            HitWriter(f, fmt, motif_names, {record: name}, alts).write(rows)
    return int(rows.size)


def _write_parquet(path: str, rows: np.ndarray, motif_names: dict, name: str) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet partitions need pyarrow: pip install pyarrow (or use tsv/bed)") from None
    from exactpwm.io.files import atomic_path

    table = pa.table({f: (rows[f].astype(str) if rows.dtype[f].kind == "S" else rows[f])
                      for f in rows.dtype.names or ()}
                     | {"sequence_name": np.full(rows.size, name),
                        "motif_name": np.array([motif_names[int(m)] for m in rows["motif"]], dtype=str)})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def scan_distributed(motifs, sequences, outdir=None, *, client=None, pvalue: float | None = None, score=None,
                     names=None, mode: str = "logodds", background=None, base: float = 2.0,
                     pseudocount: float | None = None,
                     strand: Strand = "both", chunk_size: int = 1 << 24, motif_groups: int = 1, format: str = "tsv",
                     threads: int = 1, backend: str = "auto", max_in_flight: int | None = None,
                     progress: Callable[[int], None] | None = None) -> DistributedScan:
    """Scan on a Dask cluster: the same hits as :func:`exactpwm.scan`, chunk by chunk.

    outdir : folder for partition files (created; written through a staging folder and moved into
        place when every task has succeeded, replacing the previous run's ``part-*`` files; a failed
        run leaves the folder as it was), or None to gather the hits into a HitTable on the client
    client : a ``dask.distributed.Client`` (default: :func:`connect` ()), closed only if made here
    motif_groups : split the motifs into this many groups, one task per chunk and group
    threads : engine threads inside each task (workers usually run one task per core)
    max_in_flight : tasks submitted but not finished (default: 2 per worker thread), which bounds
        the memory the client and cluster hold
    Other arguments as in :func:`exactpwm.scan`.
    """

    if format not in PARTITION_FORMATS:
        raise ValueError(f"format must be one of {PARTITION_FORMATS}, got {format!r}")
    if strand not in ("+", "-", "both"):
        raise ValueError(f"strand must be '+', '-' or 'both', got {strand!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    plan_args = dict(pvalue=pvalue, score=score, names=names, mode=mode, background=background, base=base,
                     pseudocount=pseudocount)
    full = plan_scan(motifs, threads=0, **plan_args)
    alt_names = [m.alt_name for m in motifs] if isinstance(motifs, MotifSet) else [""] * len(full.names)
    groups = np.array_split(np.arange(len(full.names)), max(1, min(motif_groups, len(full.names))))
    subplans = [(subset_plan(full, ix), ix) for ix in groups]
    own = client is None
    client = connect() if own else client
    stage = staged_partitions(outdir) if outdir is not None else nullcontext(None)
    try:
        with stage as staging:
            results, seq_names = _scan_tasks(client, subplans, sequences, chunk_size, full.overlap, strand, threads,
                                             backend, staging, format, alt_names, max_in_flight, progress)
    finally:
        if own:
            close(client)
    order = sorted(results)
    if outdir is None:
        found = RowBuffer(full.dtype)
        for k in order:
            found.append(results[k])
        rows = found.result()
        if motif_groups > 1:  # merge the groups back into the in-process order
            key = np.lexsort((rows["motif"], rows["strand"] == b"-", rows["start"], rows["sequence"]))
            rows = rows[key]
        table = HitTable(rows, full.names, seq_names, full.thresholds, alt_names)
        return DistributedScan([], table, int(rows.size), seq_names, full.names)
    paths = [os.path.join(os.fspath(outdir), os.path.basename(k[3])) for k in order]
    return DistributedScan(paths, None, int(sum(results[k] for k in order)), seq_names, full.names)


def _scan_tasks(client: Any, subplans: list, sequences: Any, chunk_size: int, overlap: int, strand: Strand,
                threads: int, backend: str, outdir: str | None, format: str, alt_names: list,
                max_in_flight: int | None, progress: Callable[[int], None] | None) -> tuple[dict, list]:
    """Submit one task per chunk and motif group; ({(record, start, group, path): result}, sequence names)."""
    from dask.distributed import as_completed

    held = [(_held(client, p), ix) for p, ix in subplans]
    limit = max_in_flight or 2 * max(1, sum(client.nthreads().values()))
    ext = {"tsv": "tsv", "bed": "bed", "gff": "gff3", "parquet": "parquet"}[format]
    seq_names: list[str] = []
    results: dict[tuple, Any] = {}
    meta: dict[str, tuple] = {}
    pending = as_completed()
    n_pending = 0

    live: dict[str, Any] = {}

    def drain(block_until: int) -> None:
        nonlocal n_pending
        while n_pending > block_until:
            fut = next(pending)
            results[meta.pop(fut.key)] = fut.result()
            live.pop(fut.key, None)
            n_pending -= 1
            fut.release()

    with _cancel_on_failure(client, live):
        for chunk in as_chunks(sequences, chunk_size, overlap, seq_names):
            done = int(min(chunk.codes.size if chunk.last else chunk_size, chunk.codes.size))
            for g, (plan_f, ix) in enumerate(held):
                path = None if outdir is None else \
                    os.path.join(os.fspath(outdir), f"part-{chunk.record:06d}-{chunk.start:013d}-g{g:03d}.{ext}")
                fut = client.submit(_partition_task, plan_f, ix, chunk.codes, chunk.record, chunk.name, chunk.start,
                                    chunk.last, chunk_size, strand, threads, backend, path, format, alt_names,
                                    pure=False, retries=2)
                meta[fut.key] = (chunk.record, chunk.start, g, path)
                live[fut.key] = fut
                pending.add(fut)
                n_pending += 1
                drain(limit)
            if progress is not None:
                progress(done)
        drain(0)
    return results, seq_names


@contextmanager
def _cancel_on_failure(client: Any, live: dict) -> Iterator[None]:
    """On any exception (a failed task, an interrupt), cancel the tasks still in ``live`` ({key:
    future}) and wait a moment for running ones, so none writes after the caller cleans up."""
    try:
        yield
    except BaseException:
        from dask.distributed import wait

        futures = list(live.values())
        try:
            client.cancel(futures)
            wait(futures, timeout=10)
        except Exception:  # best effort: the original error is what the caller must see
            pass
        raise


def _track_task(motifs, kwargs: dict, codes: np.ndarray, name: str, start: int, last: bool, chunk_size: int,
                paths: list) -> int:
    """Score tracks of one chunk; write one bedGraph partition per motif (atomically)."""
    from exactpwm.io.files import atomic_output
    from exactpwm.scanning.tracks import score_tracks, write_bedgraph

    limit = codes.size if last else chunk_size
    per_motif: dict[int, np.ndarray] = {}
    for _, _, idx, scores in score_tracks(motifs, [(name, codes)], chunk_size=max(codes.size, 1), **kwargs):
        vals = np.fmax(scores[0], scores[1]) if scores.ndim == 3 else scores
        for row, k in enumerate(idx):
            per_motif[int(k)] = vals[row, :limit]
    for k, path in enumerate(paths):
        with atomic_output(path) as f:
            if k in per_motif:
                write_bedgraph(f, name, start, per_motif[k])
    return len(paths)


def tracks_distributed(motifs: MotifSet, sequences, outdir, *, client=None, strand: Strand = "both",
                       chunk_size: int = 1 << 24, max_in_flight: int | None = None,
                       progress: Callable[[int], None] | None = None, **kwargs) -> list[str]:
    """Score tracks on a Dask cluster: ``outdir/<motif>/part-<record>-<start>.bedGraph`` per chunk
    (value at each window start; with both strands the better one; N windows left out).
    Concatenating a motif's partitions in name order gives :func:`exactpwm.score_tracks`' track.
    ``kwargs``: background, base, pseudocount, threads, backend as in :func:`exactpwm.score_tracks`.
    Returns the folders written, one per motif."""

    from exactpwm.scanning.plan import score_matrices

    names = [m.name for m in motifs]
    overlap = max(m.shape[1] for m in score_matrices(motifs, background=kwargs.get("background"),
                                                     pseudocount=kwargs.get("pseudocount"))) - 1
    subfolders = unique_filenames(names)
    own = client is None
    client = connect() if own else client
    try:
        with staged_partitions(outdir) as stage:
            _track_tasks(client, motifs, sequences, chunk_size, overlap, strand, max_in_flight, progress,
                         [os.path.join(stage, n) for n in subfolders], kwargs)
    finally:
        if own:
            close(client)
    return [os.path.join(os.fspath(outdir), n) for n in subfolders]


def _track_tasks(client: Any, motifs: MotifSet, sequences: Any, chunk_size: int, overlap: int, strand: Strand,
                 max_in_flight: int | None, progress: Callable[[int], None] | None, folders: list[str],
                 kwargs: dict) -> None:
    """Submit one track task per chunk; each writes one partition per motif into ``folders``."""
    from dask.distributed import as_completed

    for d in folders:
        os.makedirs(d, exist_ok=True)
    motifs_f = _held(client, motifs)
    limit = max_in_flight or 2 * max(1, sum(client.nthreads().values()))
    pending, n = as_completed(), 0
    live: dict[str, Any] = {}
    with _cancel_on_failure(client, live):
        for chunk in as_chunks(sequences, chunk_size, overlap, []):
            part = f"part-{chunk.record:06d}-{chunk.start:013d}.bedGraph"
            fut = client.submit(_track_task, motifs_f, {"strand": strand, **kwargs}, chunk.codes, chunk.name,
                                chunk.start, chunk.last, chunk_size, [os.path.join(d, part) for d in folders],
                                pure=False, retries=2)
            live[fut.key] = fut
            pending.add(fut)
            n += 1
            while n > limit:
                done = next(pending)
                done.result()
                live.pop(done.key, None)
                n -= 1
            if progress is not None:
                progress(int(min(chunk.codes.size if chunk.last else chunk_size, chunk.codes.size)))
        for fut in pending:
            fut.result()
            live.pop(fut.key, None)


def task_count(client: Any, per_thread: int = 4) -> int:
    """How many tasks to cut a job into: ``per_thread`` per worker thread (at least 1)."""
    return max(1, per_thread * sum(client.nthreads().values()))


def run_tasks(client: Any, fn: Callable, args: list[tuple], *, max_in_flight: int | None = None,
              progress: Callable[[int], None] | None = None, prefer: list[str] | None = None) -> list:
    """``[fn(*a) for a in args]`` on a Dask cluster, in that order: at most ``max_in_flight`` tasks
    submitted at a time (default: 2 per worker thread), each retried twice when its worker dies
    (tasks must be pure functions of their arguments: read-only files, no state). ``progress`` is
    called with 1 as each task finishes. ``prefer``: a worker address per task, where it runs when
    that worker is alive (so that a worker's caches serve the same piece on every call)."""
    from dask.distributed import as_completed

    limit = max_in_flight or max(1, 2 * sum(client.nthreads().values()))
    out: list = [None] * len(args)
    pending = as_completed()
    index: dict = {}
    it = iter(range(len(args)))

    def submit(i: int) -> None:
        where = {} if prefer is None else {"workers": [prefer[i]], "allow_other_workers": True}
        fut = client.submit(fn, *args[i], pure=False, retries=2, **where)
        index[fut.key] = i
        pending.add(fut)

    for i in it:
        submit(i)
        if len(index) >= limit:
            break
    for fut in pending:
        out[index.pop(fut.key)] = fut.result()
        fut.release()
        nxt = next(it, None)
        if nxt is not None:
            submit(nxt)
        if progress is not None:
            progress(1)
    return out


def _same(obj: Any) -> Any:
    return obj


def _held(client: Any, obj: Any) -> Any:
    """A future holding ``obj`` on the cluster, for tasks to take as an argument (fetched once per
    worker that needs it). ``obj`` is the result of a task whose specification the scheduler keeps,
    so when the worker holding it dies, it is made again where it is needed. A broadcast ``scatter``
    has no such copy: one whose worker died a moment before replication retried forever inside the
    scheduler (seen in CI under AddressSanitizer), and its data could not be rebuilt."""
    return client.submit(_same, obj, pure=False)


def read_partitions(paths) -> list[list[str]]:
    """The hit lines of TSV/BED partitions, in partition order, as lists of fields (headers and
    comment lines left out) — for checking and for small outputs."""
    rows = []
    for p in paths:
        with open(p) as f:
            for line in f:
                if line.strip() and not line.startswith(("#", "motif_id\t")):
                    rows.append(line.rstrip("\n").split("\t"))
    return rows
