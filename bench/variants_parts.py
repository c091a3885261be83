"""Variant effects in parts through the Snakemake workflow (workflow/Snakefile: one
``exactpwm variants --part K/N`` job per part, then ``exactpwm merge``) against one
``exactpwm variants`` run, on the same inputs, in one run of this script.

    pip install ".[workflow,variants,jaspar]"
    python bench/variants_parts.py --snvs 1000000 --parts 8 --json bench/results/variants_parts_1M.json

Inputs as bench/variant_effects.py: N random SNVs over the Klebsiella Kp1084 chromosome
(Debian's kleborate-examples), bgzipped; the 879 JASPAR 2024 CORE vertebrate motifs; p <= 1e-4.
The workflow runs with ``snakemake --cores C`` (C = 2 by default, this machine's cores), so its
time is what a 2-core machine takes for N parts one or two at a time; on a cluster each part is
a node's. Checks that the merged TSV equals the single run's, apart from the command comment.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from variant_effects import write_inputs  # noqa: E402

WORKFLOW = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "workflow")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snvs", type=int, default=1_000_000)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()

    import exactpwm

    work = tempfile.mkdtemp()
    fa, vcf, _, _ = write_inputs(work, args.snvs)
    motifs = os.path.join(work, "jaspar.meme")
    exactpwm.write_motifs(exactpwm.load_jaspar(), motifs)
    whole = os.path.join(work, "whole.tsv")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exactpwm", "variants", motifs, fa, vcf, "-o", whole], check=True)
    t_whole = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snakemake", "-s", os.path.join(WORKFLOW, "Snakefile"), "--configfile",
                    os.path.join(WORKFLOW, "config.yaml"), "--cores", str(args.cores), "--directory", work, "--quiet",
                    "--config", f"motifs={motifs}", "fasta=", f"genome={fa}", f"vcf={vcf}", f"parts={args.parts}",
                    "outdir=wf", f"exactpwm={sys.executable} -m exactpwm"], check=True)
    t_flow = time.perf_counter() - t
    with open(whole) as f1, open(os.path.join(work, "wf", "variants.tsv")) as f2:
        a, b = f1.read().splitlines(), f2.read().splitlines()
    same = a[:-1] == b[:-1]
    logs = os.path.join(work, "wf", "logs")
    res = {"workload": f"{args.snvs:,} random SNVs over Klebsiella Kp1084 x 879 JASPAR 2024 CORE vertebrate motifs, "
                       "p <= 1e-4", "parts": args.parts, "cores": args.cores, "one_run_seconds": t_whole,
           "workflow_seconds": t_flow, "overhead": t_flow / t_whole, "rows": len(a) - 2,
           "merged_equals_one_run": same, "logs": sorted(os.listdir(logs)) if os.path.isdir(logs) else []}
    print(json.dumps(res, indent=2))
    print(f"one run {t_whole:.1f} s; workflow, {args.parts} parts on {args.cores} cores, {t_flow:.1f} s "
          f"({t_flow / t_whole:.2f}x); merged TSV {'equals' if same else 'DIFFERS FROM'} the one run's")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
