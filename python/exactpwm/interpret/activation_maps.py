"""Maps read from a model's own activations: class activation maps (CAM) for models that pool
globally, and the attention weights of models that attend.

* :func:`class_activation_map`: for ``f = head(mean over positions of h)``, each position's share
  ``cam[l] = sum_c h[c, l] * df/dh[c, l]``. With a linear head (the CAM setting) the shares sum to
  ``f - head(0)`` exactly (checked); after a nonlinear head this is Grad-CAM and the notes say so.
* :func:`attention_maps`: the output of every softmax whose result weighs positions (a trailing
  ``(..., L, L)`` pair of axes over the sequence), per sequence.

Both read the ``torch.fx`` graph; a model without a global average pool (or without attention) is
refused by name. Conventions: one-hot ``(N, 4, L)`` input, A, C, G, T rows, N an all-zero column.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core.errors import AttributionError

__all__ = ["attention_maps", "class_activation_map"]

_POOLS = {"mean", "adaptive_avg_pool1d", "AdaptiveAvgPool1d"}


def _trace(model: Any) -> tuple[Any, dict]:
    import torch
    import torch.fx

    try:
        gm = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - an untraceable module
        raise AttributionError(f"torch.fx cannot trace this {type(model).__name__} ({type(exc).__name__}): its "
                               "activations cannot be read") from None
    return gm, dict(gm.named_modules())


def _run_recording(gm: Any, x: Any, wanted: set) -> tuple[Any, dict]:
    """The output, and the value of each node in ``wanted`` (made to require gradients)."""
    import torch
    import torch.fx

    seen: dict = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n: Any) -> Any:
            out = super().run_node(n)
            if n in wanted and isinstance(out, torch.Tensor):
                if out.is_floating_point() and not out.requires_grad:
                    out = out.detach().requires_grad_(True)
                seen[n] = out
            return out

    return Recorder(gm).run(x), seen


def class_activation_map(model: Any, x: np.ndarray, target: int, dtype: Any) -> tuple[np.ndarray, np.ndarray,
                                                                                       np.ndarray, list[str]]:
    """(cam (N, L) float64 on input positions, f (N,), f at an all-zero feature map (N,), notes) for
    the model's last global average pool over the length."""
    import torch

    from exactpwm.interpret.deeplift import node_call

    gm, modules = _trace(model)
    pools = []
    for node in gm.graph.nodes:
        if not node.op.startswith("call_"):
            continue
        name, _ = node_call(node, modules)
        if name in _POOLS and node.all_input_nodes and _over_length(node, name):
            pools.append(node.all_input_nodes[0])
    if not pools:
        raise AttributionError("class activation maps need a global average pool over positions (mean over the last "
                               "axis, or adaptive average pooling); this model has none: use another method")
    feature = pools[-1]
    xt = torch.from_numpy(x).to(dtype)
    out, seen = _run_recording(gm, xt, {feature})
    if feature not in seen or seen[feature].ndim != 3:
        raise AttributionError(f"the pooled tensor {feature.name} is not (B, C, L): no map over positions")
    h = seen[feature]
    f = out.reshape(out.shape[0], -1)
    if target >= f.shape[1]:
        raise ValueError(f"target {target} is not an output of this model: it has {f.shape[1]} outputs per sequence")
    (g,) = torch.autograd.grad(f[:, target].sum(), h)
    cam = (h * g).sum(dim=1).detach().double().numpy()  # (N, L')
    with torch.no_grad():  # the head alone, on an all-zero feature map: what the positions share out
        zero_env = {feature: torch.zeros_like(h)}
        f0 = torch.fx.Interpreter(gm).run(xt, initial_env=zero_env).reshape(len(x), -1)[:, target]
    notes = [f"cam: the feature map {feature.name} ({h.shape[1]} channels x {h.shape[2]} positions) times the "
             "output's gradient there, summed over channels"]
    L, Lf = x.shape[2], cam.shape[1]
    if Lf != L:  # each feature position spread evenly over the L / Lf bases it stands for (sums kept)
        cum = np.concatenate([np.zeros((len(cam), 1)), np.cumsum(cam, axis=1)], axis=1)  # at feature edges
        edges = np.arange(L + 1) * Lf / L
        at = np.stack([np.interp(edges, np.arange(Lf + 1), c) for c in cum])
        cam = np.diff(at, axis=1)
        notes.append(f"cam: {Lf} feature positions spread evenly over {L} bases")
    return cam, f[:, target].detach().double().numpy(), f0.double().numpy(), notes


def _over_length(node: Any, name: str) -> bool:
    """A mean over the last axis of a (B, C, L) tensor, or adaptive average pooling (to 1)."""
    if name != "mean":
        return True
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    if isinstance(dim, (list, tuple)) and len(dim) == 1:
        dim = dim[0]
    return dim in (-1, 2)


def attention_maps(model: Any, sequences: Any) -> dict[str, np.ndarray]:
    """{softmax node: (N, ..., L', L') attention weights} for each softmax over positions.

    sequences : equal-length str, (N, L) codes or one-hot (N, 4, L); the model takes (N, 4, L).
    """
    import torch

    from exactpwm.core.sequence import one_hot_rows
    from exactpwm.interpret.deeplift import node_call

    gm, modules = _trace(model)
    soft = {n for n in gm.graph.nodes
            if n.op.startswith("call_") and node_call(n, modules)[0] in ("softmax", "Softmax")}
    if not soft:
        raise AttributionError("this model has no softmax, so no attention weights to read")
    param = next(iter(model.parameters()), None)
    x = torch.from_numpy(one_hot_rows(sequences)).to(param.dtype if param is not None else torch.float32)
    with torch.no_grad():
        _, seen = _run_recording(gm, x, soft)
    maps = {n.name: v.detach().double().numpy() for n, v in seen.items()
            if v.ndim >= 3 and v.shape[-1] == v.shape[-2]}
    if not maps:
        raise AttributionError("no softmax of this model weighs positions against positions (..., L, L)")
    return maps
