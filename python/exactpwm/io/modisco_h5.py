"""TF-MoDISco results in modisco-lite's HDF5 layout (what ``modisco motifs`` writes and ``modisco
report`` reads), written and read with h5py.

Layout::

    /                        attrs: window_size
    /pos_patterns/pattern_0/ sequence, contrib_scores, hypothetical_contribs: (width, 4) float
                             (PFM, CWM, hypothetical CWM; columns A, C, G, T)
        seqlets/             n_seqlets (1,), start, end, example_idx (n,) int64, is_revcomp (n,) bool,
                             sequence, contrib_scores, hypothetical_contribs (n, width, 4) float32
        subpattern_0/ ...    the same, for each subpattern
    /neg_patterns/...

``start``/``end`` are 0-based half-open on the maps as given (a window partly off its sequence has
``start`` < 0 or ``end`` past the end; those positions are zeros). A pattern here is a plain dict
with the keys above (``name`` being ``pos_patterns/pattern_0`` and so on), so this module needs
nothing from the interpretation layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core._checks import optional_import
from exactpwm.io.files import atomic_output

__all__ = ["write_modisco_h5", "read_modisco_h5", "read_attribution_h5"]

_ARRAYS = ("sequence", "contrib_scores", "hypothetical_contribs")
_SEQLETS = ("start", "end", "example_idx", "is_revcomp", "sequence", "contrib_scores", "hypothetical_contribs")


def write_modisco_h5(path: str, patterns: dict, window_size: int) -> None:
    """Write ``{"pos_patterns": [pattern, ...], "neg_patterns": [...]}`` (each pattern a dict: the
    three (width, 4) arrays, ``seqlets`` a dict of the seqlet arrays, ``subpatterns`` a list of
    patterns) to ``path`` (atomically: a failed write leaves no partial file)."""
    h5py = optional_import("h5py", "modisco", "writing modisco-lite's .h5")
    with atomic_output(path, "w+b") as f:
        with h5py.File(f, "w") as h5:
            h5.attrs["window_size"] = int(window_size)
            for group, items in patterns.items():
                if not items:
                    continue
                g = h5.create_group(group)
                for i, p in enumerate(items):
                    _write_pattern(g.create_group(f"pattern_{i}"), p)


def _write_pattern(g: Any, p: dict) -> None:
    for key in _ARRAYS:
        g.create_dataset(key, data=np.asarray(p[key], np.float64))
    s = g.create_group("seqlets")
    s.create_dataset("n_seqlets", data=np.array([len(p["seqlets"]["start"])], np.int64))
    for key in _SEQLETS:
        s.create_dataset(key, data=np.asarray(p["seqlets"][key]))
    for i, sub in enumerate(p.get("subpatterns", [])):
        _write_pattern(g.create_group(f"subpattern_{i}"), sub)


def read_modisco_h5(path: str) -> list[dict]:
    """Every pattern of a modisco-lite (or ``exactpwm modisco``) ``.h5``, positive then negative, in
    file order: dicts with ``name`` (``pos_patterns/pattern_0``), ``sign`` (+1/-1), the three
    (width, 4) arrays, ``n_seqlets``, ``seqlets`` (what the file holds of them) and ``subpatterns``."""
    h5py = optional_import("h5py", "modisco", "reading modisco-lite's .h5")
    out = []
    with h5py.File(path, "r") as h5:
        for group, sign in (("pos_patterns", 1), ("neg_patterns", -1)):
            if group not in h5:
                continue
            names = sorted(h5[group], key=lambda n: int(n.split("_")[-1]))
            for name in names:
                out.append(_read_pattern(h5[group][name], f"{group}/{name}", sign))
    return out


def _read_pattern(g: Any, name: str, sign: int) -> dict:
    p: dict = {"name": name, "sign": sign}
    for key in _ARRAYS:
        p[key] = np.asarray(g[key][:], np.float64)
    s = g["seqlets"]
    p["n_seqlets"] = int(np.asarray(s["n_seqlets"][:]).ravel()[0])
    p["seqlets"] = {key: np.asarray(s[key][:]) for key in _SEQLETS if key in s}
    subs = sorted((k for k in g if k.startswith("subpattern_")), key=lambda n: int(n.split("_")[-1]))
    p["subpatterns"] = [_read_pattern(g[k], f"{name}/{k}", sign) for k in subs]
    return p


def read_attribution_h5(path: str, window: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(hypothetical contributions (N, 4, W) float32, one-hot (N, 4, W) uint8) from the ``.h5``
    files ``modisco motifs -h`` reads: ``hyp_scores`` and ``input_seqs`` (N, L, 4) each, or
    BPNet / ChromBPNet's ``shap/seq`` and ``raw/seq`` (N, 4, L) each; the central ``window`` bases
    (0: all), read a block of rows at a time. ValueError naming what is missing or wrong."""
    h5py = optional_import("h5py", "modisco", "reading attribution .h5 files")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"not an HDF5 file ({exc})") from None
    with h5:
        if "hyp_scores" in h5 and "input_seqs" in h5:
            hyp_d, seq_d, last = h5["hyp_scores"], h5["input_seqs"], True
        elif "shap" in h5 and "seq" in h5["shap"] and "raw" in h5 and "seq" in h5["raw"]:
            hyp_d, seq_d, last = h5["shap"]["seq"], h5["raw"]["seq"], False
        else:
            raise ValueError("no attributions found: expected hyp_scores and input_seqs (N, L, 4), or shap/seq "
                             "and raw/seq (N, 4, L)")
        if hyp_d.shape != seq_d.shape or len(hyp_d.shape) != 3 or hyp_d.shape[2 if last else 1] != 4:
            raise ValueError(f"attributions {hyp_d.shape} and sequences {seq_d.shape} must be one (N, L, 4) or "
                             "(N, 4, L) shape")
        N = hyp_d.shape[0]
        L = hyp_d.shape[1 if last else 2]
        if window > L:
            raise ValueError(f"the window ({window}) is longer than the maps ({L} bases)")
        a = L // 2 - window // 2 if window else 0
        b = a + window if window else L
        hyp = np.empty((N, 4, b - a), np.float32)
        ohe = np.empty((N, 4, b - a), np.uint8)
        for r in range(0, N, 1024):
            if last:
                h, s = hyp_d[r:r + 1024, a:b, :].transpose(0, 2, 1), seq_d[r:r + 1024, a:b, :].transpose(0, 2, 1)
            else:
                h, s = hyp_d[r:r + 1024, :, a:b], seq_d[r:r + 1024, :, a:b]
            hyp[r:r + 1024] = h
            ohe[r:r + 1024] = s
            if not np.array_equal(ohe[r:r + 1024], s):
                raise ValueError("the sequences hold values other than 0 and 1")
    return hyp, ohe
