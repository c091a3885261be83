"""What the subcommands share: argument types (numbers checked as the API checks them), option
groups, and the step from parsed arguments to a job's motif source and progress line.

Every subcommand module (``scan_cli``, ``fimo_cli``, ...) imports from here and from
:mod:`exactpwm.jobs`; :mod:`exactpwm.app.cli` assembles their parsers. Nothing here imports a
subcommand, so the modules form no circle.
"""

from __future__ import annotations

import argparse
import math
import os
from typing import TYPE_CHECKING

from exactpwm.core.errors import OptionsError

if TYPE_CHECKING:
    from exactpwm.jobs.common import KernelOptions, MotifSource

__all__ = ["UsageError", "add_model_args", "add_motif_args", "add_scoring_args", "kernel_options", "log_base_arg",
           "motif_source", "number", "add_cut_args", "part_spec", "probability", "progress_for", "threads"]


class UsageError(OptionsError):
    """Arguments that do not fit together; exit code 2."""


def log_base_arg(text: str) -> float:
    """A log base: 'e', '2', '10', ... (> 1)."""
    try:
        b = math.e if text.strip().lower() == "e" else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid base {text!r}: give a number > 1 or 'e'") from None
    if not (math.isfinite(b) and b > 1):
        raise argparse.ArgumentTypeError(f"invalid base {text!r}: the log base must be > 1")
    return b


def number(name: str, **rules):
    """An argparse type for a numeric option: :func:`exactpwm.core._checks.check_number`'s rules
    (finite, in range, integer where integer), the same as the API's; errors name the option."""
    def parse(text: str):
        from exactpwm.core._checks import parse_number  # numpy: loaded when an option is given, not for --help

        try:
            return parse_number(text, name, **rules)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


probability = number("p-value threshold", low=0, low_open=True, high=1)
threads = number("threads", low=0, integer=True)


def add_cut_args(p: argparse.ArgumentParser, pieces: str, merged: str, note: str = "") -> None:
    """``--dask ADDRESS`` and ``--part K/N`` of a command whose work cuts into ``pieces`` (e.g.
    "runs of VCF records") and merges into ``merged`` (what ``exactpwm merge`` writes)."""
    p.add_argument("--dask", metavar="ADDRESS",
                   help=f"cut the work into {pieces} and run them as tasks on a Dask cluster (a scheduler address, "
                        f"or local:N for N local workers; the workers read the same files): the same output as one "
                        f"run{note}")
    p.add_argument("--part", type=part_spec, metavar="K/N",
                   help=f"only the K-th of N parts ({pieces}), to a part file at -o; 'exactpwm merge' turns the N "
                        f"parts into {merged}{note}")


