"""Any CNN, exactly: its first DNA convolution rebuilt as a PWM layer (Theorem 1; needs torch).

A first-layer ``Conv1d`` over one-hot DNA computes, for kernel k and any window x (4, L),

    conv_k(x) = sum_l sum_c x[c, l] W[k, c, l] + bias_k.

With the exact PWM P = P(W, b) of :func:`exactpwm.kernel_to_pwm` and the column normalisers
lam[k, l] = log_b sum_c b^W[k, c, l], every weight splits as W[k, c, l] = log_b P[k, c, l] + lam[k, l], so

    conv_k(x) = sum_l sum_c x[c, l] log_b P[k, c, l]  +  sum_l (sum_c x[c, l]) lam[k, l]  +  bias_k

for **any** input, one-hot or not: the first term is the PWM's log-likelihood of the window
(log_b P(x) for a one-hot window), the second counts each column's normaliser once per letter it
holds (an N column or padding holds none), and for a full one-hot window the last two are the
per-kernel constant ``offset`` of Theorem 1. :class:`PWMConv1d` computes exactly that, so a model
whose first convolution is replaced by it gives the same outputs to float rounding, whatever
follows: any activation, pooling, depth, recurrence or attention. :func:`pwm_equivalent` makes
that replacement in a copy of any ``nn.Module``.

The exponential activation, read exactly: at base e, ``exp(conv_k(x))`` of a full one-hot window
is ``P(x | PWM_k) * exp(offset_k)``, a likelihood ratio against the constant ``exp(-offset_k)``
(:meth:`PWMConv1d.likelihood_ratio`).
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any, cast

import numpy as np

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as exc:  # pragma: no cover
    raise ImportError("exactpwm.interpret.pwm_layer needs torch: pip install 'exactpwm[torch]'") from exc

from exactpwm.core._checks import log_base
from exactpwm.core.errors import ExactpwmWarning, InputTypeError

__all__ = ["PWMConv1d", "pwm_equivalent", "find_dna_conv", "find_dna_convs", "equivalent_state_dict", "load_equivalent"]


class PWMConv1d(nn.Module):
    """A DNA ``Conv1d`` as PWMs: ``forward(x)`` equals the convolution's output for any (B, 4, n) input.

    Buffers are in the convolution's dtype.

    Attributes
    ----------
    pwms : (K, 4, L) tensor
        Probabilities P(W, b), rows A, C, G, T (for a dilated kernel: its taps).
    log_pwms : (K, 4, L) tensor
        Natural logs of ``pwms``.
    lam : (K, L) tensor
        Column normalisers log_b sum_c b^W.
    bias : (K,) tensor
        The convolution's bias (zeros if it had none).
    offsets : (K,) tensor
        Theorem 1's constant, sum_l lam + bias: conv = log_b P(window) + offset for a full window.
    tau : (K,) tensor
        ``-offsets``: the log_b-likelihood at which the pre-activation is 0.
    log_base : () tensor
        ln b; :attr:`base` gives b.
    stride, padding, dilation : int (padding may be ``"same"``)
        As the convolution's.
    """

    log_pwms: torch.Tensor
    pwms: torch.Tensor
    lam: torch.Tensor
    bias: torch.Tensor
    offsets: torch.Tensor
    tau: torch.Tensor
    log_base: torch.Tensor

    def __init__(self, conv: nn.Conv1d, base: float = math.e) -> None:
        super().__init__()
        check_dna_conv(conv, "this Conv1d")
        lb = log_base(base)
        W = conv.weight.detach().to(torch.float64)
        lam = torch.logsumexp(W * lb, dim=1) / lb  # (K, L): log_b sum_c b^W
        log_p = (W - lam[:, None, :]) * lb  # natural log of P = b^(W - lam)
        dtype = conv.weight.dtype
        bias = conv.bias.detach().to(torch.float64) if conv.bias is not None else torch.zeros(W.shape[0],
                                                                                                dtype=torch.float64)
        self.stride, self.dilation = conv.stride[0], conv.dilation[0]
        self.padding: Any = conv.padding if isinstance(conv.padding, str) else conv.padding[0]
        self.register_buffer("log_pwms", log_p.to(dtype))
        self.register_buffer("pwms", log_p.exp().to(dtype))
        self.register_buffer("lam", lam.to(dtype))
        self.register_buffer("bias", bias.to(dtype))
        self.register_buffer("offsets", (lam.sum(dim=1) + bias).to(dtype))
        self.register_buffer("tau", (-(lam.sum(dim=1) + bias)).to(dtype))
        self.register_buffer("log_base", torch.tensor(lb, dtype=dtype))

    @property
    def base(self) -> float:
        """The log base b > 1 of the PWMs."""
        return float(math.exp(float(self.log_base)))

    @property
    def weight(self) -> torch.Tensor:
        """(K, 4, L) the exact equivalent convolution weight, log_b P + lam (the original kernels to
        float rounding), for models that read ``conv.weight`` in their own ``forward`` (e.g. a
        strand-shared ``F.conv1d(x, conv.weight.flip(1, 2), conv.bias)``); ``bias`` is the bias."""
        return self.log_pwms / self.log_base + self.lam[:, None, :]

    def _conv(self, x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        return F.conv1d(x, w, bias, self.stride, self.padding, self.dilation)

    def log_likelihoods(self, x: torch.Tensor) -> torch.Tensor:
        """(B, K, m) natural-log likelihood of each window under each PWM (N columns and padding
        contribute nothing: their letters are unknown)."""
        return self._conv(x, self.log_pwms, None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, K, m): log_b-likelihoods plus each column's normaliser per letter it holds, plus the
        bias; equal to the original convolution's output for any input x (B, 4, n)."""
        letters = x.sum(dim=1, keepdim=True)
        return self._conv(x, self.log_pwms / self.log_base, None) + self._conv(letters, self.lam[:, None, :], self.bias)

    def likelihood_ratio(self, x: torch.Tensor) -> torch.Tensor:
        """(B, K, m) ``b ** forward(x)``: for a full one-hot window, P(window | PWM_k) * b^offset_k,
        the likelihood against the constant b^-offset_k. At base e this is exactly the
        exponential activation ``exp(conv(x))`` (Koo & Ploenzke's interpretable first layer)."""
        return torch.exp(self(x) * self.log_base)

    def scores(self, sequences: Any, *, threads: int = 0, backend: str = "auto") -> np.ndarray:
        """The layer's output for sequences given as letters or codes, on exactpwm's engine
        (numpy, no torch graph): (S, K, m) float64, as :func:`exactpwm.conv1d` lays it out.

        Needs stride 1, no padding and no dilation (the engine's windows); N scores 0, as an
        all-zero one-hot column does.
        """
        from exactpwm.core.scoring import conv1d

        if self.stride != 1 or self.padding not in (0, "valid") or self.dilation != 1:
            raise ValueError("scores() runs the engine's plain windows: stride 1, no padding, no dilation; "
                             "call the module on one-hot tensors for the others")
        kernels = (self.log_pwms.double() / self.log_base.double() + self.lam.double()[:, None, :]).cpu().numpy()
        return conv1d(sequences, kernels, self.bias.double().cpu().numpy(), dtype=np.float64, threads=threads,
                      backend=backend)

    def extra_repr(self) -> str:
        K, _, L = self.pwms.shape
        return (f"{K} PWMs of width {L}, base={self.base:.6g}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}")


