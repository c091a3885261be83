"""Dask overhead: the same scan in-process and on a LocalCluster of 1 and 2 workers.

    pip install ".[bench,distributed]" && python bench/dask_scan.py --length 100e6 --motifs 100

100 JASPAR 2024 CORE vertebrate motifs (widths >= 7, pseudocount 1), p <= 1e-4,
both strands, over a seeded random genome written as FASTA; FASTA reading is
included in every time. The Dask runs write BED partitions to a temporary
folder; the in-process run streams hits and counts them. Prints one JSON line
per run and the ratio to the in-process time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from genome_scaling import write_genome  # noqa: E402
from peers import jaspar_motifs  # noqa: E402


def main() -> None:
    import exactpwm
    from dask.distributed import Client, LocalCluster
    from exactpwm.scanning.distributed import scan_distributed

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=float, default=100e6)
    ap.add_argument("--motifs", type=int, default=100)
    ap.add_argument("--chunk-size", type=int, default=1 << 24)
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    names, counts = jaspar_motifs(args.motifs)
    pwms = [exactpwm.counts_to_pwm(c, pseudocount=1.0) for c in counts]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        fa = os.path.join(tmp, "genome.fa")
        write_genome(fa, int(args.length))
        t0 = time.perf_counter()
        plan = exactpwm.plan_scan(pwms, pvalue=1e-4)
        hits = sum(rows.size for rows, _ in exactpwm.iter_scan(plan, fa, chunk_size=args.chunk_size))
        base = time.perf_counter() - t0
        results.append({"run": "in-process (2 threads)", "seconds": base, "hits": hits})
        print(json.dumps(results[-1]), flush=True)
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                              processes=True) as cluster, Client(cluster) as client:
                client.run(lambda: __import__("exactpwm").scan([[[1.0], [0], [0], [0]]], "A", mode="matrix",
                                                               score=0))  # warm the workers' imports
                t0 = time.perf_counter()
                res = scan_distributed(pwms, fa, os.path.join(tmp, f"parts{workers}"), client=client, pvalue=1e-4,
                                       chunk_size=args.chunk_size, format="bed", threads=1)
                t = time.perf_counter() - t0
            results.append({"run": f"LocalCluster {workers} worker(s) x 1 thread", "seconds": t, "hits": res.n_hits,
                            "vs_in_process": t / base, "partitions": len(res.paths)})
            print(json.dumps(results[-1]), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"length": args.length, "motifs": args.motifs, "chunk_size": args.chunk_size,
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
