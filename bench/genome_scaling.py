"""Whole-genome scaling: scan time and peak memory against genome size.

    python bench/genome_scaling.py --sizes 10e6,100e6,1e9 --motifs 100 --json bench/results/genome_scaling.json

For each size, a seeded random genome is written as FASTA (60 bases per line,
one record) to a temporary folder, then a fresh process streams it through
``exactpwm.plan_scan`` / ``iter_scan`` (JASPAR 2024 CORE vertebrate motifs of
width >= 7, p <= 1e-4, both strands, all cores), counting hits without keeping
them, and reports wall time (parsing included) and its own peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def write_genome(path: str, length: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", np.uint8)
    block = 60 * 100_000
    with open(path, "wb") as f:
        f.write(b">synthetic\n")
        for start in range(0, length, block):
            n = min(block, length - start)
            seq = letters[rng.integers(0, 4, size=n, dtype=np.uint8)]
            rows = n // 60
            body = np.concatenate([seq[: rows * 60].reshape(rows, 60), np.full((rows, 1), ord("\n"), np.uint8)], axis=1)
            f.write(body.tobytes())
            if n % 60:
                f.write(seq[rows * 60:].tobytes() + b"\n")


def run_child(path: str, n_motifs: int) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import exactpwm
    from peers import jaspar_motifs

    _, counts = jaspar_motifs(n_motifs)
    pwms = [exactpwm.counts_to_pwm(c, pseudocount=1.0) for c in counts]
    t0 = time.perf_counter()
    plan = exactpwm.plan_scan(pwms, pvalue=1e-4)
    hits = 0
    for rows, _ in exactpwm.iter_scan(plan, path):
        hits += rows.size
    t1 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": t1 - t0, "hits": hits, "peak_rss_mb": peak}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10e6,100e6,1e9")
    ap.add_argument("--motifs", type=int, default=100)
    ap.add_argument("--json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_child(args.child, args.motifs)
        return
    results = []
    print(f"{'bases':>14}{'seconds':>10}{'G/s':>8}{'peak MB':>9}{'hits':>12}")
    for size in (int(float(s)) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "genome.fa")
            write_genome(path, size)
            out = subprocess.run([sys.executable, __file__, "--child", path, "--motifs", str(args.motifs)],
                                 capture_output=True, text=True, check=True)
        r = {"bases": size, **json.loads(out.stdout.strip().splitlines()[-1])}
        r["g_per_s"] = size * args.motifs * 2 / r["seconds"] / 1e9
        results.append(r)
        print(f"{size:>14,}{r['seconds']:>10.2f}{r['g_per_s']:>8.2f}{r['peak_rss_mb']:>9.0f}{r['hits']:>12,}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"motifs": args.motifs, "pvalue": 1e-4, "cores": os.cpu_count(), "runs": results}, f, indent=1)


if __name__ == "__main__":
    main()
