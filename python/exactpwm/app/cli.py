"""Command-line interface: ``exactpwm <command>``.

Each command is one module that parses its arguments into a job's options and makes one call
(:mod:`exactpwm.jobs`): scan and track (:mod:`~exactpwm.app.scan_cli`), convert and logo
(:mod:`~exactpwm.app.convert_cli`), compare (:mod:`~exactpwm.app.compare_cli`), fimo (FIMO 5's
command line, :mod:`~exactpwm.app.fimo_cli`), variants (:mod:`~exactpwm.app.variants_cli`),
attribute (:mod:`~exactpwm.app.attribute_cli`), modisco (:mod:`~exactpwm.app.modisco_cli`), gia
(:mod:`~exactpwm.app.gia_cli`), merge (of a scan's parts, :mod:`~exactpwm.app.scan_cli`); demo,
index (a FASTA's .fai) and info are here. Every command takes ``--version``. Exit codes: 0 success, 1
runtime error (bad file, bad data), 2 usage error (bad arguments). Outputs go to stdout or ``-o``;
a path is written atomically and is never one of the inputs.

Errors: bad input (any ValueError, OSError or ImportError the library raises: a malformed file, a
missing one, a missing extra) is one ``exactpwm <command>: error:`` line; any other exception is a
bug, and prints its traceback and a request to report it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from exactpwm.app import (
    attribute_cli,
    compare_cli,
    convert_cli,
    fimo_cli,
    gia_cli,
    modisco_cli,
    scan_cli,
    variants_cli,
)
from exactpwm.app.common import UsageError, log_base_arg, number, threads
from exactpwm.core.errors import ExactpwmWarning, OptionsError

__all__ = ["COMMANDS", "UsageError", "build_parser", "main", "quiet_blas_workers", "short_openmp_waits"]

REPORT = "this is a bug in exactpwm: please report it with the command line and the traceback above"


def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from exactpwm.app import demo

    summary = demo.run(Path(args.outdir), length=args.length, base=args.base, threads=args.threads,
                       seed=args.seed)
    return 0 if summary["theorem1_max_abs_error"] < 1e-6 else 1


def _cmd_info(args: argparse.Namespace) -> int:
    import json

    from exactpwm import __version__
    from exactpwm.core.backends import backends

    print(json.dumps({"version": __version__, **backends()}, indent=2))
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from exactpwm.io.htsfiles import index_fasta

    for fasta in args.fasta:
        for path in index_fasta(fasta):
            print(path)
    return 0


class _OneCommand:
    """The sub-commands as the command modules see them when a command line names one command:
    that command's parser is built, and the others' arguments are not (``add_parser`` gives an
    :class:`_Unbuilt` for them)."""

    def __init__(self, sub, command: str):
        self.sub, self.command, self.choices = sub, command, sub.choices

    def add_parser(self, name: str, **kwargs):
        return self.sub.add_parser(name, **kwargs) if name == self.command else _Unbuilt()


class _Unbuilt:
    """A command's parser left unbuilt: every call on it (add_argument, set_defaults, groups) does nothing."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self


