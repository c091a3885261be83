"""Input checks shared by the public functions. Every failure names the problem."""

from __future__ import annotations

import math
import os
from numbers import Real

import numpy as np

from exactpwm.core.errors import InputTypeError


def to_numpy(x, name: str) -> np.ndarray:
    """numpy view of an array-like; torch tensors are detached and moved to the CPU."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise InputTypeError(f"{name} must be a numeric array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise InputTypeError(f"{name} must be a real-valued numeric array, got dtype {arr.dtype}")
    return arr


def as_kernels(kernels, name: str = "kernels") -> tuple[np.ndarray, bool]:
    """Return kernels as float (K, 4, L) and whether the input was a single (4, L) kernel.

    float32 input stays float32; any other real dtype becomes float64.
    """
    W = to_numpy(kernels, name)
    single = W.ndim == 2
    if W.ndim == 2:
        if W.shape[0] != 4:
            hint = " (looks like (L, 4): transpose it)" if W.shape[1] == 4 else ""
            raise ValueError(f"{name} must have shape (4, L) or (K, 4, L) with rows A, C, G, T; got {W.shape}{hint}")
        W = W[None]
    elif W.ndim == 3:
        if W.shape[1] != 4:
            hint = ""
            if W.shape[2] == 4:
                hint = " (looks channels-last; see exactpwm.to_torch_layout)"
            raise ValueError(f"{name} must have shape (K, 4, L) (PyTorch Conv1d layout); got {W.shape}{hint}")
    else:
        raise ValueError(f"{name} must have shape (4, L) or (K, 4, L); got {W.ndim}-D array of shape {W.shape}")
    if W.shape[2] < 1:
        raise ValueError(f"{name} must have length L >= 1; got shape {W.shape}")
    dtype = np.float32 if W.dtype == np.float32 else np.float64
    W = np.ascontiguousarray(W, dtype=dtype)
    check_finite(W, name)
    return W, single


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ValueError naming the first NaN or infinite entry of arr."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} has a non-finite value ({arr[where]}) at index {where}")


def log_base(base) -> float:
    """ln(base) for a real base > 1, finite."""
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, (Real, np.floating, np.integer)):
        raise InputTypeError(f"base must be a real number > 1, got {type(base).__name__}")
    b = float(base)
    if not math.isfinite(b) or not b > 1.0:
        raise ValueError(f"base must be a finite real number > 1, got {base!r}")
    return math.log(b)


def as_bias(bias, n_kernels: int, dtype) -> np.ndarray:
    """Bias as a (K,) array of dtype (zeros when None); scalars are broadcast."""
    if bias is None:
        return np.zeros(n_kernels, dtype=dtype)
    b = to_numpy(bias, "bias").astype(dtype, copy=False)
    if b.ndim == 0:
        b = np.full(n_kernels, b, dtype=dtype)
    if b.shape != (n_kernels,):
        raise ValueError(f"bias must be a scalar or have shape ({n_kernels},), got {b.shape}")
    check_finite(b, "bias")
    return np.ascontiguousarray(b)


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_threads(threads) -> int:
    """threads=0 means all cores available to this process; otherwise a positive count.

    More threads than available cores are never started: a larger count is capped there
    (results do not depend on it, and oversubscribed OpenMP teams only wait on each other).
    """
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise InputTypeError(f"threads must be an integer (0 = all cores), got {type(threads).__name__}")
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 = all cores), got {threads}")
    cores = available_cores()
    return cores if threads == 0 else min(int(threads), cores)


def check_number(value, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, integer: bool = False, text: str | None = None):
    """One numeric argument, checked the same way for the API and the CLI: a real number (not a
    bool), finite, an integer where ``integer`` (an integral float such as 1e5 is accepted), and in
    the range [low, high] (``low_open``/``high_open`` exclude the ends). Returns it as int or
    float; raises TypeError or ValueError naming ``name``, the value (``text`` when it was parsed
    from one) and the rule."""
    shown = repr(value) if text is None else repr(text)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        raise InputTypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {shown}")
    if integer:
        if not x.is_integer():
            raise ValueError(f"{name} must be an integer, got {shown}")
        out: int | float = int(value) if isinstance(value, (int, np.integer)) else int(x)
    else:
        out = x
    below = low is not None and (out < low or (low_open and out == low))
    above = high is not None and (out > high or (high_open and out == high))
    if (below or above) and low is not None and high is not None:
        raise ValueError(f"{name} must be in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}, "
                         f"got {shown}")
    if below:
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {shown}")
    if above:
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {shown}")
    return out


def parse_number(text: str, name: str, **rules):
    """:func:`check_number` on a command-line string (integers may be written 1e5)."""
    t = text.strip()
    try:
        value: int | float = int(t) if rules.get("integer") and t.lstrip("+-").isdigit() else float(t)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    return check_number(value, name, text=text, **rules)


def optional_import(module: str, extra: str, what: str):
    """Import an optional dependency, or raise ImportError naming what needs it and the extra that
    installs it: ``pip install 'exactpwm[extra]'``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{what} needs {module.split('.')[0]}: pip install 'exactpwm[{extra}]'") from None
