"""``exactpwm convert`` and ``exactpwm logo``: parse, make one job call, print."""

from __future__ import annotations

import argparse
import sys

from exactpwm.app.common import add_model_args, add_motif_args, kernel_options, motif_source, number, threads

_FORMATS = ["meme", "jaspar", "pfm", "transfac", "homer"]


def add_parsers(sub) -> None:
    p = sub.add_parser("convert", help="kernels -> exact PWMs (any motif format), or motifs -> kernels",
                       description="Kernels (.npy/.npz/.pt/.h5/.keras) -> PWMs with conv = log_b P + offset; "
                                   "or a motif file -> kernels (.npy/.npz) or another motif format.")
    p.add_argument("input", help="kernel file, or a motif file (or 'jaspar:...') for the inverse direction")
    p.add_argument("-o", "--output",
                   help="output (motif file by extension, .npy/.npz for kernels; default stdout MEME)")
    p.add_argument("--format", choices=_FORMATS, help="output motif format")
    add_model_args(p)
    p.add_argument("--fit-base", metavar="FASTA", help="fit b by maximum likelihood on these sequences")
    p.add_argument("--strand", choices=["+", "both"], default="+",
                   help="with --fit-base: the model scans one strand or both (default: %(default)s)")
    p.add_argument("--offsets", metavar="TSV", help="also write each PWM's offset to this file")
    p.add_argument("--equivalent", metavar="OUT.pt",
                   help="PyTorch input: also write the state_dict with the first convolution as a PWM layer "
                        "(the same outputs; load with exactpwm.interpret.pwm_layer.load_equivalent)")
    p.add_argument("--match", metavar="TARGETS",
                   help="name each PWM by its best significant match in a motif file or 'jaspar:' "
                        "(Tomtom's statistics; E <= 0.1 and q <= 0.1), written as its alternate name")
    p.add_argument("--pseudocount", type=number("--pseudocount", low=0), default=None,
                   help="motif input: pseudocount on counts before turning PWMs into kernels (default: none when "
                        "every probability is > 0, so MEME -> kernels -> MEME is exact; else 0.1, as FIMO)")
    p.add_argument("--motif-format", choices=_FORMATS, help=argparse.SUPPRESS)
    p.add_argument("-j", "--threads", type=threads, default=0, help=argparse.SUPPRESS)
    p.set_defaults(func=run_convert_command)

    p = sub.add_parser("logo", help="sequence logos (PNG, SVG, PDF) of motifs or converted kernels")
    p.add_argument("motifs", help="motif file, 'jaspar:...', or a kernel file (converted with --base/--flip)")
    p.add_argument("-o", "--outdir", default="logos", help="output folder (default: %(default)s)")
    p.add_argument("--format", choices=["png", "svg", "pdf"], default="png")
    p.add_argument("--mode", choices=["information", "probability"], default="information")
    p.add_argument("--uniform", action="store_true", help="information against a uniform background")
    p.add_argument("--fit-base", metavar="FASTA", help="kernel files: fit b by maximum likelihood on these "
                                                       "sequences (recommended to read what a kernel learned)")
    p.add_argument("--strand", choices=["+", "both"], default="+",
                   help="with --fit-base: the model scans one strand or both (default: %(default)s)")
    add_motif_args(p)
    add_model_args(p)
    p.set_defaults(func=run_logo_command)


def run_convert_command(args: argparse.Namespace) -> int:
    from exactpwm.jobs.convert import ConvertOptions, run_convert

    opts = ConvertOptions(args.input, output=args.output, format=args.format, motif_format=args.motif_format,
                          kernels=kernel_options(args), offsets=args.offsets, equivalent=args.equivalent,
                          match=args.match, pseudocount=args.pseudocount, threads=args.threads)
    result = run_convert(opts)
    report = sys.stderr if args.output in (None, "-") else sys.stdout
    for line in result.report:
        print(line, file=report)
    return 0


def run_logo_command(args: argparse.Namespace) -> int:
    from exactpwm.jobs.compare import LogoOptions, run_logo

    opts = LogoOptions(motif_source(args, args.motifs, args.motif, args.motif_format, kernels=True),
                       outdir=args.outdir, format=args.format, mode=args.mode, uniform=args.uniform)
    for path in run_logo(opts):
        print(f"wrote {path}")
    return 0
