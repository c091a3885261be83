"""DeepLIFT's RevealCancel rule (Shrikumar et al. 2017), read from the model's graph.

Every input-dependent value is carried as its reference value ``r`` and the positive and negative
parts of its change, ``d+ >= 0`` and ``d- <= 0`` (the value is ``r + d+ + d-``):

* at the input, ``d+`` and ``d-`` are the positive and negative entries of ``x - r``;
* a convolution or linear layer sends ``d+`` through the positive weights and ``d-`` through the
  negative ones into the new ``d+`` (and the other way into ``d-``); eval-mode batch norm and
  products with a constant split their factor the same way; sums, means, average pooling, adds,
  subtractions, reshapes, flips, concatenations and slices act on each part;
* an elementwise nonlinearity ``f`` gets RevealCancel: ``d+_out = (f(r + d+) - f(r) + f(r + d+ + d-)
  - f(r + d-)) / 2`` and ``d-_out`` likewise, each passed back by its own multiplier (``d+_out /
  d+``), so a positive and a negative change that cancel each other are both revealed.

The parts sum to ``f(x) - f(r)`` at every step, so additivity holds as with the rescale rule and is
checked the same way. An op with no RevealCancel rule (max pooling, softmax, products of two
input-dependent tensors, ...) is refused by name; the rescale rule (``rule="rescale"``) covers them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.interpret.deeplift import NONLINEAR, UnsupportedOp, check_graph, describe_op, fetch_attr, node_call

__all__ = ["revealcancel_multipliers"]

_EACH_PART = {"flatten", "reshape", "view", "permute", "transpose", "contiguous", "squeeze", "unsqueeze", "getitem",
              "mean", "sum", "avg_pool1d", "adaptive_avg_pool1d", "dropout", "flip", "clone", "to", "float",
              "double", "type_as", "expand", "repeat", "_unsafe_view", "alias", "swapaxes", "movedim", "narrow",
              "roll", "pad", "constant_pad_nd", "Flatten", "Unflatten", "Dropout", "Identity", "AvgPool1d",
              "AdaptiveAvgPool1d", "ConstantPad1d", "ZeroPad1d", "Sequential", "detach", "slice", "select"}
_JOIN = {"cat", "stack"}
_SPLIT = {"chunk", "split", "unbind"}


class _Parts:
    __slots__ = ("r", "pos", "neg")

    def __init__(self, r: Any, pos: Any, neg: Any):
        self.r, self.pos, self.neg = r, pos, neg


def revealcancel_multipliers(model: Any, x: np.ndarray, refs: np.ndarray, target: int, dtype: Any,
                             layout: str = "NCL", traced: Any = None
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(multipliers of the positive changes (P, 4, L), of the negative ones (P, 4, L), f(x) (P,),
    f(r) (P,)), float64, for each (sequence, reference) pair row by row; ``traced``: the graph from
    :func:`exactpwm.interpret.deeplift.check_graph`, when the caller has it."""
    import torch

    if traced is None:
        traced, _ = check_graph(model)
    xs = torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(dtype)
    rs = torch.from_numpy(np.ascontiguousarray(refs, np.float32)).to(dtype)
    pos = (xs - rs).clamp(min=0).requires_grad_(True)
    neg = (xs - rs).clamp(max=0).requires_grad_(True)
    if layout != "NCL":
        out = _run(traced, _Parts(rs.transpose(1, 2), pos.transpose(1, 2), neg.transpose(1, 2)))
    else:
        out = _run(traced, _Parts(rs, pos, neg))
    r = out.r.reshape(out.r.shape[0], -1)
    change = (out.pos + out.neg).reshape(r.shape[0], -1)
    if target >= r.shape[1]:
        raise ValueError(f"target {target} is not an output of this model: it has {r.shape[1]} outputs per sequence")
    with torch.no_grad():  # the parts must rebuild the model's own output, or a rule is missing
        real = model(xs if layout == "NCL" else xs.transpose(1, 2)).reshape(r.shape[0], -1)[:, target]
    rebuilt = (r + change)[:, target].detach()
    scale = 1e-9 if dtype == torch.float64 else 1e-4
    if not torch.allclose(rebuilt, real, rtol=scale, atol=scale * (1 + float(real.abs().max()))):
        raise UnsupportedOp("the RevealCancel pass does not rebuild the model's output (an op without a rule it "
                            "could see); use rule='rescale'")
    gp, gn = torch.autograd.grad(change[:, target].sum(), (pos, neg), allow_unused=True)
    gp = torch.zeros_like(pos) if gp is None else gp
    gn = torch.zeros_like(neg) if gn is None else gn
    f_r = r[:, target].detach().double()
    return (gp.detach().double().numpy(), gn.detach().double().numpy(),
            (f_r + change[:, target].detach().double()).numpy(), f_r.numpy())


