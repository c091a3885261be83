"""PyTorch side of Theorem 2 (needs torch; the rest of exactpwm never imports it).

* :func:`pwm_model_from_torch` reads the first layers of a model (Conv1d [, BatchNorm1d],
  activation, pooling, Linear) into a numpy :class:`exactpwm.PWMModel`;
* :func:`pwm_model_from_sequential` finds them at the start of an ``nn.Sequential`` and
  also returns the layers after the dense one;
* :class:`PWMModule` is an ``nn.Module`` computing the same outputs from the PWMs, in
  torch (one-hot (B, 4, n) input, all-zero columns for N), followed by any remaining layers.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover
    raise ImportError("exactpwm.interpret.torch_model needs torch: pip install 'exactpwm[torch]'") from exc

from exactpwm.core.types import Strand
from exactpwm.interpret.pwm_model import PWMModel

__all__ = ["pwm_model_from_torch", "pwm_model_from_sequential", "PWMModule", "first_conv", "kernels_from_module"]

_ACT = {nn.ReLU: "relu", nn.Identity: "linear"}


def _np(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def pwm_model_from_torch(conv: nn.Conv1d, dense: nn.Linear, *, batchnorm: nn.BatchNorm1d | None = None,
                         activation: str = "relu", pooling: str = "max", pool_size: int | None = None,
                         pool_stride: int | None = None, strand: Strand = "+", base: float = math.e) -> PWMModel:
    """The PWM model of conv -> [batchnorm] -> activation -> pooling -> dense
    (see :mod:`exactpwm.interpret.pwm_model`)."""
    if not isinstance(conv, nn.Conv1d) or conv.in_channels != 4 or conv.groups != 1:
        raise ValueError("conv must be an nn.Conv1d with in_channels=4 (one-hot A, C, G, T) and groups=1")
    if conv.padding_mode != "zeros":
        raise ValueError(f"only zero padding is exact (N columns); this conv pads with {conv.padding_mode!r}")
    padding = conv.padding if isinstance(conv.padding, str) else conv.padding[0]
    bn = None if batchnorm is None else _bn_stats(batchnorm)
    return PWMModel.from_layers(
        _np(conv.weight), None if conv.bias is None else _np(conv.bias), batchnorm=bn, dilation=conv.dilation[0],
        padding=padding, stride=conv.stride[0], activation=activation, pooling=pooling, pool_size=pool_size,
        pool_stride=pool_stride, strand=strand, dense_weight=_np(dense.weight),
        dense_bias=None if dense.bias is None else _np(dense.bias), base=base)


def _bn_stats(batchnorm: nn.BatchNorm1d) -> dict:
    """gamma, beta, mean, var, eps of an eval-mode BatchNorm1d, for :func:`exactpwm.fold_batchnorm`."""
    if batchnorm.training or not batchnorm.track_running_stats:
        raise ValueError("fold BatchNorm in eval mode with running statistics (call model.eval())")
    n = batchnorm.num_features
    return dict(gamma=_np(batchnorm.weight) if batchnorm.affine else np.ones(n),
                beta=_np(batchnorm.bias) if batchnorm.affine else np.zeros(n),
                mean=_np(batchnorm.running_mean), var=_np(batchnorm.running_var), eps=batchnorm.eps)


def first_conv(model: nn.Module) -> nn.Conv1d:
    """The first nn.Conv1d over one-hot DNA (in_channels 4) inside any module, in registration order."""
    for m in model.modules():
        if isinstance(m, nn.Conv1d) and m.in_channels == 4:
            return m
    raise ValueError(f"no nn.Conv1d with in_channels=4 in this {type(model).__name__}")


def kernels_from_module(model: nn.Module, batchnorm: nn.BatchNorm1d | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(kernels (K, 4, L_eff) float64, bias (K,)) of a model's first DNA convolution, with its
    dilation expanded and ``batchnorm`` (eval mode) folded in, ready for :func:`exactpwm.kernel_to_pwm`."""
    from exactpwm.interpret.pwm_model import expand_dilation, fold_batchnorm

    conv = first_conv(model)
    W = _np(conv.weight)
    b = np.zeros(W.shape[0]) if conv.bias is None else _np(conv.bias)
    if batchnorm is not None:
        W, b = fold_batchnorm(W, b, **_bn_stats(batchnorm))
    return expand_dilation(W, conv.dilation[0]), b


