"""Figures of global importance tables (needs matplotlib: ``pip install 'exactpwm[plot]'``): bars
with 95% intervals for effects and k-mers, curves with bands for positions, copies and spacings, a
heat map for interactions."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_table"]


def plot_table(table: Any, ax: Any = None, output: int | None = None, top: int = 30) -> Any:
    """Draw a :class:`exactpwm.interpret.gia.GIATable` on ``ax`` (a new figure when None);
    ``output`` picks one output of a table with several (default the first). Returns the figure."""
    if ax is None:
        from matplotlib.figure import Figure

        tall = table.kind in ("effect", "kmer")
        fig = Figure(figsize=(7, max(3, 0.25 * min(top, len(table)))) if tall else (7, 4))
        ax = fig.subplots()
    else:
        fig = ax.figure
    cols = table.columns
    keep = np.ones(len(table), bool)
    if "output" in cols:
        keep = cols["output"] == (cols["output"][0] if output is None else output)
    c = {k: np.asarray(v)[keep] for k, v in cols.items()}
    mean, lo, hi = c["mean"], c["ci_low"], c["ci_high"]
    if table.kind in ("effect", "kmer"):
        label = c["pattern"] if table.kind == "effect" else c["kmer"]
        if table.kind == "effect" and len(set(c["strand"])) > 1:
            label = np.array([f"{a} ({s})" for a, s in zip(label, c["strand"])])
        order = np.argsort(-mean, kind="stable")[:top][::-1]
        ax.barh(np.arange(len(order)), mean[order], xerr=[mean[order] - lo[order], hi[order] - mean[order]],
                color="#4c72b0", ecolor="#333333", capsize=2)
        ax.set_yticks(np.arange(len(order)), label[order], fontsize=7)
        ax.set_xlabel("global importance (mean change of the output)")
        ax.axvline(0, color="#999999", lw=0.8)
    elif table.kind in ("position", "copies"):
        x = c["position"] if table.kind == "position" else c["copies"]
        ax.plot(x, mean, color="#4c72b0")
        ax.fill_between(x, lo, hi, color="#4c72b0", alpha=0.25, lw=0)
        ax.set_xlabel("start position" if table.kind == "position" else "copies")
        ax.set_ylabel("global importance")
    elif table.kind == "spacing":
        for o in dict.fromkeys(c["orientation"]):
            m = c["orientation"] == o
            ax.plot(c["spacing"][m], mean[m], label=o)
            ax.fill_between(c["spacing"][m], lo[m], hi[m], alpha=0.2, lw=0)
        ax.set_xlabel("spacing (bp between the two patterns)")
        ax.set_ylabel("global importance of the pair")
        ax.legend(title="strands", fontsize=7)
    elif table.kind == "interactions":
        names = list(dict.fromkeys(list(c["first"]) + list(c["second"])))
        M = np.full((len(names), len(names)), np.nan)
        for a, b, v in zip(c["first"], c["second"], mean):
            M[names.index(a), names.index(b)] = M[names.index(b), names.index(a)] = v
        lim = np.nanmax(np.abs(M)) if np.isfinite(M).any() else 1.0
        im = ax.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        fig.colorbar(im, ax=ax, label="interaction (joint - singles)")
    else:
        raise ValueError(f"no plot for a table of kind {table.kind!r}")
    fig.tight_layout()
    return fig
