"""Motif comparison benchmark: exactpwm's Tomtom against MEME's tomtom and memelite, in one run.

    pip install ".[peers]"                       # memelite, pyjaspar
    python bench/compare_peers.py --queries 64 --tomtom /path/to/meme/bin/tomtom
    python bench/compare_peers.py --queries 64   # without MEME: speed against memelite only
    python bench/compare_peers.py --all-vs-all --dist ed   # JASPAR 2024 CORE, all taxa, against itself
    python bench/compare_peers.py --all-vs-all --dist ed --meme-table kept.tsv   # MEME's kept table

Workload: the first N JASPAR 2024 CORE vertebrate motifs (pyjaspar) as queries against all 879
of them as targets, both orientations, min overlap 1, pseudocount 0.1, --dist (pearson by
default; memelite computes the ed statistic only, so its agreement is reported under --dist ed).
MEME's tomtom (5.4.1, built from the sources vendored in the pymemesuite sdist; Debian has no
meme package) is the reference for the numbers: Spearman correlation of all p-values, the
largest |log10 p| difference where MEME's p <= 0.01, identical offsets/orientations/overlaps,
and the same best target (self-matches excluded). memelite's tomtom (an approximation of the
same statistic) is timed and compared the same way. ``--all-vs-all``: every JASPAR 2024 CORE
motif of every taxon against all of them (``tomtom(db, db)``, the motifs prepared once; memelite's
``tomtom(Ts, Ts)``), their agreement where both give p <= 0.01. exactpwm is timed twice: with
Tomtom's full table (order, q-values), and with ``matrices=True``, (Q, T) arrays of p-values,
offsets, overlaps and strands, the output memelite's tomtom gives. Each tool is timed from its
second call (numba compilation and first-call costs excluded), best of three, the calls of all
tools interleaved (a noisy machine slows them alike); threads = all cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def timed(fns, repeat=3):
    """(results, seconds): each function's result and best time over ``repeat`` calls after a first
    one, the calls of all functions interleaved."""
    out = [fn() for fn in fns]
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            out[i] = fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return out, best


def agreement(ref, p, ref_off=None, off=None, self_mask=None):
    """ref, p: (Q, T) p-values. Spearman over all pairs; max |dlog10 p| where ref <= 0.01."""
    import pandas as pd

    a, b = ref.ravel(), p.ravel()
    rho = float(pd.Series(a).rank().corr(pd.Series(b).rank()))
    sel = (a <= 1e-2) & (a > 0) & (b > 0)
    d = np.abs(np.log10(a[sel]) - np.log10(b[sel]))
    r, q = ref.copy(), p.copy()
    if self_mask is not None:
        r[self_mask], q[self_mask] = np.inf, np.inf
    same_best = float((r.argmin(axis=1) == q.argmin(axis=1)).mean())
    out = {"spearman": rho, "n_p_le_0.01": int(sel.sum()), "max_abs_dlog10p": float(d.max()) if d.size else None,
           "frac_dlog10p_gt_0.1": float((d > 0.1).mean()) if d.size else None, "same_best_target": same_best}
    if ref_off is not None:
        out["same_offset"] = float((ref_off == off).mean())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=64)
    ap.add_argument("--tomtom", help="MEME's tomtom binary (reference); skipped when absent")
    ap.add_argument("--dist", default="pearson", choices=["pearson", "ed", "sandelin"],
                    help="column similarity of exactpwm and MEME (memelite computes ed only: its numbers are "
                         "compared with MEME's under --dist ed)")
    ap.add_argument("--all-vs-all", action="store_true",
                    help="all JASPAR 2024 CORE motifs (every taxon) against themselves")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--keep-meme", metavar="TSV", help="also keep MEME's table here (to find the pairs that differ)")
    ap.add_argument("--meme-table", metavar="TSV",
                    help="MEME's table kept by an earlier --keep-meme run (same workload and --dist): compared "
                         "without running MEME again (its time is not measured)")
    args = ap.parse_args()

    import exactpwm
    from exactpwm.interpret.tomtom import tomtom

    work = tempfile.mkdtemp()
    exactpwm.write_motifs(exactpwm.load_jaspar(tax_group=None) if args.all_vs_all else exactpwm.load_jaspar(),
                          os.path.join(work, "t.meme"))
    db = exactpwm.read_motifs(os.path.join(work, "t.meme"))  # every tool reads the same MEME files
    queries = db if args.all_vs_all else db.select(db.names[:args.queries])
    exactpwm.write_motifs(queries, os.path.join(work, "q.meme"))
    names = db.names
    index = {n: i for i, n in enumerate(names)}
    Q, T = len(queries), len(db)
    self_mask = np.zeros((Q, T), bool)
    self_mask[np.arange(Q), [index[n] for n in queries.names]] = True
    res = {"workload": f"all {T} JASPAR 2024 CORE motifs (all taxa, {sum(db.widths)} columns) against themselves, "
                       "both orientations" if args.all_vs_all else
                       f"{Q} JASPAR 2024 CORE vertebrate queries x {T} targets, both orientations",
           "dist": args.dist,
           "cores": os.cpu_count(), "tools": {}}

    try:
        import memelite
    except ImportError:
        memelite = None
    fns = [lambda: tomtom(queries, db, dist=args.dist), lambda: tomtom(queries, db, dist=args.dist, matrices=True)]
    if memelite is not None:  # memelite computes Tomtom's ed (Euclidean) statistic only
        Ts = [m.probabilities(0.1).astype(np.float64) for m in db]
        Qs = Ts if args.all_vs_all else [m.probabilities(0.1).astype(np.float64) for m in queries]
        fns.append(lambda: memelite.tomtom(Qs, Ts))
    out, seconds = timed(fns)
    ours, t_ours, t_matrices = out[0], seconds[0], seconds[1]
    P = np.full((Q, T), np.nan)
    OFF = np.zeros((Q, T), np.int64)
    P[ours.rows["query"], ours.rows["target"]] = ours.rows["pvalue"]
    OFF[ours.rows["query"], ours.rows["target"]] = ours.rows["offset"]
    assert (out[1].pvalue == P).all() and (out[1].offset == OFF).all()  # the same numbers
    res["tools"]["exactpwm"] = {"seconds": t_ours, "matrices_seconds": t_matrices}
    print(f"exactpwm compare   {t_ours:.3f} s (Tomtom's table), {t_matrices:.3f} s (matrices)")
    if memelite is not None:
        pm, t_mm = np.asarray(out[2][0]), seconds[2]
        res["tools"]["memelite"] = {"seconds": t_mm, "ratio_vs_exactpwm": t_mm / t_ours,
                                    "exactpwm_matrices_vs_memelite": t_matrices / t_mm}
        print(f"memelite tomtom    {t_mm:.3f} s  ({t_mm / t_ours:.2f}x exactpwm's table time; exactpwm's matrices "
              f"take {t_matrices / t_mm:.2f}x memelite's time)")
        if args.dist == "ed":  # the same statistic: how far memelite's p-values are from exactpwm's
            res["memelite_vs_exactpwm"] = agreement(P, pm, self_mask=self_mask)
            print("memelite vs exactpwm:", json.dumps(res["memelite_vs_exactpwm"]))

    if args.tomtom or args.meme_table:
        cmd = [args.tomtom or "tomtom", "-no-ssc", "-text", "-thresh", "1", "-verbosity", "1", "-dist", args.dist,
               os.path.join(work, "q.meme"),
               os.path.join(work, "t.meme")]
        t = time.perf_counter()
        if args.meme_table:
            with open(args.meme_table) as f:
                out = f.read()
        else:
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        t_meme = time.perf_counter() - t
        from io import StringIO

        import pandas as pd

        if args.keep_meme:
            with open(args.keep_meme, "w") as f:
                f.write(out)
        meme = pd.read_csv(StringIO(out), sep="\t", comment="#")
        R = np.full((Q, T), np.nan)
        ROFF = np.zeros((Q, T), np.int64)
        qi = meme["Query_ID"].map({n: i for i, n in enumerate(queries.names)}).to_numpy()
        ti = meme["Target_ID"].map(index).to_numpy()
        R[qi, ti] = meme["p-value"].to_numpy()
        ROFF[qi, ti] = meme["Optimal_offset"].to_numpy()
        res["tools"]["meme_tomtom"] = {"seconds": None if args.meme_table else t_meme,
                                      "ratio_vs_exactpwm": None if args.meme_table else t_meme / t_ours,
                                      "version": "5.4.1",
                                      **({"table": os.path.basename(args.meme_table)} if args.meme_table else {})}
        res["agreement_with_meme"] = {"exactpwm": agreement(R, P, ROFF, OFF, self_mask)}
        if not args.meme_table:
            print(f"MEME tomtom 5.4.1  {t_meme:.3f} s  ({t_meme / t_ours:.0f}x exactpwm's time, one core)")
        print("exactpwm vs MEME:", json.dumps(res["agreement_with_meme"]["exactpwm"]))
        if memelite is not None and args.dist == "ed":  # memelite computes the ed statistic only
            res["agreement_with_meme"]["memelite"] = agreement(R, pm, self_mask=self_mask)
            print("memelite vs MEME:", json.dumps(res["agreement_with_meme"]["memelite"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