#: every command's name (a command line naming one builds only that command's parser)
COMMANDS = ("demo", "scan", "merge", "track", "convert", "logo", "compare", "fimo", "variants", "attribute", "modisco",
            "gia", "index", "info")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The program's parser: every command's, or with ``command`` (one of :data:`COMMANDS`) that
    command's alone (the same arguments, in 1 ms instead of 5; ``exactpwm --help`` lists them all)."""
    parser = argparse.ArgumentParser(
        prog="exactpwm", description="Exact CNN kernel <-> PWM transformation and fast motif scanning.",
        epilog="Coordinates: BED 0-based half-open; TSV (FIMO), GFF3 and maxima 1-based inclusive. "
               "Windows containing N are never hits.")
    sub: Any = parser.add_subparsers(dest="command", required=True, metavar="command")
    if command is not None:
        sub = _OneCommand(sub, command)

    p = sub.add_parser("demo", help="run the built-in example: a CNN's kernels -> exact PWMs -> logos -> genome scan")
    p.add_argument("-o", "--outdir", default="exactpwm-demo", help="output folder (default: %(default)s)")
    p.add_argument("--length", type=number("--length", low=1000, integer=True), default=5_000_000,
                   help="example genome length in bp (default: 5 Mbp)")
    p.add_argument("--base", type=log_base_arg, default=None,
                   help="logarithm base b > 1 or 'e' (default: fitted by maximum likelihood)")
    p.add_argument("-j", "--threads", type=threads, default=0, help="threads, 0 = all cores")
    p.add_argument("--seed", type=number("--seed", low=0, integer=True), default=1)
    p.set_defaults(func=_cmd_demo)

    scan_cli.add_parsers(sub)
    convert_cli.add_parsers(sub)
    compare_cli.add_parsers(sub)
    fimo_cli.add_parser(sub)
    variants_cli.add_parser(sub)
    attribute_cli.add_parser(sub)
    modisco_cli.add_parser(sub)
    gia_cli.add_parser(sub)

    p = sub.add_parser("index", help="write a FASTA's samtools index (.fai, and .gzi for bgzip) beside it",
                       description="Write FASTA.fai (and FASTA.gzi for a bgzip FASTA) as 'samtools faidx' does, each "
                                   "to a temporary name then renamed, so that jobs started together never read a "
                                   "half-written index. Needs pysam. Prints the paths written.")
    p.add_argument("fasta", nargs="+", help="FASTA file (plain or bgzip)")
    p.set_defaults(func=_cmd_index)

    p = sub.add_parser("info", help="print the version, compiled backends and CPU features")
    p.set_defaults(func=_cmd_info)
    from exactpwm import __version__

    for each in [parser, *sub.choices.values()]:  # every command says its version (pipelines log it)
        if "--version" not in each._option_string_actions:  # fimo prints FIMO's way
            each.add_argument("--version", action="version", version=f"exactpwm {__version__}")
    return parser


