"""``exactpwm variants``: what each variant of a VCF does to every motif's best match.

Parses the options, calls :func:`exactpwm.scanning.variants.variant_effects` and writes its table.
"""

from __future__ import annotations

import argparse
import sys

from exactpwm.app.cli import (
    UsageError,
    _add_model_args,
    _add_motif_args,
    _background,
    _check_input,
    _check_output,
    _checked,
    _command_line,
    _load_motifs,
    _open_out,
    _pseudocount,
    _threads,
)

_pvalue = _checked(float, lambda p: 0 < p <= 1, "p-value", "must be in (0, 1]")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "variants", help="what each variant (VCF) does to every motif: best match on REF and ALT, gain/loss",
        description="For each variant of a VCF/BCF, ALT allele and motif: the best window overlapping the variant "
                    "on the reference and on the alternative haplotype (both strands), the score change, and a "
                    "call: gain (only ALT is a hit), loss (only REF), change (both). Multi-allelic sites are "
                    "split; variants that cannot be scored are counted on stderr.")
    p.add_argument("motifs", help="motif file, 'jaspar:...', or a CNN's kernels (.npy/.npz/.pt/.h5, converted "
                                  "exactly with --base)")
    p.add_argument("genome", help="indexed genome FASTA (plain, or bgzip with .fai/.gzi; needs pysam)")
    p.add_argument("vcf", help="VCF or BCF, plain or bgzip (any order, no index needed)")
    p.add_argument("-o", "--output", help="TSV file (default: stdout)")
    p.add_argument("--vcf-out", metavar="VCF", help="also write the input VCF with an EXACTPWM INFO field per "
                                                     "variant (ALT|motif|call|delta; .gz: bgzip, .bcf: BCF)")
    p.add_argument("--thresh", type=_pvalue, default=1e-4, help="p-value of a hit (default: %(default)g)")
    p.add_argument("--all", action="store_true", help="a row for every variant and motif, hits or not")
    p.add_argument("--activations", action="store_true",
                   help="with a kernel file: each kernel's maximum activation (bias included) over the windows "
                        "overlapping the variant, on REF and on ALT, and their difference, one row per variant "
                        "and kernel, instead of motif matches")
    p.add_argument("--strand", choices=["+", "both"], default="+",
                   help="--activations: the layer as it runs ('+'), or the better of each window and its reverse "
                        "complement ('both', for models that scan both strands)")
    p.add_argument("--min-delta", type=_checked(float, lambda x: x >= 0, "--min-delta", "must be >= 0"), default=0.0,
                   help="--activations: only rows whose |delta| reaches this (default: every row)")
    _add_motif_args(p)
    bg = p.add_mutually_exclusive_group()
    bg.add_argument("--bgfile", help="0-order background file (default: the motif file's)")
    bg.add_argument("--uniform", action="store_true", help="uniform background")
    p.add_argument("--pseudocount", type=_checked(float, lambda x: x >= 0, "pseudocount", "must be >= 0"),
                   default=None, help="pseudocount on the motifs' counts (default: 0.1, as scan)")
    p.add_argument("-j", "--threads", type=_threads, default=0, help="threads (default 0 = all cores)")
    p.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    _add_model_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exactpwm.io.tables import write_tsv
    from exactpwm.scanning.variants import _SKIP_REASONS, variant_effects

    for path in (args.motifs, args.genome, args.vcf):
        _check_input(path)
    _check_output(args.output, args.motifs, args.genome, args.vcf)
    _check_output(args.vcf_out, args.motifs, args.genome, args.vcf, args.output)
    import warnings

    if args.activations:
        table, skipped, examples = _activations(args)
    else:
        motifs = _load_motifs(args.motifs, args.motif_format, args.motif, args)
        bg = _background(args, motifs)
        motifs, pseudocount = _pseudocount(args, motifs, bg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the skips are reported below, one line each
            eff = variant_effects(motifs, args.genome, args.vcf, pvalue=args.thresh, background=bg,
                                  pseudocount=pseudocount, report="all" if args.all else "hits",
                                  threads=args.threads, backend=args.backend)
        table, skipped, examples = eff.table, eff.skipped, eff.examples
    for reason, n in skipped.items():
        print(f"exactpwm variants: {n} variants not scored: {_SKIP_REASONS[reason]} "
              f"(e.g. {', '.join(examples.get(reason, []))})", file=sys.stderr)
    with _open_out(args.output) as f:
        write_tsv(table, f, backend=args.backend)
        f.write(f"# {_command_line(args.argv)}\n")
    if args.vcf_out:
        eff.write_vcf(args.vcf, args.vcf_out)
        print(f"wrote {args.vcf_out}", file=sys.stderr)
    if args.output not in (None, "-"):
        print(f"wrote {args.output}: {len(table):,} rows", file=sys.stderr)
    return 0


def _activations(args: argparse.Namespace):
    """(table, skipped, examples) of kernel_variant_effects for the kernel file args.motifs."""
    import warnings

    import numpy as np
    import pandas as pd

    from exactpwm.interpret.convert import load_first_layer
    from exactpwm.io.kernels import KERNEL_EXTENSIONS
    from exactpwm.scanning.variants import kernel_variant_effects

    if not args.motifs.lower().endswith(KERNEL_EXTENSIONS):
        raise UsageError(f"--activations reads a CNN's kernels ({', '.join(KERNEL_EXTENSIONS)}); "
                         f"{args.motifs} is not a kernel file")
    if args.vcf_out or args.all:
        raise UsageError("--vcf-out and --all are for motif matches, not --activations")
    W, bias = load_first_layer(args.motifs, key=args.key, layout=args.layout, bias_key=args.bias_key,
                               use_bias=args.bias, batchnorm=args.batchnorm, bn_eps=args.bn_eps,
                               dilation=args.dilation)
    if args.flip:  # true convolution: the kernels read right to left
        W = W[:, :, ::-1]
    names = [n.strip() for n in args.names.split(",")] if args.names else [f"{args.prefix}{i}" for i in range(len(W))]
    if len(names) != len(W):
        raise UsageError(f"--names gives {len(names)} names for {len(W)} kernels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skips are reported by the caller
        eff = kernel_variant_effects(W, args.genome, args.vcf, bias, strand=args.strand, threads=args.threads,
                                     backend=args.backend)
    V, K = eff.ref.shape
    keep = np.abs(eff.delta) >= args.min_delta if args.min_delta > 0 else np.ones((V, K), bool)
    vi, ki = np.nonzero(keep)
    cols = {name: np.array([getattr(v, name) for v in eff.variants], dtype=object)[vi]
            for name in ("chrom", "id", "ref", "alt")}
    table = pd.DataFrame({
        "chrom": cols["chrom"], "pos": np.array([v.pos + 1 for v in eff.variants], np.int64)[vi], "id": cols["id"],
        "ref": cols["ref"], "alt": cols["alt"], "kernel": np.asarray(names, dtype=object)[ki],
        "ref_activation": eff.ref[vi, ki], "alt_activation": eff.alt[vi, ki], "delta": eff.delta[vi, ki]})
    return table, eff.skipped, eff.examples
