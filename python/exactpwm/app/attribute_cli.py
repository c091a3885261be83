"""``exactpwm attribute``: parse, make one job call, print."""

from __future__ import annotations

import argparse

from exactpwm.app.common import add_cut_args, number, progress_for


def _steps(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    return number("--steps", low=1, integer=True)(text)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "attribute", help="attribution maps of a model's output for each sequence (.npz as modisco-lite reads)",
        description="What each base contributes to one output of a model saved by torch.export (.pt2) taking "
                    "one-hot (B, 4, L): integrated gradients against dinucleotide shuffles (default; completeness "
                    "checked on every sequence), DeepSHAP or DeepLIFT (additivity checked), in-silico mutagenesis, "
                    "occlusion, gradient x input, or saliency. Writes the (N, 4, L) hypothetical "
                    "contributions as arr_0 of an .npz, and with --ohe the one-hot sequences: modisco-lite's "
                    "'modisco motifs -s ohe.npz -a attr.npz' reads them as they are; with --bigwig, each base's "
                    "contribution as a bigWig track.")
    p.add_argument("model", help="a model saved by torch.export.save (.pt2)")
    p.add_argument("sequences", help="FASTA of sequences of one length; with --regions, an indexed genome FASTA")
    p.add_argument("--regions", metavar="BED",
                   help="attribute these regions of the genome FASTA, each centred and resized to the model's "
                        "length (needs pysam)")
    p.add_argument("--bigwig", metavar="DIR",
                   help="also write DIR/attributions.bw: each base's contribution, on the genome with --regions "
                        "(overlaps averaged), else on the sequences' names (needs pyBigWig)")
    p.add_argument("-o", "--output", required=True, help="attributions .npz (arr_0: (N, 4, L) float32)")
    p.add_argument("--ohe", metavar="NPZ", help="also write the one-hot sequences (arr_0: (N, 4, L))")
    p.add_argument("--method", choices=["ig", "deepshap", "deeplift", "ism", "occlusion", "cam", "gxi", "saliency"],
                   default="ig",
                   help="ig: integrated gradients (default); deepshap: DeepLIFT's rescale rule averaged over the "
                        "shuffles (additivity checked; ops with no elementwise rule, such as max pooling or a "
                        "softmax head, get integrated gradients on that op, rescaled to its change); deeplift: "
                        "against the all-zero input; ism: every substitution, each base's effect less the "
                        "position's mean; occlusion: each --window masked; cam: class activation map (models "
                        "with global average pooling); gxi: gradient x input; saliency: the gradient")
    p.add_argument("--target", type=number("--target", low=0, integer=True), default=0,
                   help="the output (column) to attribute (default 0)")
    p.add_argument("--baseline", choices=["shuffle", "zero"], default=None,
                   help="references: dinucleotide shuffles of each sequence (default for ig and deepshap) or the "
                        "all-zero input (default for deeplift)")
    p.add_argument("--shuffles", type=number("--shuffles", low=1, integer=True), default=20,
                   help="shuffles per sequence (default 20)")
    p.add_argument("--steps", type=_steps, default="auto",
                   help="ig's integration steps, or auto (default): doubled from 16 until completeness is within "
                        "--tolerance")
    p.add_argument("--tolerance", type=number("--tolerance", low=0), default=None,
                   help="largest relative completeness (additivity) error accepted (default 1e-3 for ig, 1e-4 for "
                        "deeplift and deepshap)")
    p.add_argument("--seed", type=number("--seed", low=0, integer=True), default=0, help="shuffles' seed")
    p.add_argument("--rule", choices=["rescale", "revealcancel"], default="rescale",
                   help="deepshap and deeplift: the rescale rule (default; every op has a rule) or RevealCancel "
                        "(positive and negative changes carried apart; ops without its rule are refused by name)")
    p.add_argument("--window", type=number("--window", low=1, integer=True), default=10,
                   help="occlusion: the masked window's width (default 10)")
    p.add_argument("--mask", choices=["N", "shuffle"], default="N",
                   help="occlusion: mask the window with N (default) or its own letters shuffled")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    p.add_argument("--projected", action="store_true",
                   help="write each position's contribution on its letter instead of the hypothetical ones")
    add_cut_args(p, "whole blocks of 256 sequences, so each map is the one run's",
                 "the run's files (give --ohe and --bigwig to the merge)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exactpwm.jobs.attribute import AttributeOptions, run_attribute

    opts = AttributeOptions(args.model, args.sequences, args.output, ohe=args.ohe, method=args.method,
                            target=args.target, baseline=args.baseline, steps=args.steps, n_shuffles=args.shuffles,
                            seed=args.seed, tolerance=args.tolerance, projected=args.projected, regions=args.regions,
                            bigwig=args.bigwig, window=args.window, mask=args.mask, rule=args.rule, part=args.part,
                            dask=args.dask)
    with progress_for(args, None) as progress:
        progress.label, progress.unit = "attributed", " sequences"
        run_attribute(opts, progress=progress)
    return 0
