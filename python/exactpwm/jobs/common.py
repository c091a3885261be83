"""What every job shares: the options error, motif sources (files, ``jaspar:``, kernel files),
backgrounds, input checks and text outputs.

A job is one library call that does what one command does, from inputs named by path to files
written: :func:`exactpwm.jobs.run_scan` and its siblings. The CLI parses its arguments into a job's
options and makes that one call; a Python program, a workflow rule or a Dask task can make the same
call.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import IO, Any, TextIO

import numpy as np

from exactpwm.core.errors import OptionsError
from exactpwm.core.motif import MotifSet
from exactpwm.core.types import Strand

__all__ = ["KernelOptions", "Log", "MotifSource", "OptionsError", "check_inputs", "check_outputs", "command_text",
           "kernel_motifs", "load_exported_model", "load_motifs", "make_folder", "open_text", "resolve_background",
           "share_cores_with_torch", "stderr_log", "worker_threads_by_host"]

#: a job's informational lines ("wrote ...", notes); the CLI prints them on stderr
Log = Callable[[str], None]


def stderr_log(line: str) -> None:
    """The default :data:`Log`: the line on stderr."""
    print(line, file=sys.stderr)


@dataclass
class KernelOptions:
    """How a CNN kernel file becomes exact PWMs (see :func:`exactpwm.interpret.convert.kernels_to_motifs`).

    base : the log base b > 1 (default e), unless ``fit_base`` names sequences to fit it on
    flip : True convolution (the paper) instead of cross-correlation (PyTorch, Keras)
    key, bias_key, layout, use_bias, batchnorm, bn_eps, dilation : where the kernels are and what
        the layer does (as ``exactpwm convert``'s options)
    names, prefix : the PWMs' names
    strand : "+" or "both": how the model scans, for the base fit
    """

    base: float = 2.718281828459045
    flip: bool = False
    key: str | None = None
    bias_key: str | None = None
    layout: str | None = None
    use_bias: bool = True
    batchnorm: str | None = None
    bn_eps: float | None = None
    dilation: int = 1
    names: list[str] | None = None
    prefix: str = "kernel"
    fit_base: str | None = None
    strand: Strand = "+"
    threads: int = 0


@dataclass
class MotifSource:
    """Where a job's motifs come from.

    spec
        A motif file (MEME, JASPAR, PFM, TRANSFAC, HOMER; gz ok), ``jaspar:[RELEASE,][IDS,][TAXON]``,
        or a CNN kernel file (.npy/.npz/.pt/.h5), converted exactly with ``kernels``.
    format
        The motif file's format (default: from the extension, else the content).
    select
        Ids or alt names to keep (comma-separated items allowed).
    kernels
        How a kernel file is converted; None refuses kernel files.
    """

    spec: str
    format: str | None = None
    select: Sequence[str] | None = None
    kernels: KernelOptions | None = None


def load_motifs(source: MotifSource, log: Log = stderr_log) -> MotifSet:
    """The :class:`MotifSet` a :class:`MotifSource` names; a kernel file is converted exactly
    (its base said, or fitted, on ``log``)."""
    from exactpwm.io.formats import read_motifs
    from exactpwm.io.kernels import KERNEL_EXTENSIONS

    spec = source.spec
    if spec.startswith("jaspar:"):
        from exactpwm.io.formats.jaspardb import load_jaspar_spec

        ms = load_jaspar_spec(spec)
    elif spec.lower().endswith(KERNEL_EXTENSIONS):
        if source.kernels is None:
            raise OptionsError(f"{spec} is a kernel file, not a motif file: convert it first "
                               f"(exactpwm convert {spec} --fit-base SEQUENCES.fa -o motifs.meme)")
        ms, _ = kernel_motifs(spec, source.kernels, log)
    else:
        ms = read_motifs(spec, source.format)
    if source.select:
        ms = ms.select([n for item in source.select for n in item.split(",") if n])
    return ms


def kernel_motifs(path: str, k: KernelOptions, log: Log = stderr_log) -> tuple[MotifSet, Any]:
    """(MotifSet of exact PWMs, offsets) of a kernel file, the base given or fitted (said on ``log``)."""
    from exactpwm.interpret.convert import kernels_to_motifs

    conv = kernels_to_motifs(path, base=k.base, flip=k.flip, key=k.key, layout=k.layout, bias_key=k.bias_key,
                             use_bias=k.use_bias, batchnorm=k.batchnorm, bn_eps=k.bn_eps, dilation=k.dilation,
                             fit_sequences=k.fit_base, strand=k.strand, names=k.names, prefix=k.prefix,
                             threads=k.threads)
    if conv.fit is not None:
        log(f"fitted base b = {float(conv.fit.base):.6g} (maximum likelihood, Eq. 2) over "
            f"{conv.fit.n_sequences} sequences")
    else:
        log(f"base b = {k.base:.6g} (--base); any b > 1 is exact, larger b gives sharper PWMs: to read what a "
            "kernel learned, fit the maximum-likelihood b with --fit-base SEQUENCES.fa")
    return conv.motifs, conv.offsets


def resolve_background(motifs: MotifSet, *, uniform: bool = False, bgfile: str | None = None) -> Any:
    """``uniform``, a 0-order background file, or (default, as FIMO) the motif file's background."""
    from exactpwm.core.matrices import as_background

    if uniform:
        return as_background(None)
    if bgfile:
        from exactpwm.io.formats.background import read_background_file

        return read_background_file(bgfile)
    return motifs.background


def check_inputs(*paths: str | None) -> None:
    """Each input file exists, is a file and is readable, before any output is started ('-' is
    stdin; ``jaspar:`` specs and None pass)."""
    from exactpwm.io.files import check_input_path

    for path in paths:
        check_input_path(path)


def check_outputs(outputs: Sequence[Any], inputs: Sequence[Any] = ()) -> None:
    """Every output writable, none an input, no two the same file: else :class:`OptionsError`."""
    from exactpwm.io.files import OutputPathError
    from exactpwm.io.files import check_outputs as check

    try:
        check(outputs, inputs)
    except OutputPathError as exc:
        raise OptionsError(str(exc)) from None


def open_text(out: str | TextIO | None) -> AbstractContextManager[IO[Any]]:
    """A context manager giving a text file: stdout for None/'-', an open file as it is, else the
    path written atomically (:class:`exactpwm.io.files.atomic_output`)."""
    from exactpwm.io.files import atomic_output

    if out is None or (isinstance(out, str) and out == "-"):
        return nullcontext(sys.stdout)
    return atomic_output(out)


def command_text(argv: Sequence[str] | None) -> str | None:
    """The command line a file's closing comment records (None when not run from the CLI)."""
    import shlex

    return None if argv is None else "exactpwm " + shlex.join(list(argv))


def equal_length_fasta(path: str, what: str = "attribution maps") -> tuple[list[str], np.ndarray]:
    """(names, (N, L) uint8 codes) of a FASTA whose sequences share one length; ValueError when it
    holds none or several lengths (naming them and ``what`` needs one)."""
    from exactpwm.io.fasta import read_fasta

    names, rows = [], []
    for name, codes in read_fasta(path):
        names.append(name)
        rows.append(codes)
    if not rows:
        raise ValueError(f"{path}: no sequences")
    lengths = {r.size for r in rows}
    if len(lengths) > 1:
        shown = ", ".join(map(str, sorted(lengths)[:5])) + (", ..." if len(lengths) > 5 else "")
        raise ValueError(f"{path}: sequences of {len(lengths)} lengths ({shown}); {what} need one length")
    return names, np.stack(rows)


def make_folder(path: str, why: str) -> None:
    """Create the output folder ``path``; :class:`OptionsError` if a file is already there."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise OptionsError(f"{path} exists and is not a folder: {why}")
    os.makedirs(path, exist_ok=True)


def worker_threads_by_host(client: Any) -> dict[str, int]:
    """{host: threads of all the Dask workers on it}, for :func:`share_cores_with_torch`."""
    from distributed.comm import get_address_host

    out: dict[str, int] = {}
    for address, n in client.nthreads().items():
        host = get_address_host(address)
        out[host] = out.get(host, 0) + int(n)
    return out


def share_cores_with_torch(threads_by_host: dict[str, int] | None) -> None:
    """In a Dask task that runs a torch model: torch's threads set to this host's cores over the
    worker threads on it (at least 1). Each worker process would otherwise run torch on every core,
    so that N workers on one machine ask for N times its cores. Outside a worker, nothing changes."""
    if not threads_by_host:
        return
    try:
        from distributed import get_worker
        from distributed.comm import get_address_host

        worker = get_worker()
    except (ImportError, ValueError):  # not on a Dask worker
        return
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    share = max(1, cores // max(1, threads_by_host.get(get_address_host(worker.address), worker.state.nthreads)))
    if torch.get_num_threads() != share:
        torch.set_num_threads(share)


def load_exported_model(path: str) -> tuple[Any, int | None, int | None]:
    """(torch module, fixed batch size or None, fixed input length or None) of a model saved by
    ``torch.export.save`` that takes one one-hot input (B, 4, length); a model exported for one
    batch size is wrapped to take fewer rows (zero rows added, then cut)."""
    try:
        import torch
    except ImportError:
        raise OptionsError(f"{path}: a .pt2 model needs PyTorch: pip install 'exactpwm[torch]'") from None
    import logging

    quiet = logging.getLogger("torch.export")  # torch logs a traceback of its first try at a bad file
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        program = torch.export.load(path)
    except Exception as exc:  # torch raises many kinds; the message says which file and why
        raise OptionsError(f"{path}: cannot load it as a model saved by torch.export.save ({exc})") from None
    finally:
        quiet.setLevel(level)
    users = set(program.graph_signature.user_inputs)
    shapes = [n.meta["val"].shape for n in program.graph.nodes if n.op == "placeholder" and n.name in users]
    if len(shapes) != 1 or len(shapes[0]) != 3 or shapes[0][1] != 4:
        raise OptionsError(f"{path}: the model must take one one-hot input (B, 4, length); it takes "
                           f"{[tuple(x) for x in shapes]}")
    batch, _, length = (d if isinstance(d, int) else None for d in shapes[0])
    module = program.module()
    return (_fixed_batch(module, batch) if batch else module), batch, length


def _fixed_batch(inner: Any, size: int) -> Any:
    """``inner``, exported for batches of ``size`` rows, as a module that takes any number: run in
    batches of ``size``, the last padded with zero rows, then cut."""
    import torch

    class FixedBatch(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> Any:
            parts = []
            for a in range(0, x.shape[0], size):  # batches of the exported size, the last padded with zeros
                part = x[a:a + size]
                n = part.shape[0]
                if n < size:
                    part = torch.cat([part, torch.zeros((size - n,) + tuple(x.shape[1:]), dtype=x.dtype)])
                parts.append(self.inner(part)[:n])
            return torch.cat(parts)

    return FixedBatch()