def check_dna_conv(conv: nn.Module, where: str) -> None:
    """A clear error unless ``conv`` is a plain Conv1d over the 4 letters (groups 1, zero padding)."""
    if not isinstance(conv, nn.Conv1d):
        raise ValueError(f"{where} is a {type(conv).__name__}, not an nn.Conv1d")
    if conv.in_channels != 4:
        raise ValueError(f"{where} reads {conv.in_channels} channels; a PWM layer needs the 4 one-hot letters "
                         "A, C, G, T (extra input channels have no PWM reading)")
    if conv.groups != 1:
        raise ValueError(f"{where} is a grouped (groups={conv.groups}) or depthwise convolution; a PWM needs every "
                         "kernel to read all 4 letters (groups=1)")
    if conv.padding_mode != "zeros":
        raise ValueError(f"{where} pads with {conv.padding_mode!r}; only zero padding reads as unknown letters")


def find_dna_conv(model: nn.Module) -> str:
    """The qualified name of the first Conv1d the model applies to its input, in execution order
    when ``torch.fx`` can trace the model, else in registration order. Errors name the layer."""
    return find_dna_convs(model)[0]


# shape, dtype and strand operations: their output is still the one-hot DNA (or its reverse
# complement, a window of it, or it zero-padded)
_DNA_METHODS = {"permute", "transpose", "view", "reshape", "contiguous", "float", "double", "half", "to", "type",
                "flip", "clone", "detach", "unsqueeze", "squeeze", "__getitem__", "flatten", "type_as"}
