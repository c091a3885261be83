"""DeepResolve (Liu et al. 2019): what each channel of an intermediate layer does for each class,
from gradient ascent on that layer's feature maps, with no input data.

For class c, the layer's output is replaced by a free tensor H (K channels x W positions) and
``S_c(H) - lam ||H||^2`` is maximised from T seeded random starts
(:func:`exactpwm.interpret.gradient_ascent.ascend`). Then:

* FIM: the optimised H of each start, (T, K, W); FIV: its mean over positions, (T, K);
* each start is weighted by its class score, offset so the lowest weight is 0 (uniform when all
  scores are equal);
* IL (inconsistency level): each channel's weighted variance of its FIV over the starts;
* Gaussian mixtures of 1, 2 and 3 components are fitted to the K IL values and the one of lowest
  BIC is kept: channels in the component of lowest mean are *additive* (or unimportant), the
  others *non-additive* (their contribution depends on other channels, as in XOR logic);
* OFIV: the weighted mean of a channel's FIVs; for a non-additive channel whose FIV changes sign
  across the starts, the weighted mean of its positive FIVs only;
* class similarity: the Pearson correlation of the classes' non-negative OFIVs; class difference:
  OFIV_i - OFIV_j.

Works for any PyTorch module and any named submodule whose output is (B, K, W) or (B, K); the
model should return logits (before a sigmoid or softmax), one per class.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number
from exactpwm.interpret.gradient_ascent import ascend, evaluating, find_module, model_outputs

__all__ = ["DeepResolveResult", "deep_resolve", "gaussian_mixture_bic"]


def gaussian_mixture_bic(x: Any, max_components: int = 3, *, reg_covar: float = 1e-6,
                         iterations: int = 200) -> tuple[int, np.ndarray, np.ndarray]:
    """Fit 1-d Gaussian mixtures of 1..``max_components`` components to ``x`` (n,) by EM
    (initialised deterministically at quantiles) and keep the one of lowest BIC. ``reg_covar``
    is added to every variance, as scikit-learn's ``GaussianMixture`` does by default, so that a
    tight group of near-zero values does not count as a component of its own.

    Returns (components, labels (n,) int with 0 the component of lowest mean, bic
    (max_components,) float64, inf where a mixture could not be fitted).
    """
    x = np.asarray(x, np.float64).reshape(-1)
    n = x.size
    bic = np.full(max_components, np.inf)
    fits: dict = {}
    spread = float(x.var()) if n > 1 else 0.0
    floor = max(float(reg_covar), spread * 1e-9, 1e-300)
    for k in range(1, max_components + 1):
        if n < 2 * k or (k > 1 and spread == 0.0):
            continue
        mu = np.quantile(x, (np.arange(k) + 0.5) / k)
        var = np.full(k, spread / k + floor)
        pi = np.full(k, 1.0 / k)
        ll_old = -np.inf
        for _ in range(iterations):
            logp = -0.5 * ((x[:, None] - mu[None]) ** 2 / var[None] + np.log(2 * np.pi * var[None])) + np.log(pi[None])
            top = logp.max(axis=1, keepdims=True)
            lse = top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))
            resp = np.exp(logp - lse[:, None])
            ll = float(lse.sum())
            nk = resp.sum(axis=0) + 1e-12
            pi = nk / n
            mu = (resp * x[:, None]).sum(axis=0) / nk
            var = (resp * (x[:, None] - mu[None]) ** 2).sum(axis=0) / nk + floor
            if abs(ll - ll_old) <= 1e-10 * max(1.0, abs(ll)):
                break
            ll_old = ll
        bic[k - 1] = -2 * ll + (3 * k - 1) * math.log(n)
        order = np.argsort(mu)
        labels = np.argsort(order)[resp.argmax(axis=1)]
        fits[k] = labels
    if not fits:
        return 1, np.zeros(n, np.int64), bic
    best = int(np.argmin(bic)) + 1
    return best, fits[best].astype(np.int64), bic


@dataclass
class DeepResolveResult:
    """DeepResolve for C classes, T starts and K channels of one layer.

    Attributes
    ----------
    layer : the layer's name
    classes : (C,) the output indices
    fim : (C, T, K, W) float64 feature importance maps (W = 1 for a (B, K) layer)
    fiv : (C, T, K) feature importance vectors (the maps' mean over positions)
    scores : (C, T) each start's class score S_c at its optimum
    weights : (C, T) the starts' weights (scores offset to start at 0, summing to 1)
    il : (C, K) inconsistency levels (weighted variance of the FIVs)
    components : (C,) Gaussian components chosen by BIC
    bic : (C, 3) the BIC of 1, 2 and 3 components
    nonadditive : (C, K) bool
    ofiv : (C, K) overall feature importance vectors
    """

    layer: str
    classes: np.ndarray
    fim: np.ndarray
    fiv: np.ndarray
    scores: np.ndarray
    weights: np.ndarray
    il: np.ndarray
    components: np.ndarray
    bic: np.ndarray
    nonadditive: np.ndarray
    ofiv: np.ndarray

    def similarity(self) -> np.ndarray:
        """(C, C) the class similarity matrix: Pearson correlation of the non-negative OFIVs
        (NaN for a class whose non-negative OFIV is constant)."""
        P = np.clip(self.ofiv, 0, None)
        Z = P - P.mean(axis=1, keepdims=True)
        norm = np.sqrt((Z ** 2).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            return (Z @ Z.T) / np.outer(norm, norm)

    def difference(self, i: int, j: int) -> np.ndarray:
        """(K,) the class difference map OFIV_i - OFIV_j (i and j index ``classes``)."""
        return self.ofiv[i] - self.ofiv[j]

    def top_channels(self, i: int, n: int = 5) -> np.ndarray:
        """The ``n`` channels of largest OFIV for class index ``i``."""
        return np.argsort(-self.ofiv[i], kind="stable")[:n]

    def to_pandas(self) -> Any:
        """One row per class and channel: class, channel, ofiv, il, nonadditive (needs pandas)."""
        import pandas as pd

        C, K = self.ofiv.shape
        return pd.DataFrame({"class": np.repeat(self.classes, K), "channel": np.tile(np.arange(K), C),
                             "ofiv": self.ofiv.reshape(-1), "il": self.il.reshape(-1),
                             "nonadditive": self.nonadditive.reshape(-1)})

    def plot(self, i: int = 0, kernels: Any = None, top: int = 4) -> Any:
        """The paper's Fig. 2 for class index ``i``: every start's FIV (red positive, blue
        negative, area by magnitude), the IL and the OFIV per channel, non-additive channels
        starred; with ``kernels`` (K, 4, L), the PWM logos of the ``top`` channels by absolute OFIV."""
        from exactpwm.interpret.deep_resolve_plots import plot_channels

        return plot_channels(self, i, kernels=kernels, top=top)

    def plot_similarity(self, names: Sequence[str] | None = None) -> Any:
        """The class similarity matrix as a heat map (the paper's Fig. 4b)."""
        from exactpwm.interpret.deep_resolve_plots import plot_similarity

        return plot_similarity(self, names)


def layer_shape(model: Any, layer: str, length: int, dtype: Any) -> tuple:
    """The shape (K, W) or (K,) of ``layer``'s output for one input of ``length`` bp."""
    import torch

    module = find_module(model, layer)
    seen: list = []
    handle = module.register_forward_hook(lambda m, i, o: seen.append(o))
    try:
        with torch.no_grad():
            model(torch.zeros((1, 4, length), dtype=dtype))
    finally:
        handle.remove()
    if not seen:
        raise ValueError(f"layer {layer!r} is not run by the model's forward")
    out = seen[0]
    if not isinstance(out, torch.Tensor) or out.ndim not in (2, 3):
        what = type(out).__name__ if not isinstance(out, torch.Tensor) else f"a tensor of shape {tuple(out.shape)}"
        raise ValueError(f"layer {layer!r} returns {what}; DeepResolve needs (B, channels, positions) or "
                         "(B, channels)")
    return tuple(out.shape[1:])


def layer_scores(model: Any, layer: str, length: int, output: int, dtype: Any) -> Any:
    """A function H (T, *layer shape) -> (T,) the model's output ``output`` with ``layer``'s
    output replaced by H."""
    import torch

    module = find_module(model, layer)

    def score(H: Any) -> Any:
        handle = module.register_forward_hook(lambda m, i, o: H)
        try:
            out = model(torch.zeros((len(H), 4, length), dtype=dtype))
        finally:
            handle.remove()
        return out.reshape(len(H), -1)[:, output]
    return score


def deep_resolve(model: Any, layer: str, length: int, *, classes: Sequence[int] | None = None, starts: int = 10,
                 steps: int = 300, lam: float = 1.0, lr: float = 0.1, seed: int = 0) -> DeepResolveResult:
    """DeepResolve on ``layer`` of ``model`` for each class (see the module's notes).

    Parameters
    ----------
    model : torch.nn.Module taking one-hot (B, 4, ``length``) input and returning (B, classes)
        logits
    layer : a submodule's name as ``model.named_modules()`` gives it (e.g. the pooling after the
        first convolution); its output must be (B, K, W) or (B, K)
    classes : output indices (default all)
    starts : T, random starts per class; steps, lr : Adam's steps and learning rate
    lam : the L2 weight; pick it so the FIMs' norm is near the layer's activations on real input
    seed : seeds the starts (class c uses ``seed + c``)
    """
    length = int(check_number(length, "length", low=1, integer=True))
    with evaluating(model) as dtype:
        shape = layer_shape(model, layer, length, dtype)
        n_out = model_outputs(model, length, dtype)
        classes = list(range(n_out)) if classes is None else [int(c) for c in classes]
        for c in classes:
            if not 0 <= c < n_out:
                raise ValueError(f"class {c} does not exist: the model has {n_out} outputs")
        fims, scores = [], []
        for c in classes:
            res = ascend(layer_scores(model, layer, length, c, dtype), shape, starts=starts, steps=steps, lam=lam,
                         lr=lr, seed=seed + c, dtype=dtype)
            fims.append(res.values if len(shape) == 2 else res.values[..., None])
            scores.append(res.scores)
    fim = np.stack(fims)  # (C, T, K, W)
    fiv = fim.mean(axis=-1)
    S = np.stack(scores)
    w = S - S.min(axis=1, keepdims=True)
    w = np.where(w.sum(axis=1, keepdims=True) > 0, w, 1.0)
    w = w / w.sum(axis=1, keepdims=True)
    mean = (w[..., None] * fiv).sum(axis=1)  # (C, K)
    il = (w[..., None] * (fiv - mean[:, None]) ** 2).sum(axis=1)
    C, K = mean.shape
    comps = np.empty(C, np.int64)
    bic = np.empty((C, 3))
    nonadd = np.zeros((C, K), bool)
    ofiv = mean.copy()
    for i in range(C):
        comps[i], labels, bic[i] = gaussian_mixture_bic(il[i], 3)
        nonadd[i] = labels > 0
        for k in np.flatnonzero(nonadd[i]):
            v = fiv[i, :, k]
            if (v > 0).any() and (v < 0).any():
                pos = v > 0
                ofiv[i, k] = float((w[i, pos] * v[pos]).sum() / max(w[i, pos].sum(), 1e-300))
    return DeepResolveResult(layer, np.asarray(classes), fim, fiv, S, w, il, comps, bic, nonadd, ofiv)
