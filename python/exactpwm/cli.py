"""Command-line interface: ``exactpwm <command>``. Exit codes: 0 ok, 1 runtime error, 2 usage error."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    summary = demo.run(Path(args.outdir), length=args.length, base=args.base, threads=args.threads,
                       seed=args.seed)
    return 0 if summary["theorem1_max_abs_error"] < 1e-6 else 1


def _cmd_info(args: argparse.Namespace) -> int:
    from . import __version__, backends

    print(json.dumps({"version": __version__, **backends()}, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exactpwm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the built-in example (kernels -> exact PWMs -> genome scan)")
    p.add_argument("-o", "--outdir", default="exactpwm-demo", help="output folder (default: %(default)s)")
    p.add_argument("--length", type=int, default=2_000_000, help="example genome length in bp")
    p.add_argument("--base", type=float, default=2.0, help="logarithm base b > 1 (default: %(default)s)")
    p.add_argument("-j", "--threads", type=int, default=0, help="threads, 0 = all cores")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("info", help="print the version, compiled backends and CPU features")
    p.set_defaults(func=_cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"exactpwm {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
