"""``exactpwm variants``: what each variant of a VCF does to every motif's best match.

Parses the options and makes one call, :func:`exactpwm.jobs.run_variants`.
"""

from __future__ import annotations

import argparse

from exactpwm.app.common import (
    add_cut_args,
    add_model_args,
    add_motif_args,
    motif_source,
    number,
    probability,
    threads,
)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "variants", help="what each variant (VCF) does to every motif: best match on REF and ALT, gain/loss",
        description="For each variant of a VCF/BCF, ALT allele and motif: the best window overlapping the variant "
                    "on the reference and on the alternative haplotype (both strands), the score change, and a "
                    "call: gain (only ALT is a hit), loss (only REF), change (both). Multi-allelic sites are "
                    "split; variants that cannot be scored are counted on stderr.")
    p.add_argument("motifs", help="motif file, 'jaspar:...', a CNN's kernels (.npy/.npz/.pt/.h5, converted "
                                  "exactly with --base; --activations for their activations), or a whole model "
                                  "saved by torch.export (.pt2): its outputs on REF and ALT")
    p.add_argument("genome", help="indexed genome FASTA (plain, or bgzip with .fai/.gzi; needs pysam)")
    p.add_argument("vcf", help="VCF or BCF, plain or bgzip (any order, no index needed)")
    p.add_argument("-o", "--output", help="TSV file (default: stdout); with --part, the part file")
    add_cut_args(p, "runs of consecutive VCF records", "the whole TSV", " (motif matches; not with --vcf-out)")
    p.add_argument("--vcf-out", metavar="VCF", help="also write the input VCF with an EXACTPWM INFO field per "
                                                     "variant (ALT|motif|call|delta; .gz: bgzip, .bcf: BCF)")
    p.add_argument("--region", metavar="CHR:START-END", type=_region,
                   help="only the records whose POS lies in this region (1-based, inclusive; CHR for a whole "
                        "contig), read through the VCF's index (bgzip + tabix or CSI); the rows of regions that "
                        "follow each other are the whole run's, record numbers included")
    p.add_argument("--thresh", type=probability, default=1e-4, help="p-value of a hit (default: %(default)g)")
    p.add_argument("--all", action="store_true", help="a row for every variant and motif, hits or not")
    p.add_argument("--activations", action="store_true",
                   help="with a kernel file: each kernel's maximum activation (bias included) over the windows "
                        "overlapping the variant, on REF and on ALT, and their difference, one row per variant "
                        "and kernel, instead of motif matches")
    p.add_argument("--strand", choices=["+", "both"], default="+",
                   help="--activations: the layer as it runs ('+'), or the better of each window and its reverse "
                        "complement ('both', for models that scan both strands)")
    p.add_argument("--min-delta", type=number("--min-delta", low=0), default=0.0,
                   help="--activations and models: only rows whose |delta| reaches this (default: every row)")
    p.add_argument("--length", type=number("--length", low=1, integer=True),
                   help="a .pt2 model: its input length, when the export leaves it open (default: the exported one); "
                        "the window starts (length - 1) // 2 bases before the variant")
    add_motif_args(p)
    bg = p.add_mutually_exclusive_group()
    bg.add_argument("--bgfile", help="0-order background file (default: the motif file's)")
    bg.add_argument("--uniform", action="store_true", help="uniform background")
    p.add_argument("--pseudocount", type=number("--pseudocount", low=0),
                   default=None, help="pseudocount on the motifs' counts (default: 0.1, as scan)")
    p.add_argument("-j", "--threads", type=threads, default=0, help="threads (default 0 = all cores)")
    p.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    add_model_args(p)
    p.set_defaults(func=run)


def _region(text: str) -> str:
    from exactpwm.io.vcf import parse_region

    try:
        parse_region(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def run(args: argparse.Namespace) -> int:
    from exactpwm.jobs.variants import VariantsOptions, run_variants

    opts = VariantsOptions(
        motif_source(args, args.motifs, args.motif, args.motif_format, kernels=True), args.genome, args.vcf,
        output=args.output, vcf_out=args.vcf_out, pvalue=args.thresh, report_all=args.all,
        activations=args.activations, strand=args.strand, min_delta=args.min_delta, length=args.length,
        uniform=args.uniform, bgfile=args.bgfile, pseudocount=args.pseudocount, threads=args.threads,
        backend=args.backend, part=args.part, dask=args.dask, region=args.region, argv=args.argv)
    run_variants(opts)
    return 0
