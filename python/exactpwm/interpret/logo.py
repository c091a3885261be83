"""Sequence logos of motifs (PNG or SVG), drawn with matplotlib (extra ``plot``).

Each column is a stack of the letters A, C, G, T, most likely on top. In
``information`` mode (default) the stack is as tall as the column's information
content in bits against the background (at most 2 for DNA against a uniform
background) and each letter's share is its probability; in ``probability`` mode
every stack is 1 tall. Columns are motif positions 5' -> 3' as stored.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from exactpwm.core.matrices import as_background

__all__ = ["draw_logo", "save_logo", "COLORS"]

#: letter colours (A green, C blue, G amber, T red), the usual scheme
COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def _matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("logos need matplotlib: pip install 'exactpwm[plot]'") from None


@functools.cache
def _glyph(letter: str):
    """The letter's outline as a matplotlib Path scaled to the unit square."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), letter, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    v = path.vertices.copy()
    lo, hi = v.min(axis=0), v.max(axis=0)
    v = (v - lo) / (hi - lo)
    return Path(v, path.codes)


def _heights(pwm: np.ndarray, mode: str, background) -> np.ndarray:
    P = np.asarray(pwm, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != 4:
        raise ValueError(f"a logo needs a (4, L) probability matrix, got shape {P.shape}")
    if not np.isfinite(P).all() or (P < 0).any() or np.abs(P.sum(axis=0) - 1).max() > 1e-3:
        raise ValueError("a logo needs probabilities: non-negative columns summing to 1")
    if mode == "probability":
        return P
    if mode != "information":
        raise ValueError(f"mode must be 'information' or 'probability', got {mode!r}")
    bg = as_background(background)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = np.where(P > 0, P * np.log2(P / bg), 0.0).sum(axis=0)
    return P * np.maximum(ic, 0.0)


def draw_logo(pwm, ax=None, *, mode: str = "information", background=None, title: str | None = None):
    """Draw a (4, L) PWM (or a :class:`exactpwm.Motif`) as a logo on matplotlib axes; returns the axes."""
    _matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch
    from matplotlib.transforms import Affine2D

    if hasattr(pwm, "pwm"):
        title = title if title is not None else " ".join(x for x in (pwm.name, pwm.alt_name) if x)
        pwm = pwm.pwm
    H = _heights(pwm, mode, background)
    L = H.shape[1]
    if ax is None:
        ax = Figure(figsize=(max(2.5, 0.42 * L + 0.8), 2.0)).add_subplot()
    for j in range(L):
        y = 0.0
        for b in np.argsort(H[:, j], kind="stable"):  # smallest at the bottom
            h = H[b, j]
            if h <= 1e-4:
                continue
            letter = "ACGT"[b]
            t = Affine2D().scale(0.9, h).translate(j + 0.05 - 0.5, y)
            ax.add_patch(PathPatch(_glyph(letter).transformed(t), facecolor=COLORS[letter], edgecolor="none"))
            y += h
    top = 2.0 if mode == "information" and background is None else (1.0 if mode == "probability" else
                                                                     max(1.0, float(H.sum(axis=0).max())))
    ax.set_xlim(-0.5, L - 0.5)
    ax.set_ylim(0, top)
    ax.set_xticks(range(L))
    ax.set_xticklabels([str(i + 1) for i in range(L)], fontsize=7)
    ax.set_ylabel("bits" if mode == "information" else "probability")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def save_logo(pwm, path, *, mode: str = "information", background=None, title: str | None = None,
              dpi: int = 150) -> str:
    """Write a logo to ``path``; the format (png, svg, pdf) comes from its extension. Returns the path."""
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in ("png", "svg", "pdf"):
        raise ValueError(f"logo file must end in .png, .svg or .pdf, got {os.fspath(path)!r}")
    ax = draw_logo(pwm, mode=mode, background=background, title=title)
    fig = ax.figure
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=dpi, format=ext)
    return os.fspath(path)