def _pool_of(m) -> tuple[str, int | None, int | None] | None:
    if isinstance(m, (nn.AdaptiveMaxPool1d, nn.AdaptiveAvgPool1d)):
        size = m.output_size if isinstance(m.output_size, int) else m.output_size[0]
        if size != 1:
            raise ValueError(f"{type(m).__name__}({size}) is not supported: use output size 1 (global pooling)")
        return ("max" if isinstance(m, nn.AdaptiveMaxPool1d) else "avg"), None, None
    if isinstance(m, (nn.MaxPool1d, nn.AvgPool1d)):
        def one(v):
            return v if isinstance(v, int) else v[0]

        if one(m.padding) != 0 or getattr(m, "ceil_mode", False) or one(getattr(m, "dilation", 1)) != 1:
            raise ValueError(f"{m}: only pooling without padding, dilation or ceil_mode is supported")
        return ("max" if isinstance(m, nn.MaxPool1d) else "avg"), one(m.kernel_size), one(m.stride)
    return None


def pwm_model_from_sequential(model: nn.Sequential, base: float = math.e) -> tuple[PWMModel, nn.Sequential]:
    """Split ``Conv1d, [BatchNorm1d], [ReLU | Identity], pooling, [Flatten], [Dropout], Linear, rest...``
    into (PWM model of the first layers, ``nn.Sequential(rest...)``). The model should be in eval mode."""
    layers = list(model)
    i = 0

    def take(kind):
        nonlocal i
        if i < len(layers) and isinstance(layers[i], kind):
            i += 1
            return layers[i - 1]
        return None

    conv = take(nn.Conv1d)
    if conv is None:
        raise ValueError("the model must start with an nn.Conv1d over one-hot DNA")
    bn = take(nn.BatchNorm1d)
    act = take((nn.ReLU, nn.Identity))
    pool = _pool_of(layers[i]) if i < len(layers) else None
    if pool is None:
        found = layers[i] if i < len(layers) else "nothing"
        raise ValueError(f"expected a pooling layer after the convolution, found {found}")
    i += 1
    take(nn.Flatten)
    while take(nn.Dropout) is not None:
        pass
    dense = take(nn.Linear)
    if dense is None:
        raise ValueError("expected an nn.Linear after the pooling (and Flatten/Dropout)")
    kind, size, stride = pool
    pm = pwm_model_from_torch(conv, dense, batchnorm=bn, activation=_ACT[type(act)] if act is not None else "linear",
                              pooling=kind, pool_size=size, pool_stride=stride, base=base)
    return pm, nn.Sequential(*layers[i:])


class PWMModule(nn.Module):
    """A PWM model as an ``nn.Module``: one-hot (B, 4, n) in, the original network's outputs out.

    The convolution is replaced by PWM log-likelihoods (``log_pwms``, nats) thresholded per window
    at ``tau``; the dense layer holds the original weights divided by ln b. ``rest`` (optional)
    is applied after the dense layer, e.g. the remaining layers of the original model.
    """

    def __init__(self, pm: PWMModel, rest: nn.Module | None = None, dtype=torch.float64):
        super().__init__()
        self.pm = pm
        self.register_buffer("log_pwms", torch.tensor(pm.log_pwms, dtype=dtype))
        self.register_buffer("lam", torch.tensor(pm.lam[:, None, :], dtype=dtype))
        self.register_buffer("tau", torch.tensor(pm.tau, dtype=dtype))
        self.dense = nn.Linear(pm.dense_weight.shape[1], pm.dense_weight.shape[0]).to(dtype)
        with torch.no_grad():
            self.dense.weight.copy_(torch.tensor(pm.dense_weight))
            self.dense.bias.copy_(torch.tensor(pm.dense_bias))
        self.rest = rest

    def _scores(self, x):
        """(B, K, m): ll - tau for one strand of one-hot x."""
        import torch.nn.functional as F

        left, right = self.pm.padding
        x = F.pad(x, (left, right))
        real = x.sum(dim=1, keepdim=True)  # 1 for A/C/G/T, 0 for N and padding
        ll = F.conv1d(x, self.log_pwms, stride=self.pm.stride)
        lam_real = F.conv1d(real, self.lam, stride=self.pm.stride)  # sum of lam over real columns
        tau = self.tau[None, :, None] + self.lam.sum(dim=(1, 2))[None, :, None] - lam_real
        return ll - tau

    def forward(self, x):
        import torch.nn.functional as F

        x = x.to(self.log_pwms.dtype)
        strands = [x] if self.pm.strand == "+" else [x, torch.flip(x, dims=(1, 2))]
        pooled = []
        for s in strands:
            z = self._scores(s)
            if self.pm.activation == "relu":
                z = F.relu(z)
            if self.pm.pool_size is None:
                p = z.amax(dim=-1) if self.pm.pooling == "max" else z.mean(dim=-1)
            else:
                pool = F.max_pool1d if self.pm.pooling == "max" else F.avg_pool1d
                p = pool(z, self.pm.pool_size, self.pm.pool_stride).flatten(1)
            pooled.append(p)
        feats = pooled[0] if len(pooled) == 1 else torch.maximum(pooled[0], pooled[1])
        y = self.dense(feats)
        if self.rest is None:
            return y
        p = next(self.rest.parameters(), None)
        return self.rest(y if p is None else y.to(p.dtype))
