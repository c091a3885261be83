"""DeepLIFT's rescale rule and DeepSHAP, with rules read from the model's graph, never from hooks.

The model is traced with ``torch.fx``; every node is classified before anything is computed:

* **linear** in the input (convolutions, linear layers, eval-mode batch norm, average pooling, adds,
  reshapes, concatenations, a product or quotient where one side does not depend on the input):
  gradients are exact multipliers already;
* **elementwise nonlinearities** (ReLU in any form — module, reused module, ``F.relu``,
  ``torch.relu``, ``.relu()`` — sigmoid, tanh, softplus, exp, ELU, GELU, SiLU, leaky ReLU, ...): each
  call is rescaled, its multiplier ``(f(x) - f(r)) / (x - r)`` (the derivative where ``x == r``);
* anything else (max pooling, softmax, layer norm, a product of two input-dependent tensors such
  as attention, recurrent layers): the model is **refused, naming the op**, with integrated
  gradients (``method="ig"``) as the way on.

Then, sequence by sequence, the contributions ``m * (x - r)`` sum to ``f(x) - f(r)`` exactly (up to
float rounding): DeepSHAP averages them over the references, and every result's additivity is
checked; a map that misses it raises :class:`AttributionError` instead of being returned.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core.errors import AttributionError

__all__ = ["NONLINEAR", "UnsupportedOp", "check_graph", "deeplift_multipliers"]

#: elementwise nonlinearities that get the rescale rule (function, method and module names)
NONLINEAR = {"relu", "relu_", "sigmoid", "tanh", "softplus", "exp", "elu", "gelu", "silu", "leaky_relu", "selu",
             "celu", "softsign", "relu6", "hardtanh", "mish", "ReLU", "Sigmoid", "Tanh", "Softplus", "ELU", "GELU",
             "SiLU", "LeakyReLU", "SELU", "CELU", "Softsign", "ReLU6", "Hardtanh", "Mish"}
#: functions and methods linear in their first (input-dependent) argument
_LINEAR = {"conv1d", "conv2d", "linear", "add", "sub", "neg", "flatten", "reshape", "view", "permute", "transpose",
           "contiguous", "squeeze", "unsqueeze", "getitem", "cat", "stack", "pad", "mean", "sum", "avg_pool1d",
           "adaptive_avg_pool1d", "dropout", "flip", "clone", "to", "float", "double", "type_as", "expand",
           "repeat", "batch_norm", "addmm", "mm", "matmul", "convolution", "t", "_unsafe_view", "alias", "iadd",
           "isub", "size", "swapaxes", "movedim", "narrow", "chunk", "split", "unbind", "roll", "_assert"}
_PRODUCTS = {"mul", "truediv", "div", "imul", "matmul", "mm", "bmm", "einsum"}
_LINEAR_MODULES = ("Linear", "Conv1d", "Conv2d", "Flatten", "Unflatten", "Dropout", "Identity", "AvgPool1d",
                   "AdaptiveAvgPool1d", "BatchNorm1d", "BatchNorm2d", "ConstantPad1d", "ZeroPad1d")


class UnsupportedOp(AttributionError):
    """A model op with no exact DeepLIFT rule: the map would be wrong, so none is made."""


def _target_name(t: Any) -> str:
    """A node target's op name; torch.export's aten.relu.default is relu."""
    if "aten." in str(t):
        return str(t).split("aten.", 1)[1].split(".")[0]
    return t if isinstance(t, str) else getattr(t, "__name__", str(t))


def _name(node: Any) -> str:
    return _target_name(node.target)


def check_graph(model: Any) -> Any:
    """The model's ``torch.fx`` graph module, each node checked (see the module's notes); raises
    :class:`UnsupportedOp` naming the first op without an exact rule."""
    import torch
    import torch.fx

    try:  # a graph module (torch.export's) is its own graph, with the shapes of its values
        traced = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - control flow on values, or an untraceable module
        raise UnsupportedOp(f"torch.fx cannot trace this {type(model).__name__} ({type(exc).__name__}: {exc}), so "
                            "its ops cannot be checked for exact DeepLIFT rules; use method='ig'") from None
    modules = dict(traced.named_modules())
    used: set = set()  # the nodes the output is computed from (guards and unused branches are not)
    stack = [n for n in traced.graph.nodes if n.op == "output"]
    while stack:
        n = stack.pop()
        if n not in used:
            used.add(n)
            stack.extend(n.all_input_nodes)
    depends: set = set()
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
        if node.op == "call_module":
            kind = type(modules[str(node.target)]).__name__
            if kind in NONLINEAR or kind in _LINEAR_MODULES:
                continue
            raise UnsupportedOp(f"layer {node.target!r} ({kind}) has no exact DeepLIFT rule (the rescale rule covers "
                                "elementwise nonlinearities; max pooling, softmax, layer norm, attention and "
                                "recurrent layers are not sums of elementwise steps); use method='ig'")
        name = _name(node)
        if name in NONLINEAR or name in _LINEAR:
            continue
        if name in _PRODUCTS and len(inputs) == 1:
            continue  # a product with something that does not depend on the input is linear
        raise UnsupportedOp(f"op {name!r} (node {node.name}) has no exact DeepLIFT rule"
                            + (": both of its operands depend on the input (a product, as in attention or gating)"
                               if name in _PRODUCTS else "")
                            + "; use method='ig'")
    return traced


def deeplift_multipliers(model: Any, x: np.ndarray, refs: np.ndarray, target: int, dtype: Any,
                         layout: str = "NCL") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DeepLIFT multipliers of output ``target`` for each (sequence, reference) pair.

    x : (P, 4, L) sequences, refs : (P, 4, L) their references (pairs row by row). Returns
    (multipliers (P, 4, L), f(x) (P,), f(r) (P,)) as float64.
    """
    import torch
    import torch.fx

    traced = check_graph(model)

    class Rescaled(torch.fx.Interpreter):
        def _wrap(self, fn: Any, args: Any, kwargs: Any) -> Any:
            first = args[0]
            rest = args[1:]
            return _Rescale.apply(first, lambda t: fn(t, *rest, **kwargs))

        def call_module(self, target: Any, args: Any, kwargs: Any) -> Any:
            module = self.fetch_attr(target)
            if type(module).__name__ in NONLINEAR and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
                return self._wrap(lambda t, *a, **k: module(t, *a, **k), args, kwargs)
            return super().call_module(target, args, kwargs)

        def call_function(self, target: Any, args: Any, kwargs: Any) -> Any:
            if _target_name(target) in NONLINEAR and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
                return self._wrap(target, args, kwargs)
            return super().call_function(target, args, kwargs)

        def call_method(self, target: Any, args: Any, kwargs: Any) -> Any:
            if target in NONLINEAR and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
                return self._wrap(lambda t, *a, **k: getattr(t, target)(*a, **k), args, kwargs)
            return super().call_method(target, args, kwargs)

    both = torch.from_numpy(np.concatenate([x, refs]).astype(np.float32)).to(dtype).requires_grad_(True)
    out = Rescaled(traced).run(both if layout == "NCL" else both.transpose(1, 2))
    out = out.reshape(out.shape[0], -1)
    if target >= out.shape[1]:
        raise ValueError(f"target {target} is not an output of this model: it has {out.shape[1]} outputs per sequence")
    f = out[:, target]
    P = x.shape[0]
    (grad,) = torch.autograd.grad(f[:P].sum(), both)
    return (grad[:P].detach().double().numpy(), f[:P].detach().double().numpy(),
            f[P:].detach().double().numpy())


