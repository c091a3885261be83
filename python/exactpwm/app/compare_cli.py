"""``exactpwm compare``: parse, make one job call, print."""

from __future__ import annotations

import argparse
import sys

from exactpwm.app.common import add_model_args, add_motif_args, motif_source, number, threads


def add_parsers(sub) -> None:
    p = sub.add_parser("compare", help="which known motif is it? Tomtom's motif comparison (TSV as tomtom -text)",
                       description="Compare query motifs (or kernels, converted exactly) with target motifs using "
                                   "Tomtom's method and statistics; writes Tomtom's TSV.")
    p.add_argument("query", help="motif file, 'jaspar:...', or a kernel file (converted with --base or --fit-base)")
    p.add_argument("targets", help="motif file or 'jaspar:[RELEASE,][IDS,][TAXON]' (e.g. 'jaspar:' for the "
                                   "JASPAR CORE vertebrates; needs pyjaspar)")
    p.add_argument("-o", "--output", help="TSV file (default: stdout)")
    p.add_argument("--thresh", type=number("--thresh", low=0), default=0.5,
                   help="report matches with q-value (or E-value with --evalue) <= this (default: %(default)g)")
    p.add_argument("--evalue", action="store_true", help="threshold on E-values instead of q-values")
    p.add_argument("--dist", choices=["ed", "pearson", "sandelin", "kullback", "allr"], default="pearson",
                   help="column similarity (default: pearson; tomtom's own default is ed, which lets the "
                        "near-uniform flanks of learned PWMs match long low-information targets)")
    p.add_argument("--min-overlap", type=number("--min-overlap", low=1, integer=True), default=1,
                   help="fewest aligned columns (default: %(default)s)")
    p.add_argument("--norc", action="store_true", help="do not try the targets reverse-complemented")
    p.add_argument("--motif-pseudo", type=number("--motif-pseudo", low=0), default=0.1,
                   help="pseudocount added to every motif's counts, spread by the background (default: %(default)g)")
    bgc = p.add_mutually_exclusive_group()
    bgc.add_argument("--bgfile", help="0-order background file (default: the query file's, made strand-symmetric)")
    bgc.add_argument("--uniform", action="store_true", help="uniform background")
    p.add_argument("--logos", metavar="DIR", help="write each query's best match as aligned logos into DIR")
    p.add_argument("--logo-format", choices=["png", "svg", "pdf"], default="png")
    p.add_argument("--fit-base", metavar="FASTA", help="kernel queries: fit b by maximum likelihood on these")
    p.add_argument("--strand", choices=["+", "both"], default="+", help=argparse.SUPPRESS)
    p.add_argument("-j", "--threads", type=threads, default=0, help="threads (default 0 = all cores)")
    add_motif_args(p, "query motifs")
    add_model_args(p)
    p.set_defaults(func=run_compare_command)


def run_compare_command(args: argparse.Namespace) -> int:
    from exactpwm.jobs.compare import CompareOptions, run_compare

    command = "exactpwm " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("exactpwm") else None
    opts = CompareOptions(
        motif_source(args, args.query, args.motif, args.motif_format, kernels=True),
        motif_source(args, args.targets, kernels=True), output=args.output, threshold=args.thresh,
        by="evalue" if args.evalue else "qvalue", dist=args.dist, min_overlap=args.min_overlap, norc=args.norc,
        motif_pseudo=args.motif_pseudo, uniform=args.uniform, bgfile=args.bgfile, logos=args.logos,
        logo_format=args.logo_format, threads=args.threads, argv=None if command is None else sys.argv[1:])
    result = run_compare(opts)
    if args.output not in (None, "-"):
        print(f"wrote {args.output}: {result.rows} matches of {result.queries} queries against {result.targets} "
              f"targets ({'E' if args.evalue else 'q'} <= {args.thresh:g})", file=sys.stderr)
    return 0