def quiet_blas_workers() -> None:
    """Before numpy loads in a command's own process: OpenBLAS starts its worker threads when numpy
    is imported, and an idle worker spins for about 2**28 cycles (0.1 s) before it sleeps, on the
    cores the engine's threads need in a command's first tenth of a second (a K. pneumoniae scan's
    command went from 0.32-0.34 to 0.29-0.30 s on 2 cores). No command's hot path calls BLAS, so idle
    workers sleep at once (``OPENBLAS_THREAD_TIMEOUT=4``: 16 cycles); a BLAS call still gets every
    thread. A value the user set is kept, and nothing changes once numpy is loaded (in-process calls)."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


#: commands whose engine work is scanning (no torch): their OpenMP threads spin only briefly
_SHORT_WAITS = frozenset({"scan", "merge", "track", "fimo", "variants"})

#: what a waiting OpenMP thread spins before it sleeps, in a scanning command's process
SHORT_WAITS = {"GOMP_SPINCOUNT": "30000", "KMP_BLOCKTIME": "1"}  # libgomp: about 0.3 ms; LLVM's libomp: 1 ms


def short_openmp_waits(command: str | None) -> None:
    """Before the engine loads in a scanning command's own process: an OpenMP thread that waits for
    work (between the parallel regions of a scan, many of them short) spins about 0.3 ms, then
    sleeps (:data:`SHORT_WAITS`; libgomp's own default spins about 3 ms, a passive wait not at all).

    To TSV on 2 cores, 100 JASPAR motifs (medians of 5 to 13 interleaved runs of each):

    ==============  ==========================  ====================================
    waits           *K. pneumoniae*, idle/busy  50,000 × 400 bp peaks, idle/busy
    ==============  ==========================  ====================================
    libgomp's 3 ms  0.28-0.29 s / 0.59 s        0.57 s / 1.31 s
    0.3 ms (this)   0.29-0.30 s / 0.41 s        0.57 s / 0.92 s
    passive         0.30-0.32 s / 0.47 s        0.58 s / 0.87 s
    ==============  ==========================  ====================================

    (busy: two other processes keep both cores busy.)

    A spinning waiter takes the time slice its peer needs on cores other processes keep busy; a
    sleeping one must be woken for each region, which costs most on a virtual machine's idle cores.
    A value the user set for any of OMP_WAIT_POLICY, GOMP_SPINCOUNT or KMP_BLOCKTIME is kept, and
    nothing changes once the engine is loaded (in-process calls); commands that run torch are left
    as they are."""
    if command not in _SHORT_WAITS or "exactpwm._core" in sys.modules:
        return
    if not any(name in os.environ for name in ("OMP_WAIT_POLICY", *SHORT_WAITS)):
        os.environ.update(SHORT_WAITS)


def main(argv: list[str] | None = None) -> int:
    quiet_blas_workers()
    argv = sys.argv[1:] if argv is None else list(argv)
    short_openmp_waits(argv[0] if argv else None)
    if argv[:1] == ["fimo"]:
        argv = fimo_cli.join_option_values(argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    args.argv = argv
    import warnings

    def show_warning(message, category, filename, lineno, file=None, line=None):
        print(f"exactpwm {args.command}: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            # our warnings are said on stderr, one line each, whatever filters the process has
            warnings.simplefilter("always", ExactpwmWarning)
            warnings.showwarning = show_warning
            return args.func(args)
    except OptionsError as exc:  # arguments that do not fit together (UsageError is one)
        parser.exit(2, f"exactpwm {args.command}: error: {exc}\n")
    except BrokenPipeError:  # e.g. '| head': stop quietly
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"exactpwm {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:  # the engine's and numpy's allocations: a job larger than the machine allows
        print(f"exactpwm {args.command}: error: out of memory (the job needs more memory than this process can "
              "have: looser thresholds and more motifs make more hits)", file=sys.stderr)
        return 1
    except (ValueError, OSError, ImportError) as exc:  # bad input: a file, its content, a missing extra
        msg = str(exc)
        if isinstance(exc, OSError) and exc.strerror and exc.filename is None:
            msg = exc.strerror  # our own (errno, message) errors: the message names the path
        print(f"exactpwm {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except Exception:  # a bug: show where, and ask for a report
        import traceback

        traceback.print_exc()
        print(f"exactpwm {args.command}: internal error: {REPORT}", file=sys.stderr)
        return 1


def run(argv: list[str] | None = None) -> NoReturn:
    """The ``exactpwm`` program (its console script and ``python -m exactpwm``): :func:`main`, then
    the end of the process with its exit code.

    A command's process ends as soon as its work is done and said: standard output and error are
    flushed and the exit handlers run (:mod:`atexit`: logging, temporary folders, dask), then the
    process exits (:func:`os._exit`) without the interpreter's teardown of every module and object
    (12 ms of a 0.35 s *K. pneumoniae* scan command on 2 cores, 5 ms after it). Every file a command
    writes is closed by then. Where that cannot be vouched for (a thread other than the main one
    still runs, or a flush fails), the interpreter ends as usual, with every object frozen out of
    the garbage collector's reach first (``gc.freeze``) so that its teardown does not traverse
    them; so does a command ended by an exception (argparse's usage errors, ``--help``). In-process
    callers use :func:`main`."""
    _leave(main(argv))  # an exception (argparse's SystemExit included) ends the process as usual


def _leave(code: int) -> NoReturn:
    import atexit
    import gc
    import threading

    if threading.active_count() == 1:
        atexit._run_exitfuncs()  # each runs once: the interpreter's shutdown would not run them again
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None and not stream.closed:
                    stream.flush()
        except (OSError, ValueError):
            pass  # the interpreter's own shutdown reports it, as before
        else:
            os._exit(code if isinstance(code, int) else 0 if code is None else 1)  # as sys.exit reads it
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    # run the imported module's run, not this __main__ copy's (one UsageError class for all modules)
    from exactpwm.app.cli import run as _run

    _run()