def _rescale_class() -> Any:
    import torch

    class Rescale(torch.autograd.Function):
        """y = fn(t) on the stacked [x-half; reference-half]; the x-half's gradient multiplied by the
        secant slope (f(x) - f(r)) / (x - r) instead of f'(x) (the derivative where x == r)."""

        @staticmethod
        def forward(ctx: Any, t: Any, fn: Any) -> Any:
            with torch.enable_grad():
                leaf = t.detach().requires_grad_(True)
                y = fn(leaf)
            ctx.save_for_backward(leaf, y)
            return y.detach()

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            leaf, y = ctx.saved_tensors
            half = leaf.shape[0] // 2
            dx = leaf[:half] - leaf[half:]
            dy = y[:half] - y[half:]
            (deriv,) = torch.autograd.grad(y, leaf, torch.ones_like(y))
            tiny = dx.abs() <= 1e-6 * (1 + leaf[:half].abs())
            slope = torch.where(tiny, deriv[:half], dy / torch.where(tiny, torch.ones_like(dx), dx))
            grad_in = torch.zeros_like(leaf)
            grad_in[:half] = grad_out[:half] * slope
            return grad_in, None

    return Rescale


class _LazyRescale:
    _cls: Any = None

    def apply(self, t: Any, fn: Any) -> Any:
        if self._cls is None:
            type(self)._cls = _rescale_class()
        return self._cls.apply(t, fn)


_Rescale = _LazyRescale()