def _split(w: Any) -> tuple[Any, Any]:
    return w.clamp(min=0), w.clamp(max=0)


def _run(traced: Any, start: _Parts) -> _Parts:
    import torch
    import torch.fx
    import torch.nn.functional as F

    modules = dict(traced.named_modules())
    env: dict = {}
    result = None
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            env[node] = start
            continue
        if node.op == "get_attr":
            env[node] = fetch_attr(traced, node.target)
            continue
        if node.op == "output":
            result = node.args[0]
            break
        parts = [a for a in node.all_input_nodes if isinstance(env[a], _Parts)]
        name, fn = node_call(node, modules)
        module: Any = fn if node.op == "call_module" else None

        def side(k: str) -> Any:
            return lambda n: getattr(env[n], k) if isinstance(env[n], _Parts) else env[n]

        args = {k: torch.fx.node.map_arg(node.args, side(k)) for k in ("r", "pos", "neg")}
        kwargs = {k: torch.fx.node.map_arg(node.kwargs, side(k)) for k in ("r", "pos", "neg")}
        if not parts:
            env[node] = fn(*args["r"], **kwargs["r"])
            continue
        with torch.no_grad():
            r_out = fn(*args["r"], **kwargs["r"])
        if not isinstance(r_out, torch.Tensor) and name not in _SPLIT:
            if r_out is None or isinstance(r_out, (int, torch.Size)) or (
                    isinstance(r_out, tuple) and all(isinstance(v, int) for v in r_out)):
                env[node] = r_out  # sizes and checks: no change flows
                continue
            raise UnsupportedOp(f"{describe_op(node, modules)} returns {type(r_out).__name__}: no RevealCancel rule "
                                "reads it; use rule='rescale'")
        if name in NONLINEAR:
            rest, kw = args["r"][1:], kwargs["r"]
            env[node] = _reveal_cancel(lambda t, f=fn, a=rest, k=kw: f(t, *a, **k), env[node.all_input_nodes[0]],
                                       r_out)
            continue
        if name in ("Conv1d", "Linear", "conv1d", "linear", "convolution"):
            env[node] = _weighted(node, name, module, env, r_out, F)
            continue
        if name in ("BatchNorm1d", "BatchNorm2d") and module is not None and not module.training:
            scale = module.weight / torch.sqrt(module.running_var + module.eps)
            shape = (1, -1) + (1,) * (env[parts[0]].r.ndim - 2)
            env[node] = _scaled(env[parts[0]], scale.reshape(shape), r_out)
            continue
        if name in _EACH_PART or name in _JOIN or name in _SPLIT:
            pos = fn(*args["pos"], **kwargs["pos"])
            neg = fn(*args["neg"], **kwargs["neg"])
            if name in ("pad", "constant_pad_nd", "ConstantPad1d") and _pad_value(node) != 0:
                raise UnsupportedOp(f"{describe_op(node, modules)}: padding with a nonzero value has no RevealCancel "
                                    "rule; use rule='rescale'")
            env[node] = tuple(_Parts(*t) for t in zip(r_out, pos, neg)) if name in _SPLIT else _Parts(r_out, pos, neg)
            continue
        if name in ("add", "iadd", "sub", "isub", "neg", "mul", "imul", "truediv", "div"):
            env[node] = _arith(name, node, env, r_out, modules)
            continue
        raise UnsupportedOp(f"{describe_op(node, modules)} has no RevealCancel rule; use rule='rescale' (which gives "
                            "every op a rule)")
    out = torch.fx.node.map_arg(result, lambda n: env[n])
    while isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, _Parts):
        raise ValueError("the model's output does not depend on its input")
    return out


