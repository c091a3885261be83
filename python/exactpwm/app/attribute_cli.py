"""``exactpwm attribute``: parse, make one job call, print."""

from __future__ import annotations

import argparse

from exactpwm.app.common import number
from exactpwm.jobs.attribute import AttributeOptions, run_attribute


def _steps(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    return number("--steps", low=1, integer=True)(text)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "attribute", help="attribution maps of a model's output for each sequence (.npz as modisco-lite reads)",
        description="What each base contributes to one output of a model saved by torch.export (.pt2) taking "
                    "one-hot (B, 4, L): integrated gradients against dinucleotide shuffles (default; completeness "
                    "checked on every sequence), DeepSHAP or DeepLIFT (additivity checked), gradient x input, or "
                    "saliency. Writes the (N, 4, L) hypothetical "
                    "contributions as arr_0 of an .npz, and with --ohe the one-hot sequences: modisco-lite's "
                    "'modisco motifs -s ohe.npz -a attr.npz' reads them as they are.")
    p.add_argument("model", help="a model saved by torch.export.save (.pt2)")
    p.add_argument("sequences", help="FASTA of sequences of one length")
    p.add_argument("-o", "--output", required=True, help="attributions .npz (arr_0: (N, 4, L) float32)")
    p.add_argument("--ohe", metavar="NPZ", help="also write the one-hot sequences (arr_0: (N, 4, L))")
    p.add_argument("--method", choices=["ig", "deepshap", "deeplift", "gxi", "saliency"], default="ig",
                   help="ig: integrated gradients (default); deepshap: DeepLIFT's rescale rule averaged over the "
                        "shuffles (additivity checked; a model with an op without an exact rule, such as max "
                        "pooling, is refused by name); deeplift: against the all-zero input; gxi: gradient x "
                        "input; saliency: the gradient")
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
    p.add_argument("--projected", action="store_true",
                   help="write each position's contribution on its letter instead of the hypothetical ones")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    run_attribute(AttributeOptions(args.model, args.sequences, args.output, ohe=args.ohe, method=args.method,
                                   target=args.target, baseline=args.baseline, steps=args.steps,
                                   n_shuffles=args.shuffles, seed=args.seed, tolerance=args.tolerance,
                                   projected=args.projected))
    return 0
