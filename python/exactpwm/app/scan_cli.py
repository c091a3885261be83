"""``exactpwm scan``, ``exactpwm merge`` (of a scan's parts) and ``exactpwm track``: parse, make one
job call, print."""

from __future__ import annotations

import argparse

from exactpwm import _read_ahead as read_ahead
from exactpwm.app.common import (
    add_motif_args,
    add_scoring_args,
    motif_source,
    number,
    part_spec,
    probability,
    progress_for,
    threads,
)


def add_parsers(sub) -> None:
    p = sub.add_parser("scan", help="find motif occurrences in FASTA (FIMO-like)",
                       description="Scan sequences with motifs; hits where p <= --thresh (or score >= --score).")
    p.add_argument("motifs", help="motif file (MEME, JASPAR, PFM, TRANSFAC, HOMER; gz ok) or "
                                  "'jaspar:[RELEASE,][IDS,][TAXON]' (needs pyjaspar)")
    p.add_argument("sequences", help="FASTA file (plain, .gz, .xz, .bz2) or '-' for stdin")
    add_motif_args(p)
    th = p.add_mutually_exclusive_group()
    th.add_argument("--thresh", type=probability, default=1e-4, help="p-value threshold (default: %(default)g)")
    th.add_argument("--score", type=number("--score"), help="score threshold instead of a p-value")
    p.add_argument("--norc", action="store_true", help="scan the given strand only")
    p.add_argument("--qvalues", nargs="?", const="motif", choices=["motif", "pooled"],
                   help="add q-values: per motif over its window tests (the default, as FIMO reports them) or "
                        "pooled over all motifs; holds all hits in memory")
    p.add_argument("--motif-groups", type=number("--motif-groups", low=1, integer=True), default=1,
                   help="with --dask: split the motifs into this many groups")
    p.add_argument("--regions", metavar="BED",
                   help="scan only these regions of the sequences, an indexed genome FASTA (plain or bgzip, with "
                        ".fai; needs pysam); overlapping regions are merged (with --format maxima: one row per "
                        "region); hits in genomic coordinates")
    p.add_argument("--parse-genomic-coord", nargs="?", const="ucsc", choices=["ucsc", "bed"],
                   help="read 'chr:start-end' sequence names as genomic coordinates and report hits on the "
                        "chromosomes: ucsc (default; 1-based start, as UCSC and FIMO) or bed (0-based start, as "
                        "bedtools getfasta writes)")
    p.add_argument("--format", choices=["tsv", "bed", "gff", "maxima"], default="tsv",
                   help="tsv: FIMO-compatible (default); bed: BED6; gff: GFF3; maxima: best window per sequence")
    p.add_argument("-o", "--output", help="output file (default: stdout); with --part, the part file")
    p.add_argument("--part", type=part_spec, metavar="K/N",
                   help="scan only the K-th of N parts of the FASTA file's records (or of the merged --regions; "
                        "contiguous, about equal sizes, whole records) and write a part file to -o; 'exactpwm "
                        "merge' turns the N part files into exactly the output of one scan (q-values included)")
    add_scoring_args(p)
    p.set_defaults(func=run_scan_command)

    p = sub.add_parser("merge", help="merge the part files of a command run with --part K/N (scan, fimo, variants, "
                            "attribute) into its one output",
                       description="Merge the part files of a command run with --part K/N (exactpwm scan, fimo, "
                                   "variants, attribute) into the output one run over the whole input writes: the "
                                   "same rows, order and numbers, with q-values over all parts; only the comment "
                                   "that records the command differs.")
    p.add_argument("parts", nargs="+", help="the part files (any order; all N parts of one run)")
    p.add_argument("-o", "--output", help="output file (default: stdout); for parts of 'exactpwm fimo', the output "
                                          "folder")
    p.add_argument("-j", "--threads", type=threads, default=0, help="threads formatting lines (default 0 = all cores)")
    p.add_argument("--ohe", help="parts of 'exactpwm attribute': also the one-hot sequences .npz")
    p.add_argument("--vcf-out", metavar="VCF", help="parts of 'exactpwm variants --vcf-out': also the annotated VCF "
                                                    "(the input VCF the parts name, with the EXACTPWM INFO field)")
    p.add_argument("--bigwig", metavar="DIR", help="parts of 'exactpwm attribute': also the per-base bigWig track "
                                                   "(DIR/attributions.bw)")
    p.set_defaults(func=run_merge_command)

    p = sub.add_parser("track", help="score tracks (bedGraph, or bigWig with pyBigWig)",
                       description="Window scores at every position: bedGraph (value at the window start; "
                                   "with both strands, the better one), N windows left out.")
    p.add_argument("motifs", help="motif file or 'jaspar:...'")
    p.add_argument("sequences", help="FASTA file or '-'")
    add_motif_args(p)
    p.add_argument("--strand", choices=["both", "+", "-"], default="both", help="strand(s) (default: both, max)")
    p.add_argument("-o", "--output", help="file (.bedGraph, .bw), a folder for several motifs, or stdout; with "
                                          "--part, the part file")
    p.add_argument("--part", type=part_spec, metavar="K/N",
                   help="only the K-th of N parts of the FASTA file's records, to a part file at -o; "
                        "'exactpwm merge' writes the run's bedGraph file(s)")
    add_scoring_args(p)
    p.set_defaults(func=run_track_command)


def run_scan_command(args: argparse.Namespace) -> int:
    # the FASTA file read whole while numpy and the scan's modules load (not for regions or a cluster)
    with read_ahead.reading(args.sequences if not (args.regions or args.dask) else None):
        from exactpwm.jobs.scan import ScanOptions, run_scan

        opts = ScanOptions(
            motif_source(args, args.motifs, args.motif, args.motif_format), args.sequences, output=args.output,
            format=args.format, pvalue=args.thresh, score=args.score, norc=args.norc, qvalues=args.qvalues,
            regions=args.regions, genomic_coord=args.parse_genomic_coord, uniform=args.uniform, bgfile=args.bgfile,
            pseudocount=args.pseudocount, base=args.base, threads=args.threads, chunk_size=args.chunk_size,
            dask=args.dask, motif_groups=args.motif_groups, backend=args.backend, part=args.part, argv=args.argv)
        with progress_for(args, args.sequences if not args.regions else None) as progress:
            run_scan(opts, progress=progress)
    return 0


def run_merge_command(args: argparse.Namespace) -> int:
    from exactpwm.jobs.merge import MergeOptions, run_merge

    run_merge(MergeOptions(args.parts, output=args.output, threads=args.threads, ohe=args.ohe, bigwig=args.bigwig,
                           vcf_out=args.vcf_out, argv=args.argv))
    return 0


def run_track_command(args: argparse.Namespace) -> int:
    from exactpwm.jobs.track import TrackOptions, run_track

    opts = TrackOptions(
        motif_source(args, args.motifs, args.motif, args.motif_format), args.sequences, output=args.output,
        strand=args.strand, uniform=args.uniform, bgfile=args.bgfile, pseudocount=args.pseudocount, base=args.base,
        threads=args.threads, chunk_size=args.chunk_size, dask=args.dask, backend=args.backend, part=args.part)
    with progress_for(args, args.sequences) as progress:
        run_track(opts, progress=progress)
    return 0