_DNA_FUNCTIONS = {"flip", "transpose", "permute", "reshape", "cat", "stack", "pad", "getitem", "swapaxes",
                  "movedim", "unsqueeze", "squeeze", "contiguous"}
_CONV_FUNCTIONS = {"conv1d"}


def _target_name(node: Any) -> str:
    t = node.target
    return t if isinstance(t, str) else getattr(t, "__name__", str(t))


def find_dna_convs(model: nn.Module) -> list[str]:
    """The qualified names of every Conv1d that reads the model's DNA input (parallel branches,
    both strands), in execution order, found by tracing the model with ``torch.fx``: a convolution
    reads the DNA when its input is the model's input after shape, strand and padding operations
    only. Each is checked (4 letters, groups 1, zero padding); errors name the layer.

    A functional ``F.conv1d`` on the DNA is accepted when its weight is one of these modules'
    (a strand-shared model reusing ``self.conv.weight``: the PWM layer exposes the exact equivalent
    ``weight`` and ``bias``), and refused otherwise, naming it. An untraceable model falls back to
    the first Conv1d in registration order, and is refused when several Conv1d read 4 channels
    (which of them read the DNA cannot be told): name them with ``pwm_equivalent(layers=...)``.
    """
    names = dict(model.named_modules())
    try:
        import torch.fx

        graph = torch.fx.symbolic_trace(model).graph
    except Exception as exc:  # noqa: BLE001 - untraceable control flow: fall back to registration order
        convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv1d)]
        if not convs:
            raise ValueError(f"no nn.Conv1d in this {type(model).__name__}: nothing to rebuild as PWMs") from None
        four = [n for n in convs if names[n].in_channels == 4]
        if len(four) > 1:
            raise ValueError(f"torch.fx cannot trace this {type(model).__name__} ({type(exc).__name__}), and "
                             f"{len(four)} Conv1d read 4 channels ({', '.join(four)}): which of them read the DNA "
                             "cannot be told; name them: pwm_equivalent(model, layers=[...])") from None
        check_dna_conv(names[convs[0]], f"the first convolution {convs[0]!r}")
        return [convs[0]]
    dna: set = set()
    found: list[str] = []
    functional: list[tuple[str, str | None]] = []
    order: list[str] = []
    fed_by: dict[str, str] = {}
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    if placeholders:
        dna.add(placeholders[0])
    for node in graph.nodes:
        reads_dna = any(a in dna for a in _flat_args(node.args[:1]))  # the first argument (a list for cat)
        if node.op == "call_module":
            target = str(node.target)
            order.append(target)
            if isinstance(names.get(target), nn.Conv1d):
                if reads_dna and target not in found:
                    found.append(target)
                src = _upstream_module(node, names)
                if src is not None:
                    fed_by[target] = src
        elif node.op == "call_method" and reads_dna and _target_name(node) in _DNA_METHODS:
            dna.add(node)
        elif node.op == "call_function" and reads_dna:
            fn = _target_name(node)
            if fn in _CONV_FUNCTIONS:
                weight = node.args[1] if len(node.args) > 1 else node.kwargs.get("weight")
                owner = _weight_owner(weight)
                functional.append((node.name, owner))
            elif fn in _DNA_FUNCTIONS:
                dna.add(node)
    if not found and not functional:
        convs = [n for n in order if isinstance(names.get(n), nn.Conv1d)]
        if not convs:
            raise ValueError(f"no nn.Conv1d in this {type(model).__name__}: nothing to rebuild as PWMs")
        first = convs[0]
        if first in fed_by and isinstance(names[fed_by[first]], nn.Embedding):
            raise ValueError(f"layer {first!r} is fed by the embedding {fed_by[first]!r}, not by one-hot DNA: "
                             "its kernels have no PWM reading")
        found = [first]
    for node_name, owner in functional:
        if owner is None or owner not in names or not isinstance(names[owner], nn.Conv1d):
            raise ValueError(f"the functional convolution {node_name!r} reads the DNA with a weight that is not an "
                             "nn.Conv1d's: it cannot be rebuilt as PWMs; make it an nn.Conv1d module")
        if owner not in found:
            found.append(owner)
    for n in found:
        check_dna_conv(names[n], f"the convolution {n!r}, which reads the DNA input,")
    return found


