"""The variants job: ``exactpwm variants`` is :func:`run_variants`. Per variant of a VCF: every
motif's best match on REF and ALT (a TSV, and the VCF annotated), or a CNN's kernels' maximum
activations, or a whole exported model's outputs."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exactpwm.core.types import Strand
from exactpwm.jobs.common import (
    KernelOptions,
    Log,
    MotifSource,
    OptionsError,
    check_inputs,
    check_outputs,
    command_text,
    load_exported_model,
    load_motifs,
    open_text,
    resolve_background,
    stderr_log,
)

__all__ = ["VariantsOptions", "VariantsResult", "run_variants", "variants_text"]


@dataclass
class VariantsOptions:
    """``exactpwm variants``'s options.

    motifs : a motif file, ``jaspar:``, a kernel file (converted exactly, or with ``activations`` its
        kernels' activations), or a ``.pt2`` model saved by ``torch.export`` (its outputs)
    genome : an indexed FASTA; vcf : VCF or BCF, plain or bgzip
    output : the TSV (None / '-': stdout); vcf_out : also the VCF with an EXACTPWM INFO field
    report_all : a row for every variant and motif (``--all``), not only hits
    strand, min_delta, length : for activations and models (see ``exactpwm variants --help``)
    part : ``(i, n)``, 0-based: only part i of n of the VCF's records (contiguous, about equal
    counts), to a part file (``output``) that ``exactpwm merge`` joins with the others into the
    whole TSV (motif matches and ``activations``; not a model's outputs); with ``vcf_out``, the
    part also holds its records' INFO entries, and ``exactpwm merge --vcf-out`` writes the
    annotated VCF
    dask : a Dask scheduler address or ``local:N``: runs of VCF records as tasks (workers read the
    same files), the one TSV (and ``vcf_out``) written here (motif matches and ``activations``)
    region : ``chr:start-end`` (1-based, inclusive) or ``chr``: only the records whose POS lies in it,
    read through the VCF's index; the rows of regions that follow each other are the whole run's
    (motif matches only; not with ``vcf_out``, ``part`` or ``dask``)
    """

    motifs: MotifSource
    genome: str
    vcf: str
    output: Any = None
    vcf_out: str | None = None
    pvalue: float = 1e-4
    report_all: bool = False
    activations: bool = False
    strand: Strand = "+"
    min_delta: float = 0.0
    length: int | None = None
    uniform: bool = False
    bgfile: str | None = None
    pseudocount: float | None = None
    threads: int = 0
    backend: str = "auto"
    part: tuple[int, int] | None = None
    dask: str | None = None
    region: str | None = None
    argv: Sequence[str] | None = None


@dataclass
class VariantsResult:
    """The rows written, the variants not scored ({reason: count}) and the files written."""

    rows: int = 0
    skipped: dict = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)


def run_variants(opts: VariantsOptions, *, log: Log = stderr_log) -> VariantsResult:
    """Run one variants job as ``exactpwm variants`` does; variants that cannot be scored are
    counted and named on ``log``, one line per reason."""
    from exactpwm.io.tables import write_tsv

    check_inputs(opts.motifs.spec, opts.genome, opts.vcf)
    if opts.part is not None and opts.dask:
        raise OptionsError("--part and --dask do not go together: a part runs in one process")
    check_outputs([opts.output, opts.vcf_out], [opts.motifs.spec, opts.genome, opts.vcf])
    if opts.region is not None:
        if opts.part is not None or opts.dask:
            raise OptionsError("--region does not go with --part or --dask: a region is already one piece")
        _check_cut(opts, "--region")
        from exactpwm.io.vcf import parse_region

        parse_region(opts.region)  # a malformed region: one clear error before any work
    if opts.part is not None:
        return _variants_part(opts, log)
    if opts.dask:
        return _variants_dask(opts, log)
    eff = None
    if opts.activations:
        table, skipped, examples = _activations(opts)
    elif opts.motifs.spec.lower().endswith(".pt2"):
        table, skipped, examples = _model_outputs(opts)
    else:
        motifs, bg, eff = _motif_effects(opts, log)
        table, skipped, examples = eff.table, eff.skipped, eff.examples
    _log_skipped(skipped, examples, log)
    with open_text(opts.output) as f:
        write_tsv(table, f, backend=opts.backend)
        f.write(f"# {command_text(opts.argv) or 'exactpwm variants'}\n")
    paths = [] if opts.output in (None, "-") else [str(opts.output)]
    if opts.vcf_out:
        assert eff is not None
        eff.write_vcf(opts.vcf, opts.vcf_out)
        log(f"wrote {opts.vcf_out}")
        paths.append(opts.vcf_out)
    if opts.output not in (None, "-"):
        log(f"wrote {opts.output}: {len(table):,} rows")
    return VariantsResult(len(table), dict(skipped), paths)


def _motif_effects(opts: VariantsOptions, log: Log, records: tuple[int, int] | None = None) -> tuple[Any, Any, Any]:
    """(motifs, background, VariantEffects) of the motif file over the VCF (its ``records`` only)."""
    from exactpwm.scanning.variants import variant_effects

    motifs = load_motifs(opts.motifs, log)
    bg = resolve_background(motifs, uniform=opts.uniform, bgfile=opts.bgfile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skips are reported by the caller, one line each
        eff = variant_effects(motifs, opts.genome, opts.vcf, pvalue=opts.pvalue, background=bg,
                              pseudocount=opts.pseudocount, report="all" if opts.report_all else "hits",
                              threads=opts.threads, backend=opts.backend, records=records, region=opts.region)
    return motifs, bg, eff


def _log_skipped(skipped: dict, examples: dict, log: Log) -> None:
    from exactpwm.scanning.variants import SKIP_REASONS

    for reason, n in skipped.items():
        log(f"exactpwm variants: {n} variants not scored: {SKIP_REASONS[reason]} "
            f"(e.g. {', '.join(examples.get(reason, []))})")


def variants_text(opts: VariantsOptions, first: int, stop: int) -> dict:
    """The motif-match TSV of VCF records ``first .. stop - 1`` as text, for a part or a Dask task:
    {"header": the header line, "body": the rows' lines (bytes), "rows", "skipped", "examples",
    "fingerprint": the motifs and options (no input paths)}. Writes nothing, logs nothing."""
    import io

    import numpy as np

    from exactpwm import __version__
    from exactpwm.io.tables import write_tsv
    from exactpwm.scanning.parts import fingerprint

    buf = io.BytesIO()
    if opts.activations:  # the kernels' maximum activations: the engine's, whatever the part
        table, skipped, examples = _activations(opts, (first, stop))
        k = opts.motifs.kernels or KernelOptions()
        run = fingerprint({"command": "variants", "version": __version__, "activations": True,
                           "strand": opts.strand, "min_delta": opts.min_delta,
                           "kernels": [k.key, k.layout, k.bias_key, k.use_bias, k.flip, k.dilation, k.names, k.prefix],
                           "file": _file_digest(opts.motifs.spec)}, [])
        notes: dict = {}
    else:
        motifs, bg, eff = _motif_effects(opts, lambda line: None, (first, stop))
        table, skipped, examples = eff.table, dict(eff.skipped), eff.examples
        scoring = [m.pwm for m in motifs] + [m.counts for m in motifs if m.counts is not None]
        run = fingerprint({"command": "variants", "version": __version__, "names": [m.name for m in motifs],
                           "nsites": [m.nsites for m in motifs], "pvalue": opts.pvalue, "all": opts.report_all,
                           "pseudocount": opts.pseudocount,
                           "background": np.asarray(bg, dtype=float).tolist() if bg is not None else None}, scoring)
        notes = eff.vcf_notes() if opts.vcf_out else {}
    write_tsv(table, buf, backend=opts.backend)
    header, _, body = buf.getvalue().partition(b"\n")
    return {"header": header.decode(), "body": body, "rows": len(table), "skipped": dict(skipped),
            "examples": examples, "fingerprint": run, "notes": notes}


def _file_digest(path: str) -> str:
    import hashlib

    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _check_cut(opts: VariantsOptions, how: str) -> None:
    if opts.motifs.spec.lower().endswith(".pt2") or (how == "--region" and (opts.vcf_out or opts.activations)):
        raise OptionsError(f"{how} cuts motif matches{' and kernel activations' if how != '--region' else ''} "
                           f"into pieces: it does not go with a model's outputs (the model's batches would "
                           f"differ){', --activations or --vcf-out' if how == '--region' else ''}")
    if opts.vcf == "-":
        raise OptionsError(f"{how} reads a VCF file, not stdin")


def _variants_part(opts: VariantsOptions, log: Log) -> VariantsResult:
    """variants --part K/N: the TSV lines of one part of the VCF's records, to a part file."""
    import numpy as np

    from exactpwm.io.vcf import count_records
    from exactpwm.scanning.parts import ScanPart, block_range, fingerprint, write_part

    i, n = opts.part  # type: ignore[misc]
    if not (n >= 1 and 0 <= i < n):
        raise OptionsError(f"--part must be K/N with 1 <= K <= N, got {i + 1}/{n}")
    _check_cut(opts, "--part")
    if opts.output in (None, "-"):
        raise OptionsError("--part writes a part file: give -o")
    total = count_records(opts.vcf)
    first, stop = block_range(total, i, n)
    got = variants_text(opts, first, stop)
    _log_skipped(got["skipped"], got["examples"], log)
    settings = {"command": "variants", "header": got["header"], "skipped": got["skipped"],
                "examples": got["examples"], "vcf": os.path.abspath(opts.vcf), "vcf_out": bool(opts.vcf_out)}
    run = fingerprint({"run": got["fingerprint"], "records": total, "parts": n,
                       "genome": os.path.basename(opts.genome), "vcf_out": bool(opts.vcf_out)}, [])
    write_part(opts.output, ScanPart(run, i, n, 0, first, np.zeros(0, np.int8), [], np.zeros(0, np.int64), [],
                                     settings, {}, stop, got["body"], notes_arrays(got["notes"])))
    log(f"part {i + 1} of {n}: VCF records {first + 1}-{stop} of {total}, {got['rows']:,} rows -> {opts.output}")
    return VariantsResult(got["rows"], got["skipped"], [str(opts.output)])


def _variants_dask(opts: VariantsOptions, log: Log) -> VariantsResult:
    """variants --dask: runs of consecutive VCF records as Dask tasks (each reads the VCF and the
    genome itself: workers see the same files), their TSV lines written in VCF order."""
    import dataclasses

    from exactpwm.io.vcf import count_records
    from exactpwm.scanning.distributed import close, connect, run_tasks, task_count
    from exactpwm.scanning.parts import block_range

    _check_cut(opts, "--dask")
    total = count_records(opts.vcf)
    if not opts.activations:
        load_motifs(opts.motifs, log)  # a bad motif file: one clear error here, not one per task
    client = connect(opts.dask)
    try:
        n = min(max(total, 1), task_count(client))
        log(f"dask: {len(client.nthreads())} workers, {n} tasks")
        one = dataclasses.replace(opts, dask=None, argv=None)
        got = run_tasks(client, variants_text, [(one, *block_range(total, i, n)) for i in range(n)])
    finally:
        close(client)
    skipped: dict = {}
    examples: dict = {}
    for g in got:
        for reason, count in g["skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + count
            examples.setdefault(reason, [])
            examples[reason] = (examples[reason] + g["examples"].get(reason, []))[:3]
    _log_skipped(skipped, examples, log)
    rows = sum(g["rows"] for g in got)
    with open_text(opts.output) as f:
        f.write(got[0]["header"] + "\n")
        for g in got:
            f.write(g["body"].decode())
        f.write(f"# {command_text(opts.argv) or 'exactpwm variants'}\n")
    paths = [] if opts.output in (None, "-") else [str(opts.output)]
    if opts.output not in (None, "-"):
        log(f"wrote {opts.output}: {rows:,} rows")
    if opts.vcf_out:
        from exactpwm.scanning.variants import write_notes_vcf

        write_notes_vcf(opts.vcf, opts.vcf_out, {r: e for g in got for r, e in g["notes"].items()})
        log(f"wrote {opts.vcf_out}")
        paths.append(opts.vcf_out)
    return VariantsResult(rows, skipped, paths)


def notes_arrays(notes: dict[int, list[str]]) -> dict:
    """A part's VCF notes ({record: entries}) as arrays: ``note_record`` (int64, one per entry) and
    ``note_text`` (the entries' UTF-8 bytes, newline-separated)."""
    import numpy as np

    if not notes:
        return {}
    records = [r for r, entries in notes.items() for _ in entries]
    text = "\n".join(e for entries in notes.values() for e in entries).encode()
    return {"note_record": np.array(records, dtype=np.int64), "note_text": np.frombuffer(text, np.uint8)}


def notes_from_arrays(arrays: dict) -> dict[int, list[str]]:
    """The inverse of :func:`notes_arrays`."""
    notes: dict[int, list[str]] = {}
    if "note_record" not in arrays:
        return notes
    entries = bytes(arrays["note_text"]).decode().split("\n")
    for r, e in zip(arrays["note_record"].tolist(), entries):
        notes.setdefault(int(r), []).append(e)
    return notes


def _activations(opts: VariantsOptions, records: tuple[int, int] | None = None) -> tuple[Any, dict, dict]:
    """(table, skipped, examples) of kernel_variant_effects for the kernel file opts.motifs."""
    from exactpwm.interpret.convert import load_first_layer
    from exactpwm.interpret.variant_effects import kernel_variant_effects
    from exactpwm.io.kernels import KERNEL_EXTENSIONS

    spec, k = opts.motifs.spec, opts.motifs.kernels or KernelOptions()
    if not spec.lower().endswith(KERNEL_EXTENSIONS):
        raise OptionsError(f"--activations reads a CNN's kernels ({', '.join(KERNEL_EXTENSIONS)}); "
                           f"{spec} is not a kernel file")
    if opts.vcf_out or opts.report_all:
        raise OptionsError("--vcf-out and --all are for motif matches, not --activations")
    W, bias = load_first_layer(spec, key=k.key, layout=k.layout, bias_key=k.bias_key, use_bias=k.use_bias,
                               batchnorm=k.batchnorm, bn_eps=k.bn_eps, dilation=k.dilation)
    if k.flip:  # true convolution: the kernels read right to left
        W = W[:, :, ::-1]
    names = k.names if k.names else [f"{k.prefix}{i}" for i in range(len(W))]
    if len(names) != len(W):
        raise OptionsError(f"--names gives {len(names)} names for {len(W)} kernels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skips are reported by the caller
        eff = kernel_variant_effects(W, opts.genome, opts.vcf, bias, strand=opts.strand, threads=opts.threads,
                                     backend=opts.backend, records=records)
    table = eff.to_pandas(names, what="kernel", value="activation", min_delta=opts.min_delta)
    return table, eff.skipped, eff.examples


def _model_outputs(opts: VariantsOptions) -> tuple[Any, dict, dict]:
    """(table, skipped, examples) of model_variant_effects for the exported model opts.motifs."""
    from exactpwm.interpret.variant_effects import model_variant_effects

    spec = opts.motifs.spec
    if opts.vcf_out or opts.report_all or opts.activations:
        raise OptionsError("--vcf-out, --all and --activations are not for a model's outputs")
    model, batch, length = load_exported_model(spec)
    if opts.length is not None and length is not None and opts.length != length:
        raise OptionsError(f"{spec} was exported for inputs of {length} bases, not --length {opts.length}")
    length = length or opts.length
    if length is None:
        raise OptionsError(f"{spec} takes inputs of any length: give --length")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skips are reported by the caller
        eff = model_variant_effects(model, opts.genome, opts.vcf, length, batch=batch or 256, threads=opts.threads)
    table = eff.to_pandas(None, what="output", value="output", min_delta=opts.min_delta)
    return table, eff.skipped, eff.examples
