"""DeepLIFT and DeepSHAP, with a rule for every op read from the model's graph, never from hooks.

The model is traced with ``torch.fx`` (or is a ``torch.export`` graph module); every node the
output depends on gets one rule before anything is computed:

* **linear** in the input (convolutions, linear layers, eval-mode batch norm, average pooling, adds,
  reshapes, concatenations, flips, a product or quotient where one side does not depend on the
  input): gradients are exact multipliers already;
* **rescale** (DeepLIFT's rule) for elementwise nonlinearities, however they are called (a module,
  a reused module, ``F.relu``, ``torch.relu``, ``.relu()``; sigmoid, tanh, softplus, exp, ELU,
  GELU, SiLU, leaky ReLU, ...): the multiplier is the secant slope ``(f(x) - f(r)) / (x - r)`` (the
  derivative where ``x == r``);
* **block** for every other op (max pooling, softmax and log-softmax heads, layer norm, products of
  two input-dependent tensors as in attention or gating, max over an axis): integrated gradients
  on that op alone, along the straight line from its reference inputs to its inputs (16 midpoints),
  then each output element's multipliers rescaled so they sum exactly to its change ``g(x) - g(r)``
  (the directional derivative along the line, by forward-mode autodiff, gives the factor). So
  additivity holds at every op, and over the model, up to float rounding.

Then, sequence by sequence, the contributions ``m * (x - r)`` sum to ``f(x) - f(r)`` exactly (up to
float rounding): DeepSHAP averages them over the references, and every result's additivity is
checked; a map that misses it raises :class:`AttributionError` instead of being returned. Models
``torch.fx`` cannot trace, and ops whose output is not a float tensor, are refused by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core.errors import AttributionError

__all__ = ["BLOCK_POINTS", "NONLINEAR", "UnsupportedOp", "check_graph", "deeplift_multipliers", "describe_op",
           "fetch_attr", "node_call", "op_name"]

#: midpoints of the integrated gradients on each block op
BLOCK_POINTS = 16

#: elementwise nonlinearities that get the rescale rule (function, method and module names)
NONLINEAR = {"relu", "relu_", "sigmoid", "tanh", "softplus", "exp", "elu", "gelu", "silu", "leaky_relu", "selu",
             "celu", "softsign", "relu6", "hardtanh", "mish", "ReLU", "Sigmoid", "Tanh", "Softplus", "ELU", "GELU",
             "SiLU", "LeakyReLU", "SELU", "CELU", "Softsign", "ReLU6", "Hardtanh", "Mish"}
#: functions and methods linear in their first (input-dependent) argument
_LINEAR = {"conv1d", "conv2d", "linear", "add", "sub", "neg", "flatten", "reshape", "view", "permute", "transpose",
           "contiguous", "squeeze", "unsqueeze", "getitem", "cat", "stack", "pad", "mean", "sum", "avg_pool1d",
           "adaptive_avg_pool1d", "dropout", "flip", "clone", "to", "float", "double", "type_as", "expand",
           "repeat", "batch_norm", "addmm", "mm", "matmul", "convolution", "t", "_unsafe_view", "alias", "iadd",
           "isub", "size", "swapaxes", "movedim", "narrow", "chunk", "split", "unbind", "roll", "_assert", "getattr",
           "sym_size", "slice", "select", "index_select", "zeros_like", "new_zeros", "detach", "lift_fresh_copy",
           "sum_to_size", "constant_pad_nd"}
_PRODUCTS = {"mul", "truediv", "div", "imul", "matmul", "mm", "bmm", "einsum"}
_LINEAR_MODULES = ("Linear", "Conv1d", "Conv2d", "Flatten", "Unflatten", "Dropout", "Identity", "AvgPool1d",
                   "AdaptiveAvgPool1d", "BatchNorm1d", "BatchNorm2d", "ConstantPad1d", "ZeroPad1d", "Sequential")


class UnsupportedOp(AttributionError):
    """A model op with no exact DeepLIFT rule: the map would be wrong, so none is made."""


def op_name(t: Any) -> str:
    """A node target's op name; torch.export's aten.relu.default is relu."""
    if "aten." in str(t):
        return str(t).split("aten.", 1)[1].split(".")[0]
    return t if isinstance(t, str) else getattr(t, "__name__", str(t))


def _name(node: Any) -> str:
    return op_name(node.target)


def _rule(node: Any, modules: dict, paired: int) -> str:
    """"linear", "rescale" or "block" for a node with ``paired`` input-dependent operands."""
    if node.op == "call_module":
        module = modules[str(node.target)]
        kind = type(module).__name__
        if kind in NONLINEAR:
            return "rescale"
        if kind in _LINEAR_MODULES and not (kind.startswith("BatchNorm") and module.training):
            return "linear"
        return "block"
    name = node.target if node.op == "call_method" else _name(node)
    if name in NONLINEAR:
        return "rescale"
    if name in _PRODUCTS:  # a product with something that does not depend on the input is linear
        return "linear" if paired == 1 else "block"
    return "linear" if name in _LINEAR else "block"


def _operands(node: Any, depends: Any) -> int:
    """How many of the node's operands depend on the input, counting repeats (``x * x`` has two)."""
    import torch.fx

    seen: list = []
    torch.fx.node.map_arg((node.args, node.kwargs), lambda n: seen.append(n) if depends(n) else None)
    return len(seen)


