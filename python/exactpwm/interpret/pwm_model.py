"""Theorem 2: a CNN's first layers rebuilt on PWM log-likelihoods, with the same outputs.

Supported first layers (what DeepBind-style and Koo & Eddy-style models use)::

    conv (K kernels, 4 x L, any dilation, stride, zero 'same'/int padding)
      [-> BatchNorm (eval: running statistics), folded into the kernels]
      -> ReLU or linear activation
      -> max or average pooling: global, or local (size, stride) then flatten
      [strand="both": the conv is also applied to the reverse complement and the
       pooled features are the larger of the two strands' (global pooling only)]
      -> dense layer (M x features), whose output this model reproduces.

The algebra (b > 1 any base, kernels after folding, cross-correlation as in PyTorch):
with PWMs ``P = softmax_b(W)`` column by column and ``lam[k, l] = ln sum_c b**W[k, c, l]``,
every window's convolution score is

    conv[k, j] = (ll[k, j] - tau[k, j]) / ln b,
    ll[k, j]  = sum over real columns l of ln P[k, x[j+l], l]        (natural log)
    tau[k, j] = -ln b * bias[k] - sum over real columns l of lam[k, l]

where a column is *real* when it holds A, C, G or T: N and zero padding are
one-hot-zero columns, which add nothing to the convolution and are marginalised out of
the PWM likelihood. Away from N and padding ``tau[k, j] = tau[k]`` (the attribute ``tau``), a constant.
ReLU and both poolings commute with the positive factor 1 / ln b, so the network is
unchanged when the convolution is replaced by the PWM log-likelihoods thresholded at
``tau`` and the dense weights are divided by ln b:

    output = (dense_weight / ln b) @ pool(act(ll - tau)) + dense_bias

Sequences: letters, (B, n) uint8 codes (A=0, C=1, G=2, T=3, N=4) of equal length, or
one-hot (B, 4, n) arrays whose all-zero columns are N. Outputs are float64.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from exactpwm.core._checks import as_bias, as_kernels, log_base
from exactpwm.core.sequence import check_codes, encode
from exactpwm.core.types import ArrayLike, Sequences, Strand

__all__ = ["PWMModel", "fold_batchnorm", "expand_dilation", "conv_padding"]

ACTIVATIONS = ("relu", "linear")
POOLINGS = ("max", "avg")


def fold_batchnorm(kernels: ArrayLike, bias: ArrayLike | None, gamma: ArrayLike, beta: ArrayLike, mean: ArrayLike,
                   var: ArrayLike, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Fold an eval-mode BatchNorm after the convolution into it.

    BN(conv) = g * conv + h with g = gamma / sqrt(var + eps), h = beta - g * mean, so the
    folded kernels are g[k] * W[k] and the bias g * bias + h. A negative gamma flips the
    kernel's sign (its PWM then prefers what the raw kernel avoided), exactly.
    Shapes: kernels (K, 4, L), every other array (K,).
    """
    W, _ = as_kernels(kernels)
    K = W.shape[0]
    stats = [np.asarray(a, np.float64).reshape(-1) for a in (gamma, beta, mean, var)]
    for name, a in zip(("gamma", "beta", "mean", "var"), stats):
        if a.shape != (K,) or not np.isfinite(a).all():
            raise ValueError(f"batchnorm {name} must be {K} finite values, got shape {a.shape}")
    gamma, beta, mean, var = stats
    if (var + eps <= 0).any():
        raise ValueError("batchnorm var + eps must be > 0")
    g = gamma / np.sqrt(var + eps)
    return W * g[:, None, None], g * as_bias(bias, K, np.float64) + beta - g * mean


def expand_dilation(kernels, dilation: int) -> np.ndarray:
    """A dilated kernel as an ordinary one: (K, 4, L) -> (K, 4, (L - 1) * dilation + 1), zero columns between."""
    W, _ = as_kernels(kernels)
    if not isinstance(dilation, (int, np.integer)) or dilation < 1:
        raise ValueError(f"dilation must be an integer >= 1, got {dilation!r}")
    if dilation == 1:
        return W
    out = np.zeros((W.shape[0], 4, (W.shape[2] - 1) * dilation + 1))
    out[:, :, ::dilation] = W
    return out