def _flat_args(args: Any) -> list:
    out: list = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flat_args(a))
        else:
            out.append(a)
    return out


def _weight_owner(weight: Any) -> str | None:
    """The module owning a functional conv's weight: 'conv' for ``self.conv.weight`` (possibly
    flipped or reshaped on the way), else None."""
    cur = weight
    for _ in range(20):
        if cur is None or not hasattr(cur, "op"):
            return None
        if cur.op == "get_attr":
            owner, _, attr = str(cur.target).rpartition(".")
            return owner if attr == "weight" else None
        if cur.op in ("call_method", "call_function") and cur.args:
            cur = cur.args[0]
            continue
        return None
    return None


def _upstream_module(node: Any, names: dict) -> str | None:
    """The module whose output reaches ``node``'s input through shape operations only, if any."""
    cur = node.args[0] if node.args else None
    for _ in range(20):
        if cur is None or not hasattr(cur, "op"):
            return None
        if cur.op == "call_module":
            return str(cur.target)
        if cur.op in ("call_method", "call_function") and cur.args:
            cur = cur.args[0]
            continue
        return None
    return None


def pwm_equivalent(model: nn.Module, base: float = math.e, *, fold_batchnorm: bool = False,
                   layers: list[str] | None = None) -> nn.Module:
    """A copy of ``model`` whose DNA Conv1d layers are :class:`PWMConv1d`: the same outputs (to
    float rounding) for any input, whatever comes after them.

    Every Conv1d that reads the DNA input is rebuilt (parallel branches of several widths, both
    strands; see :func:`find_dna_convs`), or the model is refused naming the layer; never a
    partial copy. A model that reads a converted convolution's ``weight``/``bias`` in its own
    ``forward`` (a strand-shared ``F.conv1d(x, self.conv.weight.flip(1, 2), ...)``) gets the exact
    equivalent weight and bias from the PWM layer.

    model : any ``nn.Module`` (Sequential or not). A model in train mode is converted with eval
        semantics (a warning says so; dropout and batch statistics are not PWM quantities).
    base : the log base b > 1 of the PWMs (fit one by maximum likelihood with :func:`exactpwm.fit_base`
        to read them; outputs are exact for any b).
    fold_batchnorm : fold a BatchNorm1d that directly follows a converted convolution into its
        PWMs (it is replaced by ``nn.Identity``); by default it is kept.
    layers : the names of the convolutions to rebuild (default: every one that reads the DNA);
        needed only for a model ``torch.fx`` cannot trace that has several 4-channel Conv1d.
    """
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"expected an nn.Module, got {type(model).__name__}")
    if model.training:
        warnings.warn("the model is in train mode: it is converted with eval semantics (model.eval()); "
                      "dropout and batch statistics have no PWM reading", ExactpwmWarning, stacklevel=2)
    log_base(base)
    twin = copy.deepcopy(model).eval()
    if layers is None:
        layers = find_dna_convs(twin)
    else:
        known = dict(twin.named_modules())
        for name in layers:
            if name not in known:
                raise ValueError(f"the model has no layer {name!r}")
            check_dna_conv(known[name], f"layer {name!r}")
    for name in layers:
        conv = cast(nn.Conv1d, twin.get_submodule(name))
        if fold_batchnorm:
            conv, bn_name = _folded(twin, name, conv)
            if bn_name is not None:
                _set(twin, bn_name, nn.Identity())
        _set(twin, name, PWMConv1d(conv, base))
    return twin


