"""Certified p-values against the 2**-10 grid: correctness against exact enumeration, and cost.

    python bench/certified_pvalues.py --json bench/results/certified_pvalues.json

1. Correctness (issue 31's measurement): 16 JASPAR 2024 PWMs of width 8-11 (smoothed by the
   API's default pseudocount), 1 Mbp of seeded random DNA, p <= 1e-3, the API's defaults. The
   truth: every window's real score and its p-value from enumerating all 4^w words. Counted:
   hits missed, hits in excess, the largest relative error of a reported p-value.
2. Cost, in one run: the certified default against ``step=2**-10`` on a peak set (50,000 x
   400 bp, 100 motifs, p <= 1e-4) and on 5 Mbp with all 879 JASPAR vertebrate motifs (first
   scan of a plan, which builds the tables, and a second scan with the same plan).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import time
import warnings

import exactpwm
import numpy as np
from exactpwm.io.formats.jaspardb import load_jaspar
from exactpwm.scanning.plan import plan_scan, score_matrices, symmetric_background
from exactpwm.scanning.scan import collect_hits

GRID = 2.0 ** -10


def exact_truth(mats, seq, bg, p_threshold):
    """{(motif, start, strand): p} of every window whose exact p-value is <= p_threshold."""
    truth = {}
    for k, M in enumerate(mats):
        w = M.shape[1]
        s, p = np.zeros(1), np.ones(1)
        for j in range(w):
            s = (s[:, None] + M[:, j]).reshape(-1)
            p = (p[:, None] * bg).reshape(-1)
        order = np.argsort(s)
        s, tail = s[order], np.concatenate([np.cumsum(p[order][::-1])[::-1], [0.0]])
        tol = 1e-9 * (1 + np.abs(M).max(axis=0).sum())
        win = np.lib.stride_tricks.sliding_window_view(seq, w)
        for strand, words in (("+", win), ("-", 3 - win[:, ::-1])):
            pv = tail[np.searchsorted(s, M[words, np.arange(w)].sum(axis=1) - tol)]
            for i in np.flatnonzero(pv <= p_threshold):
                truth[(k, int(i), strand)] = pv[i]
    return truth


def correctness(jaspar) -> dict:
    rng = np.random.default_rng(0)
    widths = np.array([m.width for m in jaspar])
    pick = [int(i) for i in rng.permutation(len(jaspar)) if 8 <= widths[i] <= 11][:16]
    motifs = exactpwm.MotifSet([jaspar[i] for i in pick], jaspar.background)
    seq = rng.integers(0, 4, 1_000_000).astype(np.uint8)
    mats = score_matrices(motifs, "logodds", step=None, background=symmetric_background(None))
    truth = exact_truth(mats, seq, symmetric_background(None), 1e-3)
    out = {"motifs": [m.name for m in motifs], "windows_true": len(truth)}
    for label, step in (("certified", "auto"), ("grid", GRID)):
        t = time.perf_counter()
        rows = exactpwm.scan(motifs, seq, pvalue=1e-3, step=step).rows
        dt = time.perf_counter() - t
        got = {(int(m), int(s), st.decode()): p for m, s, st, p in
               zip(rows["motif"], rows["start"], rows["strand"], rows["pvalue"])}
        shared = got.keys() & truth.keys()
        err = max((abs(got[k] / truth[k] - 1) for k in shared), default=0.0)
        out[label] = {"seconds": dt, "hits": len(got), "missed": len(truth.keys() - got.keys()),
                      "excess": len(got.keys() - truth.keys()), "max_rel_pvalue_error": err}
        print(f"{label:9s} {dt:6.3f} s  hits {len(got):,}  missed {out[label]['missed']}  "
              f"excess {out[label]['excess']}  max relative p error {err:.2e}")
    return out


def peak_fasta(path: str, n: int = 50_000, length: int = 400) -> None:
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", np.uint8)
    with open(path, "wb") as f:
        for i in range(n):
            f.write(b">p%d\n" % i + letters[rng.integers(0, 4, length)].tobytes() + b"\n")


def cost(jaspar, workdir: str, repeats: int) -> dict:
    out = {}
    peaks = os.path.join(workdir, "peaks.fa")
    peak_fasta(peaks)
    hundred = exactpwm.MotifSet([m for m in jaspar if m.width >= 7][:100], jaspar.background)
    times: dict = collections.defaultdict(list)
    for _ in range(repeats):
        for label, step in (("certified", "auto"), ("grid", GRID)):
            t = time.perf_counter()
            n = len(exactpwm.scan(hundred, peaks, pvalue=1e-4, step=step))
            times[label].append(time.perf_counter() - t)
            out[f"peaks_{label}_hits"] = n
    out["peaks_seconds"] = {k: v for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    out["peaks_ratio_certified_over_grid"] = best["certified"] / best["grid"]
    print(f"peaks 50,000 x 400 x 100 motifs: certified {best['certified']:.3f} s, grid {best['grid']:.3f} s, "
          f"ratio {out['peaks_ratio_certified_over_grid']:.2f}")

    seq = np.random.default_rng(1).integers(0, 4, 5_000_000).astype(np.uint8)
    t = time.perf_counter()
    plan = plan_scan(jaspar, pvalue=1e-4)
    t_plan = time.perf_counter() - t
    t = time.perf_counter()
    n = len(collect_hits(plan, seq).hits)
    first = time.perf_counter() - t
    t = time.perf_counter()
    collect_hits(plan, seq)
    second = time.perf_counter() - t
    assert plan.certified is not None
    kinds = collections.Counter(plan.certified.kinds())
    t = time.perf_counter()
    gplan = plan_scan(jaspar, pvalue=1e-4, step=GRID)
    g_plan = time.perf_counter() - t
    t = time.perf_counter()
    gn = len(collect_hits(gplan, seq).hits)
    grid = time.perf_counter() - t
    out["genome_5M_all_jaspar"] = {"plan_certified": t_plan, "first_scan": first, "second_scan": second,
                                   "plan_grid": g_plan, "grid_scan": grid, "hits_certified": n, "hits_grid": gn,
                                   "kinds": dict(kinds)}
    print(f"5 Mbp x {len(jaspar)} motifs: plan {t_plan:.2f} s; certified first scan {first:.2f} s, second "
          f"{second:.2f} s; grid plan {g_plan:.2f} s, scan {grid:.2f} s; kinds {dict(kinds)}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    jaspar = load_jaspar()
    result = {"correctness": correctness(jaspar)}
    with tempfile.TemporaryDirectory() as workdir:
        result["cost"] = cost(jaspar, workdir, args.repeats)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, default=float)


if __name__ == "__main__":
    main()
