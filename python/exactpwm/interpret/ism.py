"""In-silico saturation mutagenesis: what every single-base substitution does to a model's output.

* :func:`first_layer_ism`: through a first convolution layer with global max pooling (each
  kernel's maximum activation, the quantity DeepBind-style models read), computed
  incrementally: a substitution at position i changes only the L windows that hold i, so each
  edit costs O(L) per kernel, with the best of the other windows taken from prefix and suffix
  maxima, instead of rescoring the sequence.
* :func:`pwm_model_ism`: through a whole :class:`exactpwm.PWMModel` (a CNN's first layers
  rebuilt on PWMs: convolution, activation, global or local max/average pooling, dense layer),
  equally incremental: only the windows holding the edited position change, then only the pools
  holding those windows, then the dense output by those pools' weights.
* :func:`saturation_mutagenesis`: the same for any PyTorch model, by running every edited
  sequence through it in batches (the reference for the others).

Layout as tangermeme's ``saturation_mutagenesis(..., raw_outputs=True)``: ``y0`` (N, K) for the
sequences as given, ``y`` (N, 4, n, K) for each sequence with base b (rows A, C, G, T) at
position i; the entry of the base already there equals ``y0``. Kernels are applied by
cross-correlation (PyTorch's Conv1d); N in a sequence is a zero column.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core._checks import as_bias, check_number, to_numpy
from exactpwm.core.errors import InputTypeError
from exactpwm.core.types import ArrayLike
from exactpwm.interpret.model_runner import disagreement, is_torch_module, model_runner

__all__ = ["first_layer_ism", "pwm_model_ism", "saturation_mutagenesis"]


def _codes(sequences) -> np.ndarray:
    """(N, n) uint8 codes (see :func:`exactpwm.core.sequence.code_rows`)."""
    from exactpwm.core.sequence import code_rows

    return code_rows(sequences)


def first_layer_ism(kernels: ArrayLike, sequences: Any, bias: ArrayLike | None = None, *,
                    threads: int = 0, backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Every substitution's effect on each kernel's maximum activation (global max pooling).

    Parameters
    ----------
    kernels : (K, 4, L) array or tensor
        A Conv1d weight (rows A, C, G, T; cross-correlation).
    sequences : list of equal-length str, (N, n) uint8 codes, or one-hot (N, 4, n)
    bias : (K,) or None
    threads, backend : as in :func:`exactpwm.conv1d` (the reference activations)

    Returns
    -------
    y0 : (N, K) float64
        max over windows of the activation, for each sequence as given.
    y : (N, 4, n, K) float64
        The same with base b at position i (y[:, b, i] == y0 where b is the base already there).
        Equal to recomputing each edited sequence, up to float64 rounding.
    """
    from exactpwm.core.scoring import conv1d

    W = to_numpy(kernels, "kernels").astype(np.float64)
    if W.ndim == 2:
        W = W[None]
    if W.ndim != 3 or W.shape[1] != 4:
        raise ValueError(f"kernels must have shape (K, 4, L), got {W.shape}")
    K, _, L = W.shape
    X = _codes(sequences)
    N, n = X.shape
    if N == 0:
        raise ValueError("no sequences given")
    if n < L:
        raise ValueError(f"sequences of length {n} are shorter than the kernels ({L})")
    b = as_bias(bias, K, np.float64)
    m = n - L + 1
    Wz = np.concatenate([W, np.zeros((K, 1, L))], axis=1)  # code 4 (N) is a zero column
    j = np.arange(L)
    t = np.arange(n)[:, None] - j[None, :]  # (n, L): the window holding position i at column j
    valid = (t >= 0) & (t < m)
    tc = np.clip(t, 0, m - 1)
    lo, hi = np.clip(np.arange(n) - L + 1, 0, m), np.minimum(np.arange(n), m - 1)  # windows holding i
    y0 = np.empty((N, K))
    y = np.empty((N, 4, n, K))
    scores = conv1d(X, W, b, dtype=np.float64, threads=threads, backend=backend)  # (N, K, m)
    # per position i and column j: the window i - j, flattened for one gather (a window past the
    # ends reads a -inf slot)
    slot = np.where(valid, tc, m)
    Wt = np.ascontiguousarray(Wz.transpose(1, 2, 0))  # (5, L, K): a base's weight at each column, per kernel
    WtK = np.ascontiguousarray(W.transpose(1, 2, 0))  # (4, L, K)
    block = max(1, (1 << 17) // (L * K))  # positions per step: the (block, L, K) work stays in cache

    def one(s: int) -> None:
        sc = np.concatenate([scores[s].T, np.full((1, K), -np.inf)])  # (m + 1, K)
        y0[s] = sc[:m].max(axis=0)
        prefix = np.concatenate([np.full((1, K), -np.inf), np.maximum.accumulate(sc[:m], axis=0)])  # max t < c
        suffix = np.concatenate([np.maximum.accumulate(sc[:m][::-1], axis=0)[::-1], np.full((1, K), -np.inf)])
        others = np.maximum(prefix[lo], suffix[hi + 1])  # (n, K): the windows without position i
        for i0 in range(0, n, block):
            i1 = min(n, i0 + block)
            # the windows holding i, less the weight of the base there: (block, L, K)
            held = sc[slot[i0:i1]] - Wt[X[s, i0:i1, None], j[None, :]]
            for base in range(4):
                np.maximum(others[i0:i1], (held + WtK[base][None]).max(axis=1), out=y[s, base, i0:i1])

    _each_sequence(one, N, threads)
    return y0, y


def _each_sequence(one, N: int, threads: int) -> None:
    """one(s) for s in range(N), on ``threads`` threads (numpy releases the GIL in its loops)."""
    from concurrent.futures import ThreadPoolExecutor

    from exactpwm.core._checks import resolve_threads

    workers = min(resolve_threads(threads), N)
    if workers <= 1:
        for s in range(N):
            one(s)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(N)))


