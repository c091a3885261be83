"""``exactpwm modisco``: parse, make one job call, print."""

from __future__ import annotations

import argparse

from exactpwm.app.common import number, progress_for


def add_parser(sub) -> None:
    p = sub.add_parser(
        "modisco", help="motif patterns from attribution maps (TF-MoDISco's method), annotated, with a report",
        description="Seqlets of attribution maps clustered into motif patterns (CWM, hypothetical CWM, PFM), as "
                    "TF-MoDISco does, with the similarity computed by the compiled engine; each pattern compared "
                    "with JASPAR or a motif file by Tomtom's statistics and scanned back over the sequences with "
                    "exact p-values. Reads the .npz files of 'exactpwm attribute' and modisco-lite; writes "
                    "modisco_results.h5 (modisco-lite's layout), patterns.meme, patterns.tsv, tomtom.tsv, "
                    "hits.tsv, cooccurrence.tsv and index.html with logos.")
    p.add_argument("attributions",
                   help=".npz whose arr_0 is the (N, 4, L) hypothetical contributions; or an .h5 holding maps and "
                        "sequences (hyp_scores/input_seqs, or BPNet's and ChromBPNet's shap/seq and raw/seq)")
    p.add_argument("-s", "--sequences",
                   help=".npz whose arr_0 is the (N, 4, L) one-hot sequences, or a FASTA of N sequences of length L "
                        "(needed with an .npz)")
    p.add_argument("-o", "--output", required=True, help="report folder (created)")
    p.add_argument("-w", "--window", type=number("--window", low=0, integer=True), default=400,
                   help="use the central bases only (modisco-lite's -w; default 400); 0: all")
    p.add_argument("-m", "--motifs", default=None,
                   help="annotate against this motif file or jaspar: spec (default: JASPAR CORE vertebrates when "
                        "pyjaspar is installed); 'none': no annotation")
    p.add_argument("-n", "--max-seqlets", type=number("--max-seqlets", low=1, integer=True), default=20_000,
                   help="at most this many seqlets of each sign, the strongest (default 20000)")
    p.add_argument("--seqlets", choices=["laplace", "recursive"], default="laplace",
                   help="seqlet caller: TF-MoDISco's Laplace null and FDR (default) or tangermeme's recursive rule")
    p.add_argument("--fdr", type=number("--fdr", low=0, high=1), default=0.2,
                   help="the seqlets' false discovery rate (laplace; default 0.2)")
    p.add_argument("--pvalue", type=number("--pvalue", low=0, high=1), default=1e-4,
                   help="hits: exact p-value threshold (default 1e-4)")
    p.add_argument("--hits-on", metavar="FASTA",
                   help="call the patterns' hits on this FASTA (a genome, say) instead of the sequences")
    p.add_argument("--neighbors", type=number("--neighbors", low=1, integer=True), default=64,
                   help="candidate neighbours per seqlet for the exact similarity (default 64)")
    p.add_argument("-l", "--leiden-runs", type=number("--leiden-runs", low=1, integer=True), default=4,
                   help="Leiden runs, the best kept (default 4)")
    p.add_argument("--seed", type=number("--seed", low=0, integer=True), default=0, help="Leiden's seed")
    p.add_argument("--threads", type=number("--threads", low=0, integer=True), default=0,
                   help="engine threads (0: all cores)")
    p.add_argument("--no-logos", action="store_true", help="no index.html and logos (faster)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from exactpwm.interpret.motif_discovery import STEPS
    from exactpwm.jobs.modisco import ModiscoOptions, run_modisco

    opts = ModiscoOptions(args.attributions, args.output, sequences=args.sequences, window=args.window,
                          motifs=args.motifs, pvalue=args.pvalue, max_seqlets=args.max_seqlets,
                          seqlet_method=args.seqlets, target_fdr=args.fdr, neighbors=args.neighbors,
                          leiden_runs=args.leiden_runs, seed=args.seed, threads=args.threads, logos=not args.no_logos,
                          hits_on=args.hits_on)
    with progress_for(args, None) as progress:
        progress.total, progress.label, progress.unit = 2 * STEPS + 3, "done", " steps"
        run_modisco(opts, progress=progress)
    return 0
