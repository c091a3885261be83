"""Where a scan's time goes: the engine alone against the whole ``exactpwm.scan``.

    python bench/scan_breakdown.py --bases 100e6 --motifs 100 [--threads 2]

The same inputs as ``bench/peers.py`` (JASPAR 2024 CORE vertebrate motifs of width >= 7,
counts + pseudocount 1, quantized log2-odds, thresholds at p <= 1e-4, seeded random DNA,
both strands). "engine" times ``_core.threshold_hits`` on each width group over the whole
sequence; "scan" is the public call (p-value tables, chunking, hit table included).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bases", type=float, default=100e6)
    ap.add_argument("--motifs", type=int, default=100)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    import exactpwm
    from exactpwm import _core
    from exactpwm.core._checks import resolve_threads
    from exactpwm.scanning.plan import plan_scan
    from peers import jaspar_motifs

    _, counts = jaspar_motifs(args.motifs)
    mats = exactpwm.score_matrices([exactpwm.counts_to_pwm(c, pseudocount=1.0) for c in counts])
    thr = np.array([exactpwm.ScoreDistribution(m).threshold(1e-4) for m in mats])
    n = int(args.bases)
    codes = np.random.default_rng(n).integers(0, 4, size=n, dtype=np.uint8)
    work = n * 2 * len(mats) / 1e9
    threads = resolve_threads(args.threads)

    plan = plan_scan(mats, score=thr, mode="matrix")
    offsets = np.array([0, n], dtype=np.int64)
    engine, hits = 0.0, 0
    for g in plan.groups:
        (_, _, table, bias), t = g.engine_inputs("both")
        t0 = time.perf_counter()
        found = _core.threshold_hits(codes, offsets, table, bias, t, True, threads, "auto")
        engine += time.perf_counter() - t0
        hits += found[0].size
    t0 = time.perf_counter()
    table = exactpwm.scan(mats, {"random": codes}, mode="matrix", score=thr, threads=args.threads)
    whole = time.perf_counter() - t0
    print(f"{n:,} bases x {len(mats)} motifs x 2 strands, {exactpwm.backends()['cpp'].get('isa_best')}")
    print(f"engine alone {engine:6.2f} s  {work / engine:5.1f} G/s  {hits:,} hits")
    print(f"whole scan   {whole:6.2f} s  {work / whole:5.1f} G/s  {len(table):,} hits")


if __name__ == "__main__":
    main()