def pwm_model_ism(model: Any, sequences: Any, *, threads: int = 0,
                  backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Every substitution's effect on a :class:`exactpwm.PWMModel`'s outputs, incrementally.

    The model's pre-activations are ``ln b`` times the convolution (N and padding are zero
    columns), so a substitution at position i adds ``ln b (W[b, c] - W[x_i, c])`` to each window
    holding i at column c, on each strand; the pooled features change only in the pools holding
    those windows (global pooling: the best, or the sum, of the other windows is kept), and the
    outputs by those features' dense weights.

    Parameters
    ----------
    model : PWMModel
        Any configuration :meth:`exactpwm.PWMModel.from_layers` builds (padding, stride, ReLU or
        linear, max or average pooling, global or local, strand "+" or "both").
    sequences : list of equal-length str, (N, n) uint8 codes, or one-hot (N, 4, n)
    threads, backend : as in :func:`exactpwm.conv1d` (the unedited convolution)

    Returns
    -------
    y0 : (N, M) float64
        The model's outputs on the sequences as given.
    y : (N, 4, n, M) float64
        The outputs with base b at position i (y[:, b, i] == y0 where b is the base already
        there); equal to running the model on each edited sequence, up to float64 rounding.
    """
    from exactpwm.core.scoring import conv1d
    from exactpwm.interpret.pwm_model import PWMModel

    if not isinstance(model, PWMModel):
        raise InputTypeError(f"pwm_model_ism takes an exactpwm.PWMModel (PWMModel.from_layers or from_torch), got "
                        f"{type(model).__name__}; for any torch model use saturation_mutagenesis")
    X = _codes(sequences)
    if X.shape[0] == 0:
        raise ValueError("no sequences given")
    N, n = X.shape
    left, right = model.padding
    Wl = model.log_pwms + model.lam[:, None, :]  # (K, 4, L): ln b times the kernels
    bl = -model.tau - model.lam.sum(axis=1)  # (K,): ln b times the bias
    K, _, L = Wl.shape
    both = model.strand == "both"
    S = 2 if both else 1
    kernels = [Wl, Wl[:, ::-1, ::-1]][:S]  # the reverse complement: rows T, G, C, A, columns reversed
    Wz = np.stack([np.concatenate([w, np.zeros((K, 1, L))], axis=1) for w in kernels])  # (S, K, 5, L)
    xp = np.pad(X, ((0, 0), (left, right)), constant_values=4)
    m = xp.shape[1] - L + 1
    if m < 1:
        raise ValueError(f"sequences of {xp.shape[1]} positions (after padding) are shorter than the kernels ({L})")
    z = conv1d(xp, Wl, bl, strand="both" if both else "+", dtype=np.float64, threads=threads, backend=backend)
    st = model.stride
    zJ = z.reshape(N, S, K, m)[..., ::st]  # (N, S, K, mJ): the windows the model keeps
    mJ = zJ.shape[-1]
    act = (lambda v: np.maximum(v, 0.0)) if model.activation == "relu" else (lambda v: v)
    is_max = model.pooling == "max"
    Wd = model.dense_weight  # (M, K * P)
    M = Wd.shape[0]
    # the kept windows holding input position i (padded q = i + left): J-indices hlo .. hlo + H - 1
    q = np.arange(n) + left
    hlo = np.maximum(0, -((L - 1 - q) // st))  # ceil((q - L + 1) / st), at least 0
    hhi = np.minimum(mJ - 1, q // st)
    H = -(-L // st)
    hidx = hlo[:, None] + np.arange(H)[None, :]  # (n, H)
    held = hidx <= hhi[:, None]
    col = np.where(held, q[:, None] - hidx * st, 0)  # the column of position q in each held window
    hidx = np.minimum(hidx, mJ - 1)
    y0 = np.empty((N, M))
    y = np.empty((N, 4, n, M))
    size, pst = model.pool_size, model.pool_stride
    if size is not None:
        P = (mJ - size) // pst + 1
        if P < 1:
            raise ValueError(f"{mJ} conv positions are fewer than the pool size {size}")
        members = np.arange(P)[:, None] * pst + np.arange(size)[None, :]  # (P, size)
        A = -(-(H + size - 1) // pst) + 1  # pools holding a window of one position, at most
    block = max(1, (1 << 16) // (S * K * H))  # positions per step: the work stays in cache

    WzT = np.ascontiguousarray(Wz.transpose(0, 2, 3, 1))  # (S, 5, L, K): kernels last, for row gathers

    def one(s: int) -> None:
        zs = np.ascontiguousarray(zJ[s].transpose(0, 2, 1))  # (S, mJ, K)
        if size is None:
            f0 = (act(zs).max(axis=1) if is_max else act(zs).mean(axis=1)).max(axis=0)  # (K,): the better strand
            if is_max:  # act is monotone: pool the pre-activations, then activate
                neg = np.full((S, 1, K), -np.inf)
                prefix = np.concatenate([neg, np.maximum.accumulate(zs, axis=1)], axis=1)  # max over < h
                suffix = np.concatenate([np.maximum.accumulate(zs[:, ::-1], axis=1)[:, ::-1], neg], axis=1)
            else:
                total = act(zs).sum(axis=1)[:, None]  # (S, 1, K)
        else:
            a0 = act(zs[0])  # (mJ, K)
            f0 = (a0[members].max(axis=1) if is_max else a0[members].mean(axis=1)).T  # (K, P)
        y0[s] = f0.reshape(-1) @ Wd.T + model.dense_bias
        for i0 in range(0, n, block):
            at = slice(i0, min(n, i0 + block))
            qs, lo_, hi_, hx, hd, cl = q[at], hlo[at], hhi[at], hidx[at], held[at], col[at]
            xq = xp[s, qs]  # the bases there
            if size is None:
                # the held windows less the weight of the base there: (S, b, H, K)
                base_out = zs[:, hx] - WzT[:, xq[:, None], cl]
                features = np.empty((4, S, qs.size, K))
                if is_max:
                    others = np.maximum(prefix[:, lo_], suffix[:, hi_ + 1])  # (S, b, K)
                    base_out[:, ~hd] = -np.inf
                else:
                    rest = total - np.where(hd[..., None], act(zs[:, hx]), 0.0).sum(axis=2)
                for b in range(4):
                    new = base_out + WzT[:, b, cl]  # (S, b, H, K)
                    if is_max:
                        features[b] = act(np.maximum(others, new.max(axis=2)))
                    else:
                        features[b] = (rest + np.where(hd[..., None], act(new), 0.0).sum(axis=2)) / mJ
                y[s, :, at] = features.max(axis=1) @ Wd.T + model.dense_bias
                continue
            # the pools holding a held window of the position: p in [plo, phi]
            plo = np.maximum(0, -((size - 1 - lo_) // pst))
            phi = np.minimum(P - 1, hi_ // pst)
            pidx = plo[:, None] + np.arange(A)[None, :]  # (b, A)
            pool_ok = (pidx <= phi[:, None]) & (hi_ >= lo_)[:, None]
            pidx = np.minimum(pidx, P - 1)
            u = pidx[..., None] * pst + np.arange(size)  # (b, A, size): J-indices of each pool's windows
            in_held = ((u >= lo_[:, None, None]) & (u <= hi_[:, None, None]))[..., None]
            c = np.where(in_held[..., 0], qs[:, None, None] - u * st, 0)  # their column of the position
            z_u = zs[0][u]  # (b, A, size, K)
            old_u = WzT[0][xq[:, None, None], c]
            Wg = Wd.reshape(M, K, P)[:, :, pidx]  # (M, K, b, A)
            before = np.where(pool_ok[..., None], f0.T[pidx], 0.0)  # (b, A, K)
            for b in range(4):
                new = act(z_u + np.where(in_held, WzT[0][b, c] - old_u, 0.0))
                pooled = new.max(axis=2) if is_max else new.mean(axis=2)  # (b, A, K)
                change = np.where(pool_ok[..., None], pooled, 0.0) - before
                y[s, b, at] = y0[s] + np.einsum("mkna,nak->nm", Wg, change)

    _each_sequence(one, N, threads)
    return y0, y


def saturation_mutagenesis(model: Any, sequences: Any, *, batch_size: int | None = None, method: str = "auto",
                           check: int = 8, seed: int = 0, progress: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Every substitution's effect on any PyTorch model's output.

    Parameters
    ----------
    model : torch.nn.Module
        Takes one-hot (B, 4, n) float tensors (in its parameters' dtype) and returns (B, ...)
        outputs, flattened to (B, K); run in eval mode, without gradients.
    sequences : list of equal-length str, (N, n) uint8 codes, or one-hot (N, 4, n)
        N (a zero column) gets all four bases.
    method : "auto", "local" or "full"
        "local": recompute only the windows each substitution changes, read from the model's
        ``torch.fx`` graph (see :mod:`exactpwm.interpret.local_ism`); "full": run every edited
        sequence through the model; "auto": local where the graph can be traced, else full.
    check : int
        With "local", this many substitutions (the first and last positions among them, the rest
        seeded at random) are also run through the whole model; a disagreement beyond float
        rounding (1e-4 of the outputs' scale in float32, 1e-9 in float64) raises
        :class:`exactpwm.AttributionError`.
    batch_size : int or None
        Edited sequences per model call (default: 256 for "full", sized to about 32 MB of windows
        for "local").
    seed : int
        Seeds the checked substitutions.
    progress : callable or None
        Called with the number of substitutions done, as they are done.

    Returns
    -------
    y0 : (N, K) float64
        The outputs on the sequences as given.
    y : (N, 4, n, K) float64
        The outputs with base b at position i; ``y[:, b, i]`` equals ``y0`` where b is the base
        already there. Equal to running every edited sequence, to float rounding, either way.
    """
    from exactpwm.core.errors import AttributionError

    if not is_torch_module(model):
        raise InputTypeError(f"saturation_mutagenesis takes a torch model (a callable on (B, 4, n) tensors), got "
                             f"{type(model).__name__}")
    if method not in ("auto", "local", "full"):
        raise ValueError(f"method must be 'auto', 'local' or 'full', got {method!r}")
    if batch_size is not None:
        batch_size = int(check_number(batch_size, "batch_size", low=1, integer=True))
    check = int(check_number(check, "check", low=0, integer=True))
    X = _codes(sequences)
    N, n = X.shape
    if N == 0 or n == 0:
        raise ValueError("no sequences given (or sequences of length 0): nothing to mutate")
    import torch

    param = next(iter(model.parameters()), None)
    dtype = param.dtype if param is not None else torch.float32
    was_training = model.training
    try:
        model.eval()
    except (NotImplementedError, RuntimeError):  # a torch.export module has no train mode
        pass
    try:
        plan = why = None
        if method != "full":
            from exactpwm.interpret.local_ism import local_plan, run_local

            plan, why = local_plan(model, n, dtype)
            if plan is None and method == "local":
                raise ValueError(f"no local ISM for this model: {why}; use method='full'")
        if plan is None:
            return _full_ism(model, X, batch_size or 256, progress)
        y0, y = run_local(plan, X, dtype, batch_size, progress)
        if check:
            _check_against_full(model, X, y0, y, check, seed, dtype, AttributionError)
        return y0, y
    finally:
        try:
            model.train(was_training)
        except (NotImplementedError, RuntimeError):
            pass


