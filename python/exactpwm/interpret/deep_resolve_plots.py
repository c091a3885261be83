"""Figures of a :class:`exactpwm.interpret.deep_resolve.DeepResolveResult` as the DeepResolve paper
draws them (needs matplotlib): the FIVs of every start, the IL and the OFIV per channel (Fig. 2),
and the class similarity matrix (Fig. 4b)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["plot_channels", "plot_similarity"]


def plot_channels(result: Any, i: int = 0, kernels: Any = None, top: int = 4) -> Any:
    """Fig. 2 for class index ``i``: a row of circles per start (red positive, blue negative, area
    by the absolute FIV), the IL (grey, area by IL) and the OFIV; stars over non-additive channels. With
    ``kernels`` (K, 4, L) (the layer's first-layer kernels), the PWM logos of the ``top``
    channels by absolute OFIV (exact PWMs of the kernels, base e) are drawn below."""
    from matplotlib.figure import Figure

    fiv, il, ofiv, nonadd = result.fiv[i], result.il[i], result.ofiv[i], result.nonadditive[i]
    T, K = fiv.shape
    logos = [] if kernels is None else list(np.argsort(-np.abs(ofiv), kind="stable")[:top])
    fig = Figure(figsize=(max(6, 0.3 * K), 4 + (1.3 if logos else 0)))
    grid = fig.add_gridspec(2 if logos else 1, max(len(logos), 1), height_ratios=[3, 1] if logos else [1])
    ax = fig.add_subplot(grid[0, :])
    scale = 250 / max(np.abs(fiv).max(), 1e-12)
    for t in range(T):
        ax.scatter(np.arange(K), np.full(K, T - t + 2), s=np.abs(fiv[t]) * scale,
                   c=np.where(fiv[t] >= 0, "#d62728", "#1f77b4"))
    ax.scatter(np.arange(K), np.full(K, 1.5), s=il / max(il.max(), 1e-12) * 250, c="#555555")
    oscale = 250 / max(np.abs(ofiv).max(), 1e-12)
    ax.scatter(np.arange(K), np.zeros(K), s=np.abs(ofiv) * oscale, c=np.where(ofiv >= 0, "#d62728", "#1f77b4"))
    ax.scatter(np.flatnonzero(nonadd), np.full(int(nonadd.sum()), -0.9), marker="*", c="k", s=40)
    ax.set_yticks([0, 1.5] + [T - t + 2 for t in range(T)], ["OFIV", "IL"] + [f"start {t}" for t in range(T)],
                  fontsize=6)
    ax.set_xticks(np.arange(K), [str(k) for k in range(K)], fontsize=6)
    ax.set_xlabel(f"channel of {result.layer} (* non-additive; {result.components[i]} Gaussian component(s) by BIC)")
    ax.set_title(f"DeepResolve, class {result.classes[i]}")
    if logos:
        from exactpwm.core.transform import kernel_to_pwm
        from exactpwm.interpret.logo import draw_logo

        W = np.asarray(kernels, np.float64)
        for j, k in enumerate(logos):
            la = fig.add_subplot(grid[1, j])
            draw_logo(kernel_to_pwm(W[k])[0], ax=la, title=f"channel {k}")
    fig.tight_layout()
    return fig


def plot_similarity(result: Any, names: Sequence[str] | None = None) -> Any:
    """The class similarity matrix (Pearson correlation of non-negative OFIVs) as a heat map."""
    from matplotlib.figure import Figure

    A = result.similarity()
    labels = list(names) if names is not None else [str(c) for c in result.classes]
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    im = ax.imshow(A, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    for a in range(len(A)):
        for b in range(len(A)):
            if np.isfinite(A[a, b]):
                ax.text(b, a, f"{A[a, b]:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, label="class similarity")
    fig.tight_layout()
    return fig
