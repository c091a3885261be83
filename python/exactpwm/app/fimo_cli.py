"""``exactpwm fimo``: FIMO 5's command line, defaults and files over exactpwm's scan.

Parses FIMO's options, calls :mod:`exactpwm.scanning.fimo` and reports what it wrote. Options FIMO
has and exactpwm does not (position-specific priors) are refused by name.
"""

from __future__ import annotations

import argparse
import os
import sys

from exactpwm.app.cli import UsageError, _check_input, _check_output, _load_motifs, _number, _threads

_pvalue = _number("threshold", low=0, low_open=True, high=1)
_pseudo = _number("--motif-pseudo", low=0)
_stored = _number("--max-stored-scores", low=1, integer=True)


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
    p.add_argument("--alpha", type=_number("--alpha", low=0, high=1), default=1.0,
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
    p.add_argument("-j", "--threads", type=_threads, default=0, help="threads (default 0 = all cores)")
    p.add_argument("--chunk-size", type=_number("--chunk-size", low=1, integer=True), default=1 << 23,
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
    from exactpwm.scanning.fimo import fimo_background, fimo_hits, stream_fimo_text, warn_capped

    if args.version:
        from exactpwm import __version__

        print(__version__)
        return 0
    if args.motifs is None or args.sequences is None:
        raise UsageError("give a motif file and a sequence file: exactpwm fimo [options] <motif file> <sequence file>")
    if args.psp or args.prior_dist:
        raise UsageError("position-specific priors (--psp, --prior-dist) are not supported")
    text = args.text or args.skip_matched_sequence
    if args.qv_thresh and args.no_qvalue:
        raise UsageError("the --no-qvalue option cannot be used with the --qv-thresh option")
    if args.qv_thresh and text:
        raise UsageError("the --text option cannot be used with the --qv-thresh option")
    if text and args.verbosity >= 2 and not args.no_qvalue:
        print("Warning: text mode turns off computation of q-values", file=sys.stderr)
    _check_input(args.motifs)
    _check_input(args.sequences)
    _check_input(args.regions)
    folder = args.o or args.oc or "fimo_out"
    paths = [os.path.join(folder, n) for n in ("fimo.tsv", "fimo.gff")]
    if not text:
        if args.o and os.path.isdir(args.o):
            raise UsageError(f"{args.o} exists: --o does not write into an existing folder (use --oc to do so)")
        for path in paths:
            if os.path.isdir(folder):
                _check_output(path, args.motifs, args.sequences, args.regions)
            elif os.path.exists(folder):
                raise UsageError(f"{folder} exists and is not a folder")
    motifs = _load_motifs(args.motifs, None, args.motif)
    background = fimo_background(args.bfile, motifs)
    strand = "+" if args.norc or all(m.meta.get("strands") == "+" for m in motifs) else "both"
    sequences, genomic = args.sequences, ("ucsc" if args.parse_genomic_coord else None)
    if args.regions:
        from exactpwm.scanning.regions import read_bed, region_sequences

        sequences, genomic = region_sequences(args.sequences, read_bed(args.regions)), "ucsc"
    common = dict(background=background, thresh=args.thresh, strand=strand, max_strand=args.max_strand,
                  pseudocount=args.motif_pseudo, genomic=genomic, threads=args.threads, chunk_size=args.chunk_size,
                  backend=args.backend, progress=_progress(args))
    if text:
        n = stream_fimo_text(sys.stdout, motifs, sequences, skip_matched=args.skip_matched_sequence, **common)
        if args.verbosity >= 2:
            print(f"{n:,} hits", file=sys.stderr)
        return 0
    hits, cuts = fimo_hits(motifs, sequences, qv_thresh=args.qv_thresh, qvalues=not args.no_qvalue,
                           max_stored=args.max_stored_scores, **common)
    if args.verbosity >= 2:
        warn_capped(cuts, hits.motif_names, args.max_stored_scores)
    _write_folder(args, folder, hits, paths)
    return 0


def _progress(args):
    from exactpwm.app.cli import _progress as progress

    args.quiet, args.progress = args.verbosity < 2, False
    return progress(args, args.sequences if not args.regions else None)


def _write_folder(args, folder: str, hits, paths: list[str]) -> None:
    from exactpwm import __version__
    from exactpwm.io.files import atomic_output
    from exactpwm.scanning.fimo import output_folder, write_fimo_gff, write_fimo_tsv

    output_folder(folder, clobber=not args.o)
    alts = hits.motif_alt_names or [""] * len(hits.motif_names)
    command = "exactpwm " + " ".join(args.argv)
    with atomic_output(paths[0]) as f:
        write_fimo_tsv(f, hits.rows, hits.motif_names, hits.sequence_names, alts, command, __version__,
                       threads=args.threads)
    with atomic_output(paths[1]) as f:
        write_fimo_gff(f, hits.rows, hits.motif_names, hits.sequence_names, alts)
    if args.verbosity >= 2:
        print(f"wrote {paths[0]} and {paths[1]}: {len(hits):,} hits", file=sys.stderr)