def _full_ism(model: Any, X: np.ndarray, batch_size: int, progress: Any) -> tuple[np.ndarray, np.ndarray]:
    run = model_runner(model, batch_size=batch_size)
    N, n = X.shape
    y0 = run(X)
    K = y0.shape[1]
    y = np.empty((N, 4, n, K))
    pos = np.repeat(np.arange(n), 4)
    base = np.tile(np.arange(4), n)
    for s in range(N):
        edits = np.repeat(X[s][None], 4 * n, axis=0)
        edits[np.arange(4 * n), pos] = base
        y[s] = run(edits).reshape(n, 4, K).transpose(1, 0, 2)
        if progress is not None:
            progress(3 * n)
    return y0, y


def _check_against_full(model: Any, X: np.ndarray, y0: np.ndarray, y: np.ndarray, count: int, seed: int,
                        dtype: Any, error: type) -> None:
    """Run ``count`` of the substitutions through the whole model; raise ``error`` on a disagreement."""
    N, n = X.shape
    rng = np.random.default_rng(seed)
    s = rng.integers(0, N, count)
    pos = np.concatenate([[0, n - 1], rng.integers(0, n, max(count - 2, 0))])[:count]
    base = (X[s, pos] % 4 + 1 + rng.integers(0, 3, count)) % 4  # a base other than the one there
    edits = X[s].copy()
    edits[np.arange(count), pos] = base
    want = model_runner(model, batch_size=256)(edits)
    got = y[s, base, pos]
    worst = disagreement(got, want, y0, dtype)
    if worst is not None:
        i, err, tol = worst
        raise error(f"local ISM disagrees with running the model: sequence {s[i]}, base {'ACGT'[base[i]]} at "
                    f"position {pos[i]}: {got[i].tolist()[:4]} against {want[i].tolist()[:4]} (|difference| "
                    f"{err:.3g} > {tol:.3g}); use method='full' and report the model")
