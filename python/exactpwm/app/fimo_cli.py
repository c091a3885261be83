"""``exactpwm fimo``: FIMO 5's command line, defaults and files over exactpwm's scan.

Parses FIMO's options and makes one call, :func:`exactpwm.jobs.run_fimo`. Options FIMO
has and exactpwm does not (position-specific priors) are refused by name.
"""

from __future__ import annotations

import argparse

from exactpwm import _read_ahead as read_ahead
from exactpwm.app.common import UsageError, number, part_spec, progress_for, threads

_pvalue = number("threshold", low=0, low_open=True, high=1)
_pseudo = number("--motif-pseudo", low=0)
_stored = number("--max-stored-scores", low=1, integer=True)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "fimo", help="FIMO 5's command line: its options, defaults, statistics and files",
        description="Find motif occurrences as FIMO 5 does: the same options, defaults (NRDB background, "
                    "--motif-pseudo 0.1, --thresh 1e-4, per-motif q-values) and files (--oc DIR: fimo.tsv "
                    "and fimo.gff; --text: TSV on stdout). Hits and p-values are exactpwm's exact ones.",
        allow_abbrev=False)
    p.add_argument("motifs", nargs="?", help="motif file (MEME, JASPAR, TRANSFAC, HOMER, ...) or 'jaspar:...'")
    p.add_argument("sequences", nargs="?", help="FASTA file (plain, .gz, .xz, .bz2) or '-' for stdin; with --regions, "
                                     "an indexed FASTA (plain or bgzip, with .fai)")
    p.add_argument("--alpha", type=number("--alpha", low=0, high=1), default=1.0,
                   help="accepted for FIMO's command lines; used only with "
                                                              "position-specific priors, which are not supported")
    p.add_argument("--bfile", "--bgfile", dest="bfile", default="--nrdb--", metavar="FILE",
                   help="background: --nrdb-- (default, MEME's NRDB frequencies), --motif-- (the motif "
                        "file's), --uniform--, or a MEME background file (its 0-order frequencies); always "
                        "averaged with its complement, as FIMO does")
    p.add_argument("--max-stored-scores", type=_stored, default=100_000, metavar="N",
                   help="per motif, keep at most the N most significant hits for --oc (default: %(default)s)")
    p.add_argument("--max-strand", action="store_true",
                   help="one strand per position: the higher score ('+' on ties)")
    p.add_argument("--motif", action="append", metavar="ID", help="use only this motif (repeat for several)")
    p.add_argument("--motif-pseudo", type=_pseudo, default=0.1, metavar="X",
                   help="pseudocount added to the motifs (default: %(default)s)")
    p.add_argument("--no-qvalue", action="store_true", help="do not compute q-values")
    p.add_argument("--norc", action="store_true", help="scan the given strand only")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--o", dest="o", metavar="DIR", help="output folder, which must not exist")
    out.add_argument("--oc", dest="oc", metavar="DIR", help="output folder, written into if it exists "
                                                            "(default: fimo_out)")
    out.add_argument("--text", action="store_true", help="write TSV to stdout, hits by motif, no q-values")
    p.add_argument("--parse-genomic-coord", action="store_true",
                   help="read 'chr:start-end' (1-based start, as UCSC and FIMO) sequence names as genomic "
                        "coordinates")
    p.add_argument("--psp", help=argparse.SUPPRESS)
    p.add_argument("--prior-dist", help=argparse.SUPPRESS)
    p.add_argument("--qv-thresh", action="store_true", help="--thresh is a q-value threshold")
    p.add_argument("--skip-matched-sequence", action="store_true",
                   help="leave matched_sequence empty (implies --text, as in FIMO)")
    p.add_argument("--thresh", type=_pvalue, default=1e-4, help="p-value (or q-value) threshold (default: 1e-4)")
    p.add_argument("--verbosity", type=int, choices=range(1, 6), default=2,
                   help="1: errors only; 2 (default) and above: warnings and progress")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--regions", metavar="BED", help="scan only these regions of an indexed genome FASTA; hits "
                                                    "in genomic coordinates (needs pysam)")
    p.add_argument("--part", nargs=2, metavar=("K/N", "FILE"),
                   help="scan only the K-th of N parts of the FASTA file's records (or of the merged --regions) "
                        "and write a part file; 'exactpwm merge PARTS -o DIR' writes the --oc folder of the whole "
                        "run (q-values and --max-stored-scores over all parts), or with --text the stream "
                        "(merge PARTS [-o FILE]); not with --qv-thresh")
    p.add_argument("-j", "--threads", type=threads, default=0, help="threads (default 0 = all cores)")
    p.add_argument("--chunk-size", type=number("--chunk-size", low=1, integer=True), default=1 << 23,
                   help=argparse.SUPPRESS)
    p.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def join_option_values(argv: list[str]) -> list[str]:
    """FIMO's ``--bfile --motif--`` (a value that looks like an option) as ``--bfile=--motif--``."""
    out: list[str] = []
    it = iter(argv)
    for a in it:
        if a in ("--bfile", "--bgfile"):
            value = next(it, None)
            out.append(a if value is None else f"{a}={value}")
        else:
            out.append(a)
    return out


def run(args: argparse.Namespace) -> int:
    # the FASTA file read whole while the job's modules load, as the letters or codes the job reads
    reads = args.sequences if not (args.version or args.regions) else None
    with read_ahead.reading(reads, letters=not (args.text and args.skip_matched_sequence)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from exactpwm.jobs.common import MotifSource
    from exactpwm.jobs.fimo import FimoOptions, run_fimo

    if args.version:
        from exactpwm import __version__

        print(__version__)
        return 0
    if args.motifs is None or args.sequences is None:
        raise UsageError("give a motif file and a sequence file: exactpwm fimo [options] <motif file> <sequence file>")
    if args.psp or args.prior_dist:
        raise UsageError("position-specific priors (--psp, --prior-dist) are not supported")
    part = None
    if args.part:
        try:
            part = part_spec(args.part[0])
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"--part: {exc}") from None
    opts = FimoOptions(
        MotifSource(args.motifs, None, args.motif), args.sequences, folder=args.o or args.oc or "fimo_out",
        clobber=not args.o, text=args.text, skip_matched_sequence=args.skip_matched_sequence, bfile=args.bfile,
        thresh=args.thresh, qv_thresh=args.qv_thresh, no_qvalue=args.no_qvalue, norc=args.norc,
        max_strand=args.max_strand, max_stored_scores=args.max_stored_scores, motif_pseudo=args.motif_pseudo,
        parse_genomic_coord=args.parse_genomic_coord, regions=args.regions, verbosity=args.verbosity,
        threads=args.threads, chunk_size=args.chunk_size, backend=args.backend, part=part,
        part_file=args.part[1] if args.part else None, argv=args.argv)
    with progress_for(args, args.sequences if not args.regions else None, quiet=args.verbosity < 2) as progress:
        run_fimo(opts, progress=progress)
    return 0
