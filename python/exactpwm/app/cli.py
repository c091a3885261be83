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
from typing import NoReturn

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

__all__ = ["UsageError", "build_parser", "main", "passive_openmp_waits", "quiet_blas_workers"]

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exactpwm", description="Exact CNN kernel <-> PWM transformation and fast motif scanning.",
        epilog="Coordinates: BED 0-based half-open; TSV (FIMO), GFF3 and maxima 1-based inclusive. "
               "Windows containing N are never hits.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

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

    for command in [parser, *sub.choices.values()]:  # every command says its version (pipelines log it)
        if "--version" not in command._option_string_actions:  # fimo prints FIMO's way
            command.add_argument("--version", action="version", version=f"exactpwm {__version__}")
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


#: commands whose engine work is scanning (no torch): their OpenMP threads wait passively
_PASSIVE_WAITS = frozenset({"scan", "merge", "track", "fimo", "variants"})


def passive_openmp_waits(command: str | None) -> None:
    """Before the engine loads in a scanning command's own process: its OpenMP threads sleep when
    they wait at the end of a parallel region instead of spinning (``OMP_WAIT_POLICY=PASSIVE``). A
    scan makes many short parallel regions; on cores that other processes keep busy, a spinning
    waiter takes the time slice its peer needs, and each region then waits for a thread the system
    put aside. With two busy processes on 2 cores, a *K. pneumoniae* scan's default threads took
    0.31-0.39 s against 0.28-0.33 s for one thread; passive, 0.23-0.24 s. On idle cores the times are
    the same. A value the user set is kept, and nothing changes once the engine is loaded (in-process
    calls); commands that run torch are left as they are."""
    if command in _PASSIVE_WAITS and "exactpwm._core" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv: list[str] | None = None) -> int:
    quiet_blas_workers()
    argv = sys.argv[1:] if argv is None else list(argv)
    passive_openmp_waits(argv[0] if argv else None)
    if argv[:1] == ["fimo"]:
        argv = fimo_cli.join_option_values(argv)
    parser = build_parser()
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
            os._exit(code)
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    # run the imported module's run, not this __main__ copy's (one UsageError class for all modules)
    from exactpwm.app.cli import run as _run

    _run()