def conv_padding(padding, width: int) -> tuple[int, int]:
    """(left, right) zero padding as PyTorch's Conv1d applies it: an int, 'valid', 'same' or a pair."""
    if padding in ("valid", None):
        return 0, 0
    if padding == "same":  # PyTorch: total width - 1, the extra column on the right
        return (width - 1) // 2, width - 1 - (width - 1) // 2
    if isinstance(padding, (int, np.integer)) and padding >= 0:
        return int(padding), int(padding)
    if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
            isinstance(p, (int, np.integer)) and p >= 0 for p in padding):
        return int(padding[0]), int(padding[1])
    raise ValueError(f"padding must be 'valid', 'same', an int >= 0 or (left, right); got {padding!r}")


@dataclass
class PWMModel:
    """The PWM form of a CNN's first layers (see the module docstring for the algebra).

    Attributes
    ----------
    log_pwms : (K, 4, L) float64
        Natural-log PWM probabilities (``pwms`` gives them as probabilities).
    lam : (K, L) float64
        ln sum_c b**W[k, c, l], the per-column normalisers.
    tau : (K,) float64
        The log-likelihood (nats) at which kernel k's pre-activation is 0, away from N and padding
        (a log-likelihood level, not a scan score cut; ``thresholds`` is a deprecated alias).
    dense_weight : (M, K * P) float64
        The dense layer's weights divided by ln b (P pooled positions per kernel, kernel-major as
        PyTorch flattens (K, P)).
    dense_bias : (M,) float64
    """

    log_pwms: np.ndarray
    lam: np.ndarray
    tau: np.ndarray
    dense_weight: np.ndarray
    dense_bias: np.ndarray
    base: float
    padding: tuple[int, int] = (0, 0)
    stride: int = 1
    activation: str = "relu"
    pooling: str = "max"
    pool_size: int | None = None  # None: global pooling
    pool_stride: int | None = None
    strand: Strand = "+"

    @property
    def thresholds(self) -> np.ndarray:
        """Deprecated alias of :attr:`tau` (``thresholds`` elsewhere means a scan score cut)."""
        warnings.warn("PWMModel.thresholds is renamed PWMModel.tau", DeprecationWarning, stacklevel=2)
        return self.tau

    @classmethod
    def from_layers(cls, kernels, bias=None, *, dense_weight, dense_bias=None, batchnorm=None, dilation: int = 1,
                    padding=0, stride: int = 1, activation: str = "relu", pooling: str = "max",
                    pool_size: int | None = None, pool_stride: int | None = None, strand: Strand = "+",
                    base: float = math.e) -> PWMModel:
        """Build from layer parameters (numpy arrays or tensors, PyTorch layouts).

        Parameters
        ----------
        kernels : (K, 4, L) array_like
            Conv1d weights (rows A, C, G, T; use ``to_torch_layout`` for Keras).
        bias : (K,) array_like or None
        batchnorm : dict or None
            ``dict(gamma=, beta=, mean=, var=, eps=)`` of an eval-mode BatchNorm1d(K).
        dense_weight : (M, K * P) array_like
        dense_bias : (M,) array_like or None
        pool_size : int or None
            None for global pooling, else the window of a local MaxPool1d / AvgPool1d (then
            ``pool_stride`` defaults to ``pool_size``, as in PyTorch).
        strand : str
            "+" or "both" (reverse-complement-shared kernels, the larger strand's pooled value).
        """
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if strand not in ("+", "both"):
            raise ValueError(f"strand must be '+' or 'both', got {strand!r}")
        if strand == "both" and pool_size is not None:
            raise ValueError("strand='both' is supported with global pooling only")
        if strand == "both":
            left, right = conv_padding(padding, (np.shape(kernels)[-1] - 1) * dilation + 1)
            if left != right:
                raise ValueError(f"strand='both' needs symmetric padding; {padding!r} pads ({left}, {right})")
        if not isinstance(stride, (int, np.integer)) or stride < 1:
            raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
        if pool_size is not None and (pool_size < 1 or (pool_stride is not None and pool_stride < 1)):
            raise ValueError(f"pool_size and pool_stride must be >= 1, got {pool_size}, {pool_stride}")
        W, _ = as_kernels(kernels)
        b = as_bias(bias, W.shape[0], np.float64)
        if batchnorm is not None:
            W, b = fold_batchnorm(W, b, **batchnorm)
        W = expand_dilation(W, dilation)
        lnb = log_base(base)
        Z = W * lnb
        zmax = Z.max(axis=1, keepdims=True)
        lam = (zmax + np.log(np.exp(Z - zmax).sum(axis=1, keepdims=True)))[:, 0, :]
        log_pwms = Z - lam[:, None, :]
        A = np.asarray(dense_weight, np.float64)
        if A.ndim != 2 or A.shape[1] % W.shape[0] != 0:
            raise ValueError(f"dense_weight must be (M, K * P) with K = {W.shape[0]}, got shape {A.shape}")
        if pool_size is None and A.shape[1] != W.shape[0]:
            raise ValueError(f"global pooling gives {W.shape[0]} features, dense_weight has {A.shape[1]} inputs")
        c = np.zeros(A.shape[0]) if dense_bias is None else np.asarray(dense_bias, np.float64).reshape(-1)
        if c.shape != (A.shape[0],):
            raise ValueError(f"dense_bias must have {A.shape[0]} values, got shape {c.shape}")
        if not (np.isfinite(A).all() and np.isfinite(c).all()):
            raise ValueError("dense weights and bias must be finite")
        return cls(log_pwms=log_pwms, lam=lam, tau=-lnb * b - lam.sum(axis=1), dense_weight=A / lnb,
                   dense_bias=c, base=float(base), padding=conv_padding(padding, W.shape[2]), stride=int(stride),
                   activation=activation, pooling=pooling, pool_size=pool_size,
                   pool_stride=pool_stride if pool_stride is not None else pool_size, strand=strand)

    @property
    def pwms(self) -> np.ndarray:
        """(K, 4, L) probabilities P(W, b)."""
        return np.exp(self.log_pwms)

    @property
    def width(self) -> int:
        return self.log_pwms.shape[2]

    # -------------------------------------------------------------- evaluation
    def codes(self, sequences: Sequences) -> np.ndarray:
        """(B, n + padding) uint8 codes, padded with N: the model's view of the input."""
        if isinstance(sequences, (str, bytes)):
            sequences = [sequences]
        if isinstance(sequences, np.ndarray) and sequences.ndim == 3:
            codes = _codes_from_one_hot(sequences)
        elif isinstance(sequences, np.ndarray):
            codes = check_codes(sequences if sequences.ndim == 2 else sequences[None])
        else:
            rows = [encode(s) if not isinstance(s, np.ndarray) else check_codes(s) for s in sequences]
            if len({r.size for r in rows}) > 1:
                raise ValueError("a CNN takes sequences of one length; these differ")
            codes = np.stack(rows) if rows else np.zeros((0, 0), np.uint8)
        left, right = self.padding
        return np.pad(codes, ((0, 0), (left, right)), constant_values=4) if left or right else codes

    def log_likelihoods(self, sequences: Sequences, *, threads: int = 0) -> np.ndarray:
        """ll: (B, K, m) (or (B, 2, K, m) for strand 'both') natural-log PWM likelihoods of each window,
        N and padding columns marginalised; m windows after padding and stride."""
        return self._log_likelihoods(self._padded(sequences), threads)

    def window_thresholds(self, sequences: Sequences, *, threads: int = 0) -> np.ndarray:
        """tau per window, shaped like :meth:`log_likelihoods`: ``tau`` where the window is all
        real bases, raised by lam of every N or padding column inside it."""
        return self._window_thresholds(self._padded(sequences), threads)

    def features(self, sequences: Sequences, *, threads: int = 0) -> np.ndarray:
        """(B, K * P) pooled PWM activations act(ll - tau), in nats (the dense layer's input times ln b)."""
        x = self._padded(sequences)
        z = self._log_likelihoods(x, threads) - self._window_thresholds(x, threads)
        if self.activation == "relu":
            z = np.maximum(z, 0.0)
        reduce = np.max if self.pooling == "max" else np.mean
        if self.pool_size is None:
            pooled = reduce(z, axis=-1)
            if self.strand == "both":
                pooled = pooled.max(axis=1)
            return pooled
        p, s = self.pool_size, self.pool_stride
        n_out = (z.shape[-1] - p) // s + 1
        if n_out < 1:
            raise ValueError(f"{z.shape[-1]} conv positions are fewer than the pool size {p}")
        idx = np.arange(n_out)[:, None] * s + np.arange(p)[None, :]
        pooled = reduce(z[..., idx], axis=-1)  # (B, K, P)
        return pooled.reshape(pooled.shape[0], -1)

    def _padded(self, sequences) -> np.ndarray:
        x = self.codes(sequences)
        if x.shape[1] < self.width:
            raise ValueError(f"sequences of {x.shape[1]} positions (after padding) are shorter than the kernels "
                             f"({self.width})")
        return x

    def _strand(self) -> Strand:
        return "both" if self.strand == "both" else "+"

    def _log_likelihoods(self, x: np.ndarray, threads: int) -> np.ndarray:
        from exactpwm.core.scoring import conv1d

        return conv1d(x, self.log_pwms, strand=self._strand(), dtype=np.float64, threads=threads)[..., ::self.stride]

    def _window_thresholds(self, x: np.ndarray, threads: int) -> np.ndarray:
        from exactpwm.core.scoring import conv1d

        m = x.shape[1] - self.width + 1
        shape = (x.shape[0],) + ((2,) if self.strand == "both" else ()) + (self.log_pwms.shape[0], m)
        tau = np.empty(shape)
        tau[...] = self.tau[:, None]
        rows = np.flatnonzero((x >= 4).any(axis=1))
        if rows.size:  # sum of lam over the real columns of each window, by the engine
            lam_kernels = np.repeat(self.lam[:, None, :], 4, axis=1)
            real = conv1d(x[rows], lam_kernels, strand=self._strand(), dtype=np.float64, threads=threads)
            tau[rows] += self.lam.sum(axis=1)[:, None] - real
        return tau[..., ::self.stride]

    def __call__(self, sequences, *, threads: int = 0) -> np.ndarray:
        """(B, M) dense-layer outputs: equal to the original network's, to float rounding."""
        f = self.features(sequences, threads=threads)
        if f.shape[1] != self.dense_weight.shape[1]:
            raise ValueError(f"these sequences give {f.shape[1]} pooled features; the dense layer takes "
                             f"{self.dense_weight.shape[1]} (the model was trained on another length)")
        return f @ self.dense_weight.T + self.dense_bias


def _codes_from_one_hot(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.shape[1] != 4:
        raise ValueError(f"one-hot input must be (B, 4, n) with rows A, C, G, T; got shape {x.shape}")
    total = x.sum(axis=1)
    ok = ((x == 0) | (x == 1)).all(axis=1) & (total <= 1)
    if not ok.all():
        b, j = np.argwhere(~ok)[0]
        raise ValueError(f"one-hot input column {j} of sequence {b} is {x[b, :, j].tolist()}: the PWM model needs "
                         "one-hot columns (all zero for N); an N encoded as 0.25s is not a base the PWMs can read")
    codes = np.argmax(x, axis=1).astype(np.uint8)
    codes[total == 0] = 4
    return codes