def _pad_value(node: Any) -> float:
    v = node.kwargs.get("value", node.args[2] if len(node.args) > 2 else 0)
    return float(v or 0)


def _reveal_cancel(f: Any, inp: _Parts, r_out: Any) -> _Parts:
    import torch

    r, a, b = inp.r, inp.pos, inp.neg
    with torch.no_grad():
        fa, fb, fab = f(r + a), f(r + b), f(r + a + b)
        up = 0.5 * (fa - r_out) + 0.5 * (fab - fb)
        down = 0.5 * (fb - r_out) + 0.5 * (fab - fa)
        m_up = torch.where(a.abs() > 1e-12, up / torch.where(a.abs() > 1e-12, a, torch.ones_like(a)), 0.0)
        m_down = torch.where(b.abs() > 1e-12, down / torch.where(b.abs() > 1e-12, b, torch.ones_like(b)), 0.0)
    # forward values are exactly up and down; gradients flow to each part through its own multiplier
    return _Parts(r_out, a * m_up + (up - a.detach() * m_up), b * m_down + (down - b.detach() * m_down))


def _weighted(node: Any, name: str, module: Any, env: dict, r_out: Any, F: Any) -> _Parts:
    """A convolution or linear layer: d+ through W+ and d- through W-, and the other way round."""
    import torch.fx

    inp = env[node.args[0]]
    if module is not None:
        weight = module.weight
        if name == "Conv1d":
            def lin(t: Any, w: Any) -> Any:
                return module._conv_forward(t, w, None)
        else:
            def lin(t: Any, w: Any) -> Any:
                return F.linear(t, w)
    else:
        w_node = node.args[1]
        weight = env[w_node] if isinstance(w_node, torch.fx.Node) else w_node
        rest = list(node.args[3:])
        kw = dict(node.kwargs)
        kw.pop("bias", None)

        def lin(t: Any, w: Any) -> Any:
            return node.target(t, w, None, *rest, **kw)
    wp, wn = _split(weight)
    return _Parts(r_out, lin(inp.pos, wp) + lin(inp.neg, wn), lin(inp.pos, wn) + lin(inp.neg, wp))


def _scaled(inp: _Parts, scale: Any, r_out: Any) -> _Parts:
    sp, sn = _split(scale)
    return _Parts(r_out, inp.pos * sp + inp.neg * sn, inp.pos * sn + inp.neg * sp)


def _arith(name: str, node: Any, env: dict, r_out: Any, modules: dict) -> _Parts:
    import torch

    a, b = (env[x] if hasattr(x, "op") else x for x in (list(node.args) + [None])[:2])
    if name == "neg":
        return _Parts(r_out, -a.neg, -a.pos)
    if name in ("add", "iadd", "sub", "isub"):
        sign = 1 if name in ("add", "iadd") else -1
        if isinstance(a, _Parts) and isinstance(b, _Parts):
            if sign > 0:
                return _Parts(r_out, a.pos + b.pos, a.neg + b.neg)
            return _Parts(r_out, a.pos - b.neg, a.neg - b.pos)
        if isinstance(a, _Parts):
            return _Parts(r_out, a.pos, a.neg)
        return _Parts(r_out, b.pos, b.neg) if sign > 0 else _Parts(r_out, -b.neg, -b.pos)
    # mul or div by something that does not depend on the input
    if isinstance(a, _Parts) and isinstance(b, _Parts):
        raise UnsupportedOp(f"{describe_op(node, modules)}: a product of two input-dependent values has no "
                            "RevealCancel rule; use rule='rescale'")
    if name in ("truediv", "div") and not isinstance(a, _Parts):
        raise UnsupportedOp(f"{describe_op(node, modules)}: dividing by an input-dependent value has no RevealCancel "
                            "rule; use rule='rescale'")
    parts, c = (a, b) if isinstance(a, _Parts) else (b, a)
    c = torch.as_tensor(c, dtype=parts.r.dtype)
    if name in ("truediv", "div"):
        c = 1 / c
    return _scaled(parts, c, r_out)