def part_spec(text: str) -> tuple[int, int]:
    """``--part K/N`` (1 <= K <= N) as the 0-based (K - 1, N)."""
    k, sep, n = text.partition("/")
    if not (sep and k.strip().isdigit() and n.strip().isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N (e.g. 3/16), got {text!r}")
    return int(k) - 1, int(n)


def kernel_options(args: argparse.Namespace) -> KernelOptions:
    """The kernel-file options (``add_model_args``) as the jobs take them."""
    from exactpwm.jobs.common import KernelOptions

    names = [n.strip() for n in args.names.split(",")] if getattr(args, "names", None) else None
    return KernelOptions(base=args.base, flip=args.flip, key=args.key, bias_key=args.bias_key, layout=args.layout,
                         use_bias=args.bias, batchnorm=getattr(args, "batchnorm", None),
                         bn_eps=getattr(args, "bn_eps", None), dilation=getattr(args, "dilation", 1), names=names,
                         prefix=args.prefix, fit_base=getattr(args, "fit_base", None),
                         strand=getattr(args, "strand", "+") if getattr(args, "strand", "+") in ("+", "both")
                         else "+", threads=getattr(args, "threads", 0))


def motif_source(args: argparse.Namespace, spec: str, select=None, fmt=None, kernels: bool = False) -> MotifSource:
    """A job's :class:`MotifSource` for ``spec``; with ``kernels``, kernel files are converted with
    the command's kernel options."""
    from exactpwm.jobs.common import MotifSource

    return MotifSource(spec, fmt, select, kernel_options(args) if kernels else None)


def progress_for(args: argparse.Namespace, path: str | None, *, quiet: bool | None = None):
    """The progress line of a command reading ``path`` (a total when it is an uncompressed file)."""
    from exactpwm.app.progress import Progress

    total = None
    if path not in (None, "-") and os.path.isfile(path):
        from exactpwm.io.fasta import compression

        with open(path, "rb") as f:
            if compression(f.read(6)) is None:
                total = os.path.getsize(path)  # bytes ~ bases (headers and newlines are ~2%)
    q = args.quiet if quiet is None else quiet
    enabled = False if q else (True if getattr(args, "progress", False) else None)
    return Progress(total, enabled=enabled)


def add_motif_args(p, what: str = "motifs") -> None:
    p.add_argument("--motif-format", choices=["meme", "jaspar", "pfm", "transfac", "homer"],
                   help="motif file format (default: from the extension, else the content)")
    p.add_argument("--motif", action="append", metavar="ID",
                   help=f"use only these {what} (id or alt name; repeat or comma-separate)")


def add_model_args(p) -> None:
    p.add_argument("--base", type=log_base_arg, default=math.e, help="log base b > 1 or 'e' (default: e)")
    p.add_argument("--flip", action="store_true",
                   help="kernels are applied by true convolution (the paper), not cross-correlation "
                        "(PyTorch/Keras, the default)")
    p.add_argument("--key", help="the array / state_dict entry / HDF5 dataset holding the kernels "
                                 "(default: the first Conv1d weight over 4 channels)")
    p.add_argument("--bias-key", help="the entry holding the bias (default: the one beside the kernels)")
    p.add_argument("--no-bias", dest="bias", action="store_false",
                   help="leave the bias out of the offsets")
    p.add_argument("--layout", choices=["torch", "keras", "paper"],
                   help="kernel layout: torch (K,4,L), keras (L,4,K), paper (4,L) (default: torch; keras for .h5)")
    p.add_argument("--dilation", type=number("--dilation", low=1, integer=True), default=1,
                   help="the convolution's dilation: PWMs get uniform columns between the kernel's (default 1)")
    p.add_argument("--batchnorm", metavar="PREFIX",
                   help="fold the eval-mode BatchNorm named PREFIX (e.g. '1' for '1.running_mean' in a "
                        "state_dict, or a Keras layer name) into the kernels and bias first")
    p.add_argument("--bn-eps", type=number("--bn-eps", low=0, low_open=True),
                   help="BatchNorm eps (default: 1e-5 PyTorch, 1e-3 Keras)")
    p.add_argument("--names", help="comma-separated motif names for the kernels")
    p.add_argument("--prefix", default="kernel", help="motif names prefix (default: %(default)s)")


def add_scoring_args(p) -> None:
    bg = p.add_mutually_exclusive_group()
    bg.add_argument("--bgfile", help="0-order background file (MEME format: 'A 0.3' lines); "
                                     "default: the motif file's background")
    bg.add_argument("--uniform", action="store_true", help="use a uniform background")
    p.add_argument("--pseudocount", type=number("--pseudocount", low=0), default=None,
                   help="pseudocount added to each motif column, spread by the background, on counts "
                        "(or probabilities x nsites) as FIMO's --motif-pseudo (default: 0.1; 0 for the exact "
                        "PWMs of kernels written by 'exactpwm convert', which then scan exactly)")
    p.add_argument("--base", type=log_base_arg, default=2.0, help="log base of the log-odds scores (default: 2, bits)")
    p.add_argument("-j", "--threads", type=threads, default=0, help="threads (default 0 = all cores)")
    p.add_argument("--chunk-size", type=number("--chunk-size", low=1, integer=True), default=1 << 23,
                   help="bases per engine call / Dask task (default: %(default)s)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: a scheduler address, or local:N for "
                                                     "N local worker processes; outputs go to partition files in -o")
    p.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    shown.add_argument("--progress", action="store_true", help="show progress even when stderr is not a terminal")
