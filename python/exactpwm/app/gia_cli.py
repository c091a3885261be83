"""``exactpwm gia``: parse, make one job call, print."""

from __future__ import annotations

import argparse

from exactpwm.app.common import UsageError, number, progress_for


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gia", help="global importance analysis: what motifs, pairs and k-mers do to a model's prediction",
        description="Embed each motif (or consensus, pair at each spacing, or k-mer) in null sequences that carry "
                    "none of it, and report the mean change of the model's output with its 95%% interval (Koo & "
                    "Ploenzke's global importance analysis). Each embedded sequence is recomputed only inside the "
                    "pattern's receptive field where the model's graph allows, and checked against the whole "
                    "model. Writes effects.tsv, spacing.tsv, interactions.tsv, kmers.tsv (as asked), null.fa and a "
                    "figure per table.")
    p.add_argument("model", help="a model saved by torch.export.save (.pt2) taking one-hot (B, 4, L)")
    p.add_argument("--null", required=True,
                   help="shuffle:FASTA[:k] (shuffles keeping k-mer counts, default k 2), profile:FASTA, iid[:GC] or "
                        "iid:A,C,G,T, quantile:FASTA[:LOW-HIGH] (default 0-0.25)")
    p.add_argument("-o", "--output", required=True, help="output folder (created)")
    p.add_argument("-m", "--motifs", help="motif file or jaspar: spec whose motifs are embedded (their consensus)")
    p.add_argument("-p", "--patterns", default="", help="comma-separated consensus strings (N keeps the null's base)")
    p.add_argument("-n", "--size", type=number("--size", low=1, integer=True), default=1000,
                   help="null sequences (default 1000)")
    p.add_argument("--length", type=number("--length", low=1, integer=True),
                   help="null length for iid when the model does not fix it")
    p.add_argument("--position", type=number("--position", low=0, integer=True),
                   help="0-based start of each embedded pattern (default: centred)")
    p.add_argument("--strand", choices=["+", "-", "both"], default="+", help="strand(s) embedded (default +)")
    p.add_argument("--embed", choices=["consensus", "sample"], default="consensus",
                   help="the consensus, or a draw from the PWM for each null sequence")
    p.add_argument("--output-index", type=number("--output-index", low=0, integer=True), default=0,
                   help="model output reported (default 0)")
    p.add_argument("--all-outputs", action="store_true", help="report every output (a column 'output')")
    p.add_argument("--pair", help="A,B: spacing curve of this pair (motif ids or names, or consensus strings)")
    p.add_argument("--max-spacing", type=number("--max-spacing", low=0, integer=True), default=100,
                   help="largest spacing of the curve (default 100)")
    p.add_argument("--interactions", type=number("--interactions", low=0, integer=True), default=0,
                   help="interaction matrix of the M strongest patterns (default 0: none)")
    p.add_argument("--kmer", type=number("--kmer", low=0, high=8, integer=True), default=0,
                   help="all k-mers of this length, strongest first (up to 8; default 0: none)")
    p.add_argument("--seed", type=number("--seed", low=0, integer=True), default=0, help="seeds the null and samples")
    p.add_argument("--batch-size", type=number("--batch-size", low=1, integer=True),
                   help="rows per model call (default: sized to about 32 MB)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run blocks of the null set as tasks on a Dask cluster (a scheduler address, or local:N for "
                        "N local workers; the workers read the same model file): the same tables as one run")
    p.add_argument("--no-plots", action="store_true", help="tables only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exactpwm.jobs.gia import GiaOptions, run_gia

    pair = None
    if args.pair:
        pair = tuple(x.strip() for x in args.pair.split(","))
        if len(pair) != 2 or not all(pair):
            raise UsageError(f"--pair takes two names separated by a comma, got {args.pair!r}")
    opts = GiaOptions(args.model, args.output, args.null, motifs=args.motifs,
                      patterns=[x.strip() for x in args.patterns.split(",") if x.strip()], size=args.size,
                      length=args.length, position=args.position, strand=args.strand, embed=args.embed,
                      output_index=None if args.all_outputs else args.output_index, pair=pair,
                      max_spacing=args.max_spacing, interactions=args.interactions, kmer=args.kmer, seed=args.seed,
                      batch_size=args.batch_size, plots=not args.no_plots, dask=args.dask)
    with progress_for(args, None) as progress:
        run_gia(opts, progress=progress)
    return 0