def _folded(model: nn.Module, name: str, conv: nn.Conv1d) -> tuple[nn.Conv1d, str | None]:
    """The conv with the BatchNorm1d that consumes its output folded in, and that BatchNorm's name."""
    import torch.fx

    try:
        graph = torch.fx.symbolic_trace(model).graph
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"cannot trace the model to find the BatchNorm after {name!r}: {exc}") from None
    node = next(n for n in graph.nodes if n.op == "call_module" and str(n.target) == name)
    users = list(node.users)
    bn = model.get_submodule(str(users[0].target)) if len(users) == 1 and users[0].op == "call_module" else None
    if not isinstance(bn, nn.BatchNorm1d):
        raise ValueError(f"no BatchNorm1d directly after {name!r} to fold")
    if not bn.track_running_stats or bn.running_var is None or bn.running_mean is None:
        raise ValueError(f"BatchNorm {users[0].target!r} keeps no running statistics: it cannot be folded")
    var, mean = bn.running_var, bn.running_mean
    folded = copy.deepcopy(conv)
    with torch.no_grad():
        g = (bn.weight if bn.affine else torch.ones_like(var)) / torch.sqrt(var + bn.eps)
        h = (bn.bias if bn.affine else torch.zeros_like(mean)) - g * mean
        folded.weight.mul_(g[:, None, None])
        b = folded.bias if folded.bias is not None else torch.zeros_like(h)
        folded.bias = nn.Parameter(g * b + h)
    return folded, str(users[0].target)


def _set(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, module)


def equivalent_state_dict(state: dict, conv: str, base: float = math.e) -> dict:
    """A model's ``state_dict`` with its DNA convolution ``conv`` (a module name, e.g. ``"0"`` or
    ``"stem"``) replaced by the PWM layer's buffers, for :func:`load_equivalent`. Needs only the
    weights: ``exactpwm convert model.pt --equivalent model_pwm.pt`` writes it."""
    wkey, bkey = f"{conv}.weight", f"{conv}.bias"
    if wkey not in state:
        raise ValueError(f"no {wkey!r} in the state_dict")
    W = torch.as_tensor(state[wkey])
    if W.ndim != 3 or W.shape[1] != 4:
        raise ValueError(f"{wkey!r} has shape {tuple(W.shape)}, not (K, 4, L): not a DNA convolution")
    shell = nn.Conv1d(4, W.shape[0], W.shape[2], bias=bkey in state).to(W.dtype)
    with torch.no_grad():
        shell.weight.copy_(W)
        if shell.bias is not None:
            shell.bias.copy_(torch.as_tensor(state[bkey]))
    layer = PWMConv1d(shell, base)
    out = {k: v for k, v in state.items() if k not in (wkey, bkey)}
    out.update({f"{conv}.{k}": v for k, v in layer.state_dict().items()})
    return out


def load_equivalent(model: nn.Module, state: Any) -> nn.Module:
    """Load a PWM-layer state (a dict or a path from :func:`equivalent_state_dict` / ``torch.save``
    of a :func:`pwm_equivalent` model) into ``model``, an instance of the original architecture:
    its first DNA Conv1d becomes a :class:`PWMConv1d` (stride, padding and dilation from the model).
    Returns the model, in eval mode."""
    if not isinstance(state, dict):
        state = torch.load(state, map_location="cpu", weights_only=True)
    name = find_dna_conv(model)
    key = f"{name}.log_base"
    if key not in state:
        raise ValueError(f"the state has no {key!r}: it does not hold a PWM layer for {name!r} "
                         "(write it with exactpwm convert --equivalent, or save a pwm_equivalent model)")
    _set(model, name, PWMConv1d(cast(nn.Conv1d, model.get_submodule(name)), math.exp(float(state[key]))))
    model.load_state_dict(state)
    return model.eval()
