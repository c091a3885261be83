"""Attribution maps read per motif hit: which motif, where, its exact p-value, and its share of the
output ("this CTCF site, p = 3e-7, contributes 41%").

The hits are found by exactpwm's scanner; when the motifs are the model's own first layer
(:class:`exactpwm.interpret.pwm_layer.PWMConv1d`, from
:func:`exactpwm.interpret.pwm_layer.pwm_equivalent`), each kernel is scanned as the
score matrix it is, so a hit's score is exactly the layer's pre-activation at that window and its
p-value is the probability of that pre-activation or more under the background.

Conventions: 0-based half-open ``[start, end)`` on the attributed sequences, strand "+" or "-";
``contribution`` is the sum of the map over the hit's window (all four letters: the actual
contributions); ``share`` divides it by the sequence's output change ``f(x) - mean f(reference)``
where the method has one (DeepLIFT, DeepSHAP, integrated gradients), else by the sum of the map.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core._checks import optional_import
from exactpwm.core.errors import InputTypeError
from exactpwm.core.types import Strand

__all__ = ["hit_contributions"]


def hit_contributions(result: Any, motifs: Any, *, pvalue: float = 1e-4, names: list[str] | None = None,
                      strand: Strand = "both", threads: int = 0) -> Any:
    """One row per motif hit in the attributed sequences, with its contribution.

    Parameters
    ----------
    result : an :class:`exactpwm.interpret.attribution.Attributions`
        The maps, (N, 4, L), and their sequences.
    motifs : a :class:`exactpwm.interpret.pwm_layer.PWMConv1d` (the model's first layer: its kernels scanned as score
        matrices, so scores are its pre-activations), a MotifSet, or (K, 4, W) PWMs
    pvalue : hits have a p-value at or below this (exact, under a uniform background)
    names : motif names (default: the MotifSet's, else ``kernel0``, ``kernel1``, ...)
    strand : "both", "+" or "-"

    Returns
    -------
    pandas.DataFrame
        One row per hit: ``sequence`` (index into the maps), ``motif``, ``start``, ``end``,
        ``strand``, ``score``, ``pvalue``, ``contribution``, ``share``; sorted by sequence, then by
        the contribution's size, largest first.
    """
    pd = optional_import("pandas", "tables", "hit_contributions")
    from exactpwm.core.motif import MotifSet
    from exactpwm.scanning.scan import scan

    x = result.inputs
    codes = np.where(x.sum(axis=1) > 0, x.argmax(axis=1), 4).astype(np.uint8)  # (N, L)
    kw: dict = {}
    if type(motifs).__name__ == "PWMConv1d":
        if motifs.stride != 1 or motifs.padding not in (0, "valid") or motifs.dilation != 1:
            raise ValueError("hit_contributions reads plain layers (stride 1, no padding, no dilation), whose "
                             "windows are the scanner's")
        matrices = (motifs.log_pwms.double() / motifs.log_base.double()
                    + motifs.lam.double()[:, None, :]).cpu().numpy()
        kw = {"mode": "matrix"}
        bias = motifs.bias.double().cpu().numpy()
        names = names or [f"kernel{k}" for k in range(matrices.shape[0])]
    elif isinstance(motifs, MotifSet):
        matrices, bias = motifs, None
    elif isinstance(motifs, np.ndarray) and motifs.ndim == 3 and motifs.shape[1] == 4:
        matrices, bias = motifs, None
    else:
        raise InputTypeError(f"motifs must be a PWMConv1d, a MotifSet or (K, 4, W) PWMs, got {type(motifs).__name__}")
    hits = scan(matrices, {str(i): c for i, c in enumerate(codes)}, pvalue=pvalue, names=names, strand=strand,
                threads=threads, **kw).to_pandas()
    per_base = result.attributions.sum(axis=1)  # (N, L)
    cum = np.concatenate([np.zeros((len(per_base), 1)), np.cumsum(per_base, axis=1)], axis=1)
    if result.reference_outputs is not None:
        total = result.outputs - result.reference_outputs
    else:
        total = per_base.sum(axis=1)
    seq = hits["sequence"].astype(int).to_numpy()
    start, end = hits["start"].to_numpy(), hits["end"].to_numpy()
    contribution = cum[seq, end] - cum[seq, start]
    score = hits["score"].to_numpy()
    if bias is not None:  # the layer's pre-activation: the window's kernel score plus the bias
        index = {n: i for i, n in enumerate(names or [])}
        score = score + bias[hits["motif"].map(index).to_numpy()]
    out = pd.DataFrame({"sequence": seq, "motif": hits["motif"].to_numpy(), "start": start, "end": end,
                        "strand": hits["strand"].to_numpy(), "score": score, "pvalue": hits["pvalue"].to_numpy(),
                        "contribution": contribution,
                        "share": contribution / np.where(total[seq] != 0, total[seq], np.nan)})
    order = np.lexsort((-np.abs(contribution), seq))
    return out.iloc[order].reset_index(drop=True)