def describe_op(node: Any, modules: dict) -> str:
    if node.op == "call_module":
        return f"{type(modules[str(node.target)]).__name__} {node.target!r}"
    return f"{_name(node) if node.op != 'call_method' else node.target} (node {node.name})"


def check_graph(model: Any) -> tuple[Any, list[str]]:
    """The model's ``torch.fx`` graph module and the ops that get the block rule (see the module's
    notes), by name; raises :class:`UnsupportedOp` for a model ``torch.fx`` cannot trace."""
    import torch
    import torch.fx

    try:  # a graph module (torch.export's) is its own graph, with the shapes of its values
        traced = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - control flow on values, or an untraceable module
        raise UnsupportedOp(f"torch.fx cannot trace this {type(model).__name__} ({type(exc).__name__}: {exc}), so "
                            "no rule can be read for its ops; use method='ig'") from None
    modules = dict(traced.named_modules())
    used: set = set()  # the nodes the output is computed from (guards and unused branches are not)
    stack = [n for n in traced.graph.nodes if n.op == "output"]
    while stack:
        n = stack.pop()
        if n not in used:
            used.add(n)
            stack.extend(n.all_input_nodes)
    depends: set = set()
    blocks = []
    for node in traced.graph.nodes:
        if node not in used:
            continue
        if node.op == "placeholder":
            if not depends:
                depends.add(node)
            continue
        inputs = [a for a in node.all_input_nodes if a in depends]
        if not inputs or node.op == "output":
            continue
        value = node.meta.get("val")
        if value is not None and not isinstance(value, torch.Tensor):
            continue  # sizes and their checks (torch.export's guards on a dynamic batch): no values flow
        depends.add(node)
        if _rule(node, modules, _operands(node, depends.__contains__)) == "block":
            blocks.append(describe_op(node, modules))
    return traced, blocks


