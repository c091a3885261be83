"""Draw the scaling benchmark (log-log time vs N) and print each curve's slope.

Usage: python bench/plot_scaling.py OUT.png RESULTS.json [MORE.json ...]
(results of several runs are merged; a later file wins for the same K, method and N)
"""

import json
import sys
from collections import defaultdict

import numpy as np


def load(paths):
    points = {}
    for path in paths:
        for b in json.load(open(path))["benchmarks"]:
            info = b["extra_info"]
            points[(info["K"], info["method"], info["N"])] = b["stats"]["mean"]
    rows = defaultdict(list)
    for (K, method, N), t in points.items():
        rows[(K, method)].append((N, t))
    return {key: sorted(v) for key, v in rows.items()}


def slope(points):
    """Least-squares slope of log(time) on log(N) over the points with N >= 1000 (past fixed costs)."""
    pts = [(n, t) for n, t in points if n >= 1000] or points
    if len(pts) < 2:
        return float("nan")
    n, t = np.log10(np.array(pts)).T
    return float(np.polyfit(n, t, 1)[0])


def main(dst, *srcs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = load(srcs)
    Ks = sorted({k for k, _ in curves})
    fig, axes = plt.subplots(1, len(Ks), figsize=(5.5 * len(Ks), 4.2), squeeze=False)
    print("K\tmethod\tslope(log t / log N)\ttime at largest N (s)")
    for ax, K in zip(axes[0], Ks):
        for (k, method), pts in sorted(curves.items()):
            if k != K:
                continue
            n, t = np.array(pts).T
            s = slope(pts)
            ax.loglog(n, t, "o-", label=f"{method} (slope {s:.2f})")
            print(f"{K}\t{method}\t{s:.2f}\t{t[-1]:.4g}")
        ax.set_title(f"K = {K} kernels of width 19, sequences of 200 nt")
        ax.set_xlabel("number of sequences N")
        ax.set_ylabel("time (s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main(*sys.argv[1:])
