"""ISM through any traceable PyTorch model, recomputing only what a substitution changes.

A substitution at position ``i`` changes a stride-1 convolution's output only on the windows that
hold ``i``, a pointwise step (activation, batch norm, a residual add) only where its inputs changed,
and so on through the model's *local* part, each layer's changed span growing by its receptive
field (fastISM's idea, read here from the model's ``torch.fx`` graph instead of a list of Keras
layers). Each layer is therefore run on a narrow window per edited sequence, the rest of the
sequence read from the unedited run. Where the local part ends:

* a global reduction over the length (``mean``, ``sum``, ``amax``, ``max(dim=-1)``, adaptive
  pooling to 1) is updated from the unedited total (the sum, or prefix and suffix maxima);
* anything else (flatten, strided pooling, attention, a dense layer over positions) receives the
  unedited tensor with the changed window written in, and runs as usual.

Layers after that point run in full on every edited sequence. Ops with no local rule end the local
part early, so every traceable model is handled, at worst at the cost of running it in full.

Conventions as :func:`exactpwm.interpret.ism.saturation_mutagenesis`: one-hot ``(B, 4, n)`` input
(N an all-zero column), outputs flattened per sequence, ``y`` (N, 4, n, K).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import numpy as np

from exactpwm.interpret.deeplift import NONLINEAR, op_name

__all__ = ["LocalPlan", "LocalReference", "local_plan", "run_rows"]

#: pointwise ops (same position in, same position out), besides the nonlinearities
_POINTWISE = NONLINEAR | {"add", "sub", "mul", "truediv", "div", "neg", "dropout", "clone", "contiguous", "to",
                          "float", "double", "type_as", "alias", "abs", "pow", "square", "sqrt", "rsqrt", "clamp",
                          "clamp_min", "clamp_max", "log", "log1p", "expm1", "iadd", "isub", "imul", "exp", "sigmoid",
                          "hardsigmoid", "hardswish", "logsigmoid", "maximum", "minimum", "where", "detach"}
_POINTWISE_MODULES = {"Dropout", "Identity", "BatchNorm1d", "ReLU", "Sigmoid", "Tanh", "Softplus", "ELU", "GELU",
                      "SiLU", "LeakyReLU", "SELU", "CELU", "Softsign", "ReLU6", "Hardtanh", "Mish", "Hardswish",
                      "Hardsigmoid", "LogSigmoid"}


@dataclass
class _Conv:
    weight: Any
    bias: Any
    dilation: int
    width: int  # kernel width
    left: int  # zero padding on the left
    groups: int


@dataclass
class _Reduce:
    kind: str  # "sum", "mean" or "max"
    keepdim: bool
    tuple_out: bool  # max(dim=...) returns (values, indices); only values are read


@dataclass
class LocalPlan:
    """The model's graph split into its local part and the rest (see the module's notes).

    Attributes
    ----------
    spans : dict
        {node: (lo, hi)}: the positions, relative to the edited one, where each local node's
        output can change (inclusive).
    ops : dict
        {node: a convolution's parameters, or "point"}: how each local node is computed on a window.
    reductions : dict
        {node: (reduction, local input node)}: reductions over the length, updated in place.
    boundary : list
        Local nodes whose whole tensor the rest of the graph reads.
    """

    graph_module: Any
    placeholder: Any
    spans: dict
    ops: dict
    reductions: dict
    boundary: list

    @property
    def local_layers(self) -> int:
        return sum(isinstance(op, _Conv) for op in self.ops.values())

    def describe(self) -> str:
        span = max((hi - lo + 1 for lo, hi in self.spans.values()), default=1)
        return (f"local ISM: {len(self.ops)} ops ({self.local_layers} convolutions) recomputed on windows of at most "
                f"{span} positions; {len(self.reductions)} length reduction(s) updated in place; "
                f"{len(self.boundary)} tensor(s) written into the full length for the rest of the model")


def _arg(node: Any, i: int, name: str, default: Any) -> Any:
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(name, default)


def _int(v: Any) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError
        v = v[0]
    return int(v)


def local_plan(model: Any, length: int, dtype: Any, width: int = 1) -> tuple[LocalPlan | None, str]:
    """The plan for ``model`` on one-hot (B, 4, ``length``) input where each edit rewrites ``width``
    consecutive positions (1 for a substitution, a motif's width for an embedding), or (None, why)
    when its graph cannot be traced or has no local part. Spans are relative to the edit's first
    position."""
    import torch
    import torch.fx

    try:
        gm = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - control flow on values, or an untraceable module
        return None, f"torch.fx cannot trace this {type(model).__name__} ({type(exc).__name__})"
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        return None, f"the model takes {len(placeholders)} inputs, not one"
    values = _reference_values(gm, torch.zeros((1, 4, length), dtype=dtype))
    modules = dict(gm.named_modules())
    ph = placeholders[0]
    spans: dict = {ph: (0, int(width) - 1)}
    ops: dict = {}
    reductions: dict = {}
    depends = {ph}
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        ins = [a for a in node.all_input_nodes if a in depends]
        if not ins:
            continue
        depends.add(node)
        if not all(a in spans for a in ins):
            continue  # downstream of the rest: runs in full
        rule = _local_rule(node, ins, modules, values, spans)
        if isinstance(rule, _Reduce):
            reductions[node] = (rule, ins[0])
        elif rule is not None:
            ops[node] = rule
            if isinstance(rule, _Conv):
                lo, hi = spans[ins[0]]
                reach = rule.dilation * (rule.width - 1)
                spans[node] = (lo + rule.left - reach, hi + rule.left)
            else:
                spans[node] = (min(spans[a][0] for a in ins), max(spans[a][1] for a in ins))
    if not ops:
        return None, "the model's first op has no local rule"
    # the local tensors read by anything outside the local part (reductions read windows only)
    boundary = []
    for node in spans:
        users = [u for u in node.users if u not in ops and not (u in reductions and reductions[u][1] is node)]
        if users:
            boundary.append(node)
    return LocalPlan(gm, ph, spans, ops, reductions, boundary), ""


def _reference_values(gm: Any, x: Any) -> dict:
    """Every node's value on ``x`` (to read shapes and constants)."""
    import torch
    import torch.fx

    values: dict = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n: Any) -> Any:
            out = super().run_node(n)
            values[n] = out
            return out

    with torch.no_grad():
        Recorder(gm).run(x)
    return values


def _is_3d(v: Any) -> bool:
    import torch

    return isinstance(v, torch.Tensor) and v.ndim == 3


def _local_rule(node: Any, ins: list, modules: dict, values: dict, spans: dict) -> Any:
    """A _Conv, a _Reduce, "point", or None (no local rule: the node belongs to the rest)."""
    import torch

    out = values.get(node)
    name = op_name(node.target) if node.op != "call_module" else type(modules[str(node.target)]).__name__
    length = {values[a].shape[-1] for a in ins if _is_3d(values[a])}
    if len(ins) == 1 and len(length) == 1:
        red = _reduction(node, name, modules, values[ins[0]])
        if red is not None:
            return red
    if not _is_3d(out) or len(length) != 1 or not all(_is_3d(values[a]) for a in ins):
        return None
    conv = _conv(node, name, modules, values)
    if conv is not None:
        return conv if len(ins) == 1 and node.args[0] is ins[0] else None
    if node.op == "call_module":
        module = modules[str(node.target)]
        if name not in _POINTWISE_MODULES or (name == "BatchNorm1d" and module.training):
            return None
    elif node.op in ("call_function", "call_method"):
        if name not in _POINTWISE:
            return None
    else:
        return None
    if out is None or out.shape[-1] not in length:
        return None
    # the other operands must not vary along the length (parameters per channel, scalars)
    for a in node.all_input_nodes:
        if a in ins:
            continue
        v = values.get(a)
        if isinstance(v, torch.Tensor) and v.numel() > 1 and v.shape[-1] != 1:
            return None
    return "point"


def _conv(node: Any, name: str, modules: dict, values: dict) -> _Conv | None:
    """A stride-1, zero-padded 1-d convolution's parameters, or None."""
    import torch

    try:
        if node.op == "call_module" and name == "Conv1d":
            m = modules[str(node.target)]
            if m.padding_mode != "zeros" or _int(m.stride) != 1:
                return None
            k, d = _int(m.kernel_size), _int(m.dilation)
            pad = m.padding
            left = (d * (k - 1)) // 2 if pad == "same" else 0 if pad == "valid" else _int(pad)
            return _Conv(m.weight, m.bias, d, k, left, m.groups)
        if node.op == "call_function" and name in ("conv1d", "convolution"):
            weight = values[node.args[1]] if isinstance(node.args[1], torch.fx.Node) else node.args[1]
            bias = _arg(node, 2, "bias", None)
            bias = values[bias] if isinstance(bias, torch.fx.Node) else bias
            if weight.ndim != 3 or _int(_arg(node, 3, "stride", 1)) != 1:
                return None
            pad = _arg(node, 4, "padding", 0)
            d = _int(_arg(node, 5, "dilation", 1))
            if name == "convolution":
                if _arg(node, 6, "transposed", False):
                    return None
                groups = int(_arg(node, 8, "groups", 1))
            else:
                groups = int(_arg(node, 6, "groups", 1))
            k = weight.shape[-1]
            left = (d * (k - 1)) // 2 if pad == "same" else 0 if pad == "valid" else _int(pad)
            return _Conv(weight, bias, d, k, left, groups)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    return None


def _reduction(node: Any, name: str, modules: dict, value: Any) -> _Reduce | None:
    """A reduction over the last (length) axis of a (B, C, L) tensor, or None."""
    if not _is_3d(value):
        return None
    if node.op == "call_module":
        m = modules[str(node.target)]
        if name in ("AdaptiveAvgPool1d", "AdaptiveMaxPool1d") and _int(m.output_size) == 1 \
                and not getattr(m, "return_indices", False):
            return _Reduce("mean" if "Avg" in name else "max", True, False)
        return None
    if name in ("adaptive_avg_pool1d", "adaptive_max_pool1d"):
        try:
            if _int(_arg(node, 1, "output_size", None)) != 1 or _arg(node, 2, "return_indices", False):
                return None
        except (ValueError, TypeError):
            return None
        return _Reduce("mean" if "avg" in name else "max", True, False)
    if name not in ("mean", "sum", "amax", "max"):
        return None
    dim = _arg(node, 1, "dim", None)
    if isinstance(dim, (list, tuple)) and len(dim) == 1:
        dim = dim[0]
    if not isinstance(dim, int) or dim not in (-1, 2):
        return None
    keepdim = bool(_arg(node, 2, "keepdim", False))
    if name == "max":  # (values, indices): every user must read the values only
        for u in node.users:
            ok = u.op == "call_function" and ((u.target is operator.getitem and u.args[1] == 0)
                                              or (u.target is getattr and u.args[1] == "values"))
            if not ok:
                return None
        return _Reduce("max", keepdim, True)
    return _Reduce({"amax": "max"}.get(name, name), keepdim, False)


class _MaxResult(tuple):
    """(values, indices) as ``torch.max(x, dim)`` returns; only ``values`` is computed."""

    @property
    def values(self) -> Any:
        return self[0]


def run_local(plan: LocalPlan, codes: np.ndarray, dtype: Any, batch_size: int | None = None,
              progress: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(y0 (N, K), y (N, 4, n, K)) float64 for every substitution of the (N, n) uint8 codes.

    Work goes in blocks of consecutive positions of one sequence: the three other bases at each
    (all four where the block holds an N), so every window is a slice of the unedited run."""
    import torch

    N, n = codes.shape
    eye = torch.cat([torch.eye(4, dtype=dtype), torch.zeros((1, 4), dtype=dtype)])
    if batch_size is None:
        batch_size = rows_per_call(plan, codes[:1], dtype)
    block = max(1, batch_size // 3)
    y0 = np.empty((N, 0))
    y: np.ndarray | None = None
    others = (codes.astype(np.int64)[:, None, :] + np.arange(1, 4)[None, :, None]) % 4  # (N, 3, n)
    tables = _first_layer_tables(plan, dtype)
    for g0, g1, ref in LocalReference.groups(plan, codes, dtype):
        if y is None:
            K = ref.outputs.shape[1]
            y0, y = np.empty((N, K)), np.empty((N, 4, n, K))
        y0[g0:g1] = ref.outputs
        y[g0:g1] = ref.outputs[:, None, None, :]  # the base already there
        for k in range(g1 - g0):
            s = g0 + k
            for p0 in range(0, n, block):
                p1 = min(n, p0 + block)
                if (codes[s, p0:p1] == 4).any():
                    bases = np.repeat(np.arange(4)[:, None], p1 - p0, axis=1)  # at N, all four bases
                else:
                    bases = others[s, :, p0:p1]
                Bb = len(bases)
                pos = np.tile(np.arange(p0, p1), Bb)
                new = torch.from_numpy(bases.reshape(-1))
                old = torch.from_numpy(codes[s, p0:p1].astype(np.int64)).repeat(Bb)
                delta = {node: t[old, new] for node, t in tables.items()}
                out = run_rows(plan, ref, np.full(len(pos), k), pos, eye[new][:, :, None], delta)
                y[s, bases, np.arange(p0, p1)[None, :]] = out.reshape(bases.shape + (-1,))
                if progress is not None:
                    progress(3 * (p1 - p0))
    assert y is not None
    return y0, y


def rows_per_call(plan: LocalPlan, sample: np.ndarray, dtype: Any) -> int:
    """Edited rows per :func:`run_rows` call: about 32 MB of windows and written-back tensors, 48
    to 512 rows (a model exported with a dynamic batch has a largest one)."""
    import torch

    eye = torch.cat([torch.eye(4, dtype=dtype), torch.zeros((1, 4), dtype=dtype)])
    one = _reference_values(plan.graph_module, eye[torch.from_numpy(sample[:1].astype(np.int64))].transpose(1, 2))
    per_row = (sum(one[k].shape[1] * one[k].shape[-1] * one[k].element_size() for k in plan.boundary)
               + sum(one[k].shape[1] * (hi - lo + 1) * one[k].element_size() for k, (lo, hi) in plan.spans.items()))
    return int(np.clip((1 << 25) // max(per_row, 1), 48, 512))


class LocalReference:
    """The unedited run of a group of sequences: every local node's value (and a zero-padded copy
    to cut windows from), the reductions' prefix statistics, and the outputs (G, K) float64."""

    def __init__(self, plan: LocalPlan, codes: np.ndarray, dtype: Any):
        import torch
        import torch.nn.functional as F

        eye = torch.cat([torch.eye(4, dtype=dtype), torch.zeros((1, 4), dtype=dtype)])
        x = eye[torch.from_numpy(codes.astype(np.int64))].transpose(1, 2).contiguous()
        self.values = _reference_values(plan.graph_module, x)
        self.outputs = _flat(self.values[_output_node(plan.graph_module)], len(codes))
        self.margin = max(max(-lo, hi) for lo, hi in plan.spans.values()) + max(
            (op.dilation * (op.width - 1) for op in plan.ops.values() if isinstance(op, _Conv)), default=0) + 1
        self.padded = {k: F.pad(self.values[k], (self.margin, self.margin)) for k in plan.spans}
        self.stats = _reduction_stats(plan, self.values)

    @classmethod
    def groups(cls, plan: LocalPlan, codes: np.ndarray, dtype: Any, max_rows: int = 512) -> Any:
        """(g0, g1, reference of codes[g0:g1]) over groups of about 256 MB of kept tensors and at
        most ``max_rows`` sequences (a model exported with a dynamic batch has a largest one). The
        group size divides ``max_rows``, so blocks of ``max_rows`` sequences run on their own are
        grouped as within the whole set."""
        import torch

        eye = torch.cat([torch.eye(4, dtype=dtype), torch.zeros((1, 4), dtype=dtype)])
        one = _reference_values(plan.graph_module, eye[torch.from_numpy(codes[:1].astype(np.int64))].transpose(1, 2))
        keep = set(plan.spans) | {u for _, u in plan.reductions.values()}
        per_seq = 2 * sum(one[k].numel() * one[k].element_size() for k in keep)
        N = len(codes)
        fits = max(1, (1 << 28) // max(per_seq, 1))
        # a divisor of max_rows: sequences cut into blocks of max_rows fall into the same groups
        group = max(d for d in range(1, min(fits, max_rows) + 1) if max_rows % d == 0)
        for g0 in range(0, N, group):
            g1 = min(N, g0 + group)
            yield g0, g1, cls(plan, codes[g0:g1], dtype)


def _output_node(gm: Any) -> Any:
    return next(n for n in gm.graph.nodes if n.op == "output")


def _flat(value: Any, rows: int) -> np.ndarray:
    """The output node's value as (rows, K) float64 (one tensor, or a one-tensor tuple)."""
    while isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"the model returns {len(value)} outputs; ISM reads models with one output tensor")
        value = value[0]
    return value.detach().reshape(rows, -1).double().numpy()


def _reduction_stats(plan: LocalPlan, ref: dict) -> dict:
    """Per reduced local tensor: float64 prefix sums over the length, or prefix and suffix maxima."""
    import torch

    stats: dict = {}
    for red, u in plan.reductions.values():
        v = ref[u]
        if red.kind == "max":
            neg = torch.full(v.shape[:2] + (1,), -torch.inf, dtype=v.dtype)
            prefix = torch.cat([neg, torch.cummax(v, dim=-1).values], dim=-1)  # max over [0, j)
            suffix = torch.cat([torch.flip(torch.cummax(torch.flip(v, [-1]), dim=-1).values, [-1]), neg], dim=-1)
            stats[(u, "max")] = (prefix, suffix)
        else:
            zero = torch.zeros(v.shape[:2] + (1,), dtype=torch.float64)
            stats[(u, "sum")] = torch.cat([zero, torch.cumsum(v.double(), dim=-1)], dim=-1)  # sum over [0, j)
    return stats


def _first_layer_tables(plan: LocalPlan, dtype: Any) -> dict:
    """For each convolution reading the one-hot input itself: (5, 4, C, span) the change of its
    output window when the base there (A, C, G, T or N) becomes another (A, C, G, T); the window
    is then the unedited output plus this, with no convolution run."""
    import torch

    tables = {}
    for node, op in plan.ops.items():
        if not isinstance(op, _Conv) or node.args[0] is not plan.placeholder or op.groups != 1 \
                or op.weight.shape[1] != 4:
            continue
        w = op.weight.detach().to(dtype)  # (C, 4, k)
        C, _, k = w.shape
        d = op.dilation
        cols = torch.zeros((5, C, d * (k - 1) + 1), dtype=dtype)  # each base's weight at each window offset
        cols[:4, :, ::d] = w.permute(1, 0, 2).flip(-1)  # offset j = d (k - 1 - t)
        tables[node] = cols[None, :4] - cols[:, None]  # [old, new]
    return tables


def run_rows(plan: LocalPlan, ref: LocalReference, seq: np.ndarray, pos: np.ndarray, new: Any,
             first_layer: dict | None = None) -> np.ndarray:
    """Outputs (R, K) float64 of R edited sequences: row r is sequence ``seq[r]`` of ``ref``'s
    group with one-hot ``new[r]`` (R, 4, width) written at positions ``pos[r]`` .. ``pos[r] +
    width - 1`` (the plan's width). ``first_layer`` optionally gives, for convolutions reading the
    input, the change of their output window (R, C, span) (see :func:`_first_layer_tables`)."""
    import torch
    import torch.fx

    gm = plan.graph_module
    modules = dict(gm.named_modules())
    margin, padded, values = ref.margin, ref.padded, ref.values
    sq = torch.from_numpy(np.asarray(seq, np.int64))
    ps = torch.from_numpy(np.asarray(pos, np.int64))
    windows = {plan.placeholder: new}

    def cut(node: Any, a: int, b: int) -> Any:
        """(R, C, b - a + 1): the node's unedited values at p + a .. p + b for each row."""
        return padded[node].unfold(-1, b - a + 1, 1)[sq, :, ps + a + margin]

    def window(node: Any, lo: int, hi: int) -> Any:
        """(R, C, hi - lo + 1): node's values at p + lo .. p + hi for each row, edits included."""
        if node not in windows:
            return cut(node, lo, hi)
        wlo, whi = plan.spans[node]
        if (wlo, whi) == (lo, hi):
            return windows[node]
        parts = [cut(node, lo, wlo - 1)] if wlo > lo else []
        parts.append(windows[node])
        if hi > whi:
            parts.append(cut(node, whi + 1, hi))
        return torch.cat(parts, dim=-1)

    def inside(node: Any, lo: int, hi: int) -> Any:
        """(R, 1, W) 1 where p + lo .. p + hi lies in the node's tensor, or None where all do."""
        L = values[node].shape[-1]
        if int(ps.min()) + lo >= 0 and int(ps.max()) + hi < L:
            return None
        q = ps[:, None] + torch.arange(lo, hi + 1)[None, :]
        return ((q >= 0) & (q < L))[:, None, :]

    with torch.no_grad():
        for node, op in plan.ops.items():
            lo, hi = plan.spans[node]
            if first_layer is not None and node in first_layer:
                out = window(node, lo, hi) + first_layer[node]
            elif isinstance(op, _Conv):
                import torch.nn.functional as F

                u = node.args[0]
                ulo, uhi = plan.spans[u]
                reach = op.dilation * (op.width - 1)
                out = F.conv1d(window(u, ulo - reach, uhi + reach), op.weight, op.bias, 1, 0, op.dilation, op.groups)
            else:
                def value(a: Any, lo: int = lo, hi: int = hi) -> Any:
                    return window(a, lo, hi) if a in plan.spans else values[a]
                args = torch.fx.node.map_arg(node.args, value)
                kwargs = torch.fx.node.map_arg(node.kwargs, value)
                if node.op == "call_module":
                    out = modules[str(node.target)](*args, **kwargs)
                elif node.op == "call_method":
                    out = getattr(args[0], node.target)(*args[1:], **kwargs)
                else:
                    out = node.target(*args, **kwargs)
            mask = inside(node, lo, hi)
            windows[node] = out if mask is None else out * mask.to(out.dtype)
        env: dict = {node: None for node in plan.spans}
        for node, (red, u) in plan.reductions.items():
            lo, hi = plan.spans[u]
            mut = windows[u]
            L = values[u].shape[-1]
            a = (ps + lo).clamp(0, L)
            b = (ps + hi + 1).clamp(0, L)
            if red.kind == "max":
                prefix, suffix = ref.stats[(u, "max")]
                rest = torch.maximum(prefix[sq, :, a], suffix[sq, :, b])  # (R, C): the positions not in the window
                mask = inside(u, lo, hi)
                if mask is not None:
                    mut = torch.where(mask, mut, torch.full_like(mut, -torch.inf))
                val = torch.maximum(rest, mut.amax(dim=-1))
            else:
                cs = ref.stats[(u, "sum")]  # (G, C, L + 1)
                total = cs[sq, :, -1] + (mut.sum(dim=-1).double() - (cs[sq, :, b] - cs[sq, :, a]))
                val = (total / L if red.kind == "mean" else total).to(mut.dtype)
            if red.keepdim:
                val = val[..., None]
            env[node] = _MaxResult((val, None)) if red.tuple_out else val
        for node in plan.boundary:
            v = values[node]
            _, C, L = v.shape
            R = len(ps)
            lo, hi = plan.spans[node]
            q = ps[:, None] + torch.arange(lo, hi + 1)[None, :]
            idx = torch.where((q >= 0) & (q < L), q, L)  # outside: a spare column, cut after
            full = torch.cat([v[sq], v.new_zeros((R, C, 1))], dim=-1)
            full.scatter_(2, idx[:, None, :].expand(R, C, idx.shape[1]), windows[node])
            env[node] = full[..., :L]
        result = torch.fx.Interpreter(gm).run(initial_env=env, enable_io_processing=False)
    return _flat(result, len(ps))