def deeplift_multipliers(model: Any, x: np.ndarray, refs: np.ndarray, target: int, dtype: Any,
                         layout: str = "NCL", traced: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DeepLIFT multipliers of output ``target`` for each (sequence, reference) pair.

    x : (P, 4, L) sequences, refs : (P, 4, L) their references (pairs row by row). Returns
    (multipliers (P, 4, L), f(x) (P,), f(r) (P,)) as float64.

    The graph runs on both sides in lockstep: the reference side without gradients, the sequence
    side with the rescale rule at every elementwise nonlinearity, so the backward pass runs on the
    sequences only. ``traced``: the graph from :func:`check_graph`, when the caller has it.
    """
    import torch

    if traced is None:
        traced, _ = check_graph(model)
    xs = torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(dtype).requires_grad_(True)
    rs = torch.from_numpy(np.ascontiguousarray(refs, np.float32)).to(dtype)
    if layout != "NCL":
        fx, fr = _run_pair(traced, xs.transpose(1, 2), rs.transpose(1, 2))
    else:
        fx, fr = _run_pair(traced, xs, rs)
    fx, fr = fx.reshape(fx.shape[0], -1), fr.reshape(fr.shape[0], -1)
    if target >= fx.shape[1]:
        raise ValueError(f"target {target} is not an output of this model: it has {fx.shape[1]} outputs per sequence")
    (grad,) = torch.autograd.grad(fx[:, target].sum(), xs)
    return (grad.detach().double().numpy(), fx[:, target].detach().double().numpy(),
            fr[:, target].detach().double().numpy())


class _Pair:
    """A value computed on both sides: the sequences' (with gradients) and the references'."""

    __slots__ = ("x", "r")

    def __init__(self, x: Any, r: Any):
        self.x, self.r = x, r


def _run_pair(traced: Any, x: Any, r: Any) -> tuple[Any, Any]:
    """The traced model's output on ``x`` (rescaled gradients) and on ``r`` (no gradients)."""
    import torch
    import torch.fx

    modules = dict(traced.named_modules())
    env: dict = {}
    rescale = _Rescale.get()

    def side(k: int) -> Any:
        def pick(n: Any) -> Any:
            v = env[n]
            return (v.x if k == 0 else v.r) if isinstance(v, _Pair) else v
        return pick

    result = None
    nodes = list(traced.graph.nodes)
    last = {a: i for i, n in enumerate(nodes) for a in n.all_input_nodes}  # the index of each value's last user
    done_with: dict = {}
    for a, i in last.items():
        done_with.setdefault(i, []).append(a)
    for i, node in enumerate(nodes):
        for a in done_with.get(i - 1, []):  # values no later node reads (the reference side is held nowhere else)
            env.pop(a, None)
        if node.op == "placeholder":
            env[node] = _Pair(x, r)
            continue
        if node.op == "get_attr":
            env[node] = fetch_attr(traced, node.target)
            continue
        if node.op == "output":
            result = node.args[0]
            break
        paired = [a for a in node.all_input_nodes if isinstance(env[a], _Pair)]
        _, fn = node_call(node, modules)
        if not paired:
            env[node] = fn(*torch.fx.node.map_arg(node.args, side(0)), **torch.fx.node.map_arg(node.kwargs, side(0)))
            continue
        rule = _rule(node, modules, _operands(node, lambda n: isinstance(env[n], _Pair)))
        xa, xk = torch.fx.node.map_arg(node.args, side(0)), torch.fx.node.map_arg(node.kwargs, side(0))
        ra, rk = torch.fx.node.map_arg(node.args, side(1)), torch.fx.node.map_arg(node.kwargs, side(1))
        with torch.no_grad():
            r_out = fn(*ra, **rk)
        graded = [a for a in paired if isinstance(env[a].x, torch.Tensor) and env[a].x.requires_grad]
        if rule == "rescale" and isinstance(xa[0], torch.Tensor) and xa[0].requires_grad:
            rest, kw = xa[1:], xk
            x_out = rescale.apply(xa[0], ra[0], r_out, lambda t, f=fn, a=rest, k=kw: f(t, *a, **k))
        elif rule == "block" and graded:
            x_out = _block(node, fn, env, graded, r_out, modules)
        else:
            x_out = fn(*xa, **xk)
        env[node] = _Pair(x_out, r_out)
    out = torch.fx.node.map_arg(result, lambda n: env[n])
    while isinstance(out, (tuple, list)):
        if len(out) != 1:
            raise ValueError(f"the model returns {len(out)} outputs; attributions read models with one output tensor")
        out = out[0]
    if not isinstance(out, _Pair):
        raise ValueError("the model's output does not depend on its input")
    return out.x, out.r


class _ValuesIndices(tuple):
    """(values, indices), as ``torch.max(x, dim)`` returns."""

    @property
    def values(self) -> Any:
        return self[0]

    @property
    def indices(self) -> Any:
        return self[1]


def _block(node: Any, fn: Any, env: dict, graded: list, r_out: Any, modules: dict) -> Any:
    """``fn`` on the sequence side with the block rule: its input-dependent tensor operands
    ``graded`` get integrated gradients along the line from their reference values, rescaled to the
    op's change."""
    import torch
    import torch.fx

    slot = {n: i for i, n in enumerate(graded)}
    # the other operands' values now: the backward pass calls this after they are freed
    fixed = {n: (env[n].x if isinstance(env[n], _Pair) else env[n]) for n in node.all_input_nodes if n not in slot}

    def call(*ts: Any) -> Any:
        def pick(n: Any) -> Any:
            return ts[slot[n]] if n in slot else fixed[n]
        return fn(*torch.fx.node.map_arg(node.args, pick), **torch.fx.node.map_arg(node.kwargs, pick))

    xs = [env[n].x for n in graded]
    rs = [env[n].r for n in graded]
    if r_out is None:  # a check with no value (torch.export's guards): nothing flows to the output
        return call(*xs)
    block = _Block.get()
    if isinstance(r_out, torch.Tensor) and r_out.is_floating_point():
        return block.apply(call, len(xs), *xs, *rs, r_out)
    if isinstance(r_out, tuple) and len(r_out) == 2 and isinstance(r_out[0], torch.Tensor) \
            and r_out[0].is_floating_point():  # (values, indices): max or min along an axis
        with torch.no_grad():
            indices = call(*xs)[1]
        values = block.apply(lambda *ts: call(*ts)[0], len(xs), *xs, *rs, r_out[0])
        return _ValuesIndices((values, indices))
    raise UnsupportedOp(f"{describe_op(node, modules)} returns {type(r_out).__name__}, not a float tensor: no DeepLIFT "
                        "rule reads it; use method='ig'")


class _Block:
    """The block rule as an autograd function, built on first use."""

    _cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls._cls is None:
            import torch
            import torch.autograd.forward_ad as fwAD

            class Block(torch.autograd.Function):
                """y = fn(*xs); the gradient: integrated gradients of fn along r -> x (midpoints),
                each output element's share rescaled to (y - fn(r)) / (its path derivative)."""

                @staticmethod
                def forward(ctx: Any, fn: Any, n: int, *tensors: Any) -> Any:
                    xs = tensors[:n]
                    y = fn(*xs)
                    ctx.fn, ctx.n = fn, n
                    ctx.save_for_backward(*tensors, y)
                    return y

                @staticmethod
                def backward(ctx: Any, grad_out: Any) -> Any:
                    saved = ctx.saved_tensors
                    n, fn = ctx.n, ctx.fn
                    xs, rs, r_out, y = saved[:n], saved[n:2 * n], saved[2 * n], saved[2 * n + 1]
                    deltas = [x - r for x, r in zip(xs, rs)]
                    points = [(k + 0.5) / BLOCK_POINTS for k in range(BLOCK_POINTS)]
                    change = y - r_out
                    scale = torch.ones_like(y)
                    try:  # the mean directional derivative along the line, by forward-mode autodiff
                        along = torch.zeros_like(y)
                        with fwAD.dual_level(), torch.no_grad():
                            for a in points:
                                duals = [fwAD.make_dual(r + a * d, d) for r, d in zip(rs, deltas)]
                                along += fwAD.unpack_dual(fn(*duals)).tangent
                        along /= BLOCK_POINTS
                        ok = along.abs() > 1e-3 * change.abs()
                        scale = torch.where(ok, change / torch.where(ok, along, torch.ones_like(along)), scale)
                    except (RuntimeError, NotImplementedError):
                        pass  # no forward-mode rule for this op: plain integrated gradients, checked after
                    weighted = grad_out * scale
                    grads = [torch.zeros_like(x) for x in xs]
                    with torch.enable_grad():
                        for a in points:
                            zs = [(r + a * d).detach().requires_grad_(True) for r, d in zip(rs, deltas)]
                            got = torch.autograd.grad(fn(*zs), zs, weighted, allow_unused=True)
                            for g, add in zip(grads, got):
                                if add is not None:
                                    g += add
                    return (None, None, *(g / BLOCK_POINTS for g in grads), *([None] * (n + 1)))

            cls._cls = Block
        return cls._cls


def node_call(node: Any, modules: dict) -> tuple[str, Any]:
    """(op name, the callable) of a call node: a module's class name and the module, a method's
    name and a function calling it on its first argument, or a function's name and the function."""
    if node.op == "call_module":
        module = modules[str(node.target)]
        return type(module).__name__, module
    if node.op == "call_method":
        def call(t: Any, *a: Any, _m: str = str(node.target), **k: Any) -> Any:
            return getattr(t, _m)(*a, **k)
        return str(node.target), call
    return op_name(node.target), node.target


def fetch_attr(traced: Any, target: str) -> Any:
    obj = traced
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


class _Rescale:
    """The rescale rule as an autograd function, built on first use (torch imported lazily)."""

    _cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls._cls is None:
            import torch

            class Rescale(torch.autograd.Function):
                """y = fn(x); the gradient multiplied by the secant slope (fn(x) - fn(r)) / (x - r)
                instead of fn'(x) (the derivative where x == r, by autograd on those elements
                only: fn is elementwise)."""

                @staticmethod
                def forward(ctx: Any, x: Any, r: Any, r_out: Any, fn: Any) -> Any:
                    y = fn(x)
                    # the slope now, so only it is kept for the backward pass (not both sides' values)
                    dx = x - r
                    slope = (y - r_out).div_(dx)
                    tiny = dx.abs_() <= x.abs().mul_(1e-6).add_(1e-6)
                    if bool(tiny.any()):
                        with torch.enable_grad():
                            at = x[tiny].detach().requires_grad_(True)
                            (deriv,) = torch.autograd.grad(fn(at).sum(), at)
                        slope[tiny] = deriv
                    ctx.save_for_backward(slope)
                    return y

                @staticmethod
                def backward(ctx: Any, grad_out: Any) -> Any:
                    (slope,) = ctx.saved_tensors
                    return grad_out * slope, None, None, None

            cls._cls = Rescale
        return cls._cls
