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
from exactpwm.io.files import atomic_output

__all__ = ["draw_logo", "save_logo", "save_alignment_logo", "COLORS"]

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
    if mode == "weights":
        if not np.isfinite(P).all():
            raise ValueError("a weights logo needs finite values")
        return P
    if not np.isfinite(P).all() or (P < 0).any() or np.abs(P.sum(axis=0) - 1).max() > 1e-3:
        raise ValueError("a logo needs probabilities: non-negative columns summing to 1")
    if mode == "probability":
        return P
    if mode != "information":
        raise ValueError(f"mode must be 'information', 'probability' or 'weights', got {mode!r}")
    bg = as_background(background)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = np.where(P > 0, P * np.log2(P / bg), 0.0).sum(axis=0)
    return P * np.maximum(ic, 0.0)


def draw_logo(pwm, ax=None, *, mode: str = "information", background=None, title: str | None = None,
              start: int = 0, span: tuple[int, int] | None = None):
    """Draw a (4, L) PWM (or a :class:`exactpwm.Motif`) as a logo on matplotlib axes; returns the axes.

    The information axis is fixed for a background (2 bits for a uniform one), whatever the motif,
    so a flat PWM looks flat. ``mode="weights"`` draws any (4, L) array as it is (a contribution-weight
    matrix: positive letters stacked above the axis, negative ones below). ``start`` places the
    first column at that x; ``span`` (first, end)
    sets the x range (default the motif's own).
    """
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
    tiny = 1e-4 * max(float(np.abs(H).max()), 1e-12) if mode == "weights" else 1e-4
    for j in range(L):
        up, down = 0.0, 0.0
        for b in np.argsort(np.abs(H[:, j]), kind="stable"):  # smallest nearest the axis
            h = H[b, j]
            if abs(h) <= tiny:
                continue
            letter = "ACGT"[b]
            y = up if h > 0 else down + h
            t = Affine2D().scale(0.9, abs(h)).translate(start + j + 0.05 - 0.5, y)
            ax.add_patch(PathPatch(_glyph(letter).transformed(t), facecolor=COLORS[letter], edgecolor="none"))
            if h > 0:
                up += h
            else:
                down += h
    if mode == "weights":
        pos = np.clip(H, 0, None).sum(axis=0).max()
        neg = np.clip(H, None, 0).sum(axis=0).min()
        top = float(pos) * 1.05 if pos > 0 else 0.0
        ax.axhline(0, color="#888888", lw=0.5)
    elif mode == "probability":
        top = 1.0
    else:  # the most information any column can hold against this background
        bg = np.full(4, 0.25) if background is None else np.asarray(background, np.float64)
        top = float(np.log2(1.0 / bg.min()))
    first, end = span if span is not None else (start, start + L)
    ax.set_xlim(first - 0.5, end - 0.5)
    if mode == "weights":
        bottom = float(neg) * 1.05 if neg < 0 else 0.0
        ax.set_ylim(bottom, top if top > bottom else bottom + 1e-12)
    else:
        ax.set_ylim(0, top)
    ax.set_xticks(range(start, start + L))
    ax.set_xticklabels([str(i + 1) for i in range(L)], fontsize=7)
    ax.set_ylabel({"information": "bits", "probability": "probability", "weights": "contribution"}[mode])
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
    with atomic_output(path, "wb") as f:
        fig.savefig(f, dpi=dpi, format=ext)
    return os.fspath(path)


def save_alignment_logo(query, target, offset: int, strand: str, path, *, mode: str = "information",
                        background=None, dpi: int = 150) -> str:
    """Query over target, aligned as a motif comparison reports it (Tomtom's ``Optimal_offset``:
    query column i faces target column i + offset; the target reverse-complemented for '-').

    query, target : :class:`exactpwm.Motif` or (4, L) probabilities. The format (png, svg, pdf)
    comes from the extension. Returns the path.
    """
    from matplotlib.figure import Figure

    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in ("png", "svg", "pdf"):
        raise ValueError(f"logo file must end in .png, .svg or .pdf, got {os.fspath(path)!r}")
    if strand not in ("+", "-"):
        raise ValueError(f"strand must be '+' or '-', got {strand!r}")
    qp = query.pwm if hasattr(query, "pwm") else np.asarray(query, np.float64)
    tp = target.pwm if hasattr(target, "pwm") else np.asarray(target, np.float64)
    if strand == "-":
        tp = tp[::-1, ::-1]
    name = lambda m, d: " ".join(x for x in (getattr(m, "name", d), getattr(m, "alt_name", "")) if x)  # noqa: E731
    t0 = -int(offset)  # x of the target's first column, in query coordinates
    span = (min(0, t0), max(qp.shape[1], t0 + tp.shape[1]))
    fig = Figure(figsize=(max(3.0, 0.42 * (span[1] - span[0]) + 1.0), 3.8))
    top, bottom = fig.subplots(2, 1, sharex=False)
    draw_logo(qp, top, mode=mode, background=background, title=f"query {name(query, '')}", start=0, span=span)
    draw_logo(tp, bottom, mode=mode, background=background, start=t0, span=span,
              title=f"target {name(target, '')} ({'reverse complement' if strand == '-' else 'forward'})")
    fig.tight_layout()
    with atomic_output(path, "wb") as f:
        fig.savefig(f, dpi=dpi, format=ext)
    return os.fspath(path)
