"""One way to run a model on sequence codes, for everything that runs a model many times (in-silico
mutagenesis, variant effects): a :class:`exactpwm.PWMModel` on codes, a torch module on one-hot
tensors (N an all-zero column), or any callable on codes; batches of rows, outputs as float64."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number
from exactpwm.core.errors import InputTypeError

__all__ = ["disagreement", "is_torch_module", "model_runner"]

# one-hot rows by code: A, C, G, T, and N as zeros
_ONE_HOT = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])


def is_torch_module(model: Any) -> bool:
    """A torch ``nn.Module`` (without importing torch: a module implies torch is imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def model_runner(model: Any, threads: int = 0, batch_size: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A function codes (B, n) uint8 -> outputs (B, M) float64.

    model : a :class:`exactpwm.PWMModel` (run on exactpwm's engine with ``threads``), a torch
        module taking one-hot (B, 4, n) tensors in its parameters' dtype (run under ``no_grad``), or
        any callable on (B, n) codes
    batch_size : rows per model call (None: all at once)
    """
    from exactpwm.interpret.pwm_model import PWMModel

    if batch_size is not None:
        batch_size = int(check_number(batch_size, "batch_size", low=1, integer=True))
    if is_torch_module(model):
        import torch

        param = next(iter(model.parameters()), None)
        dtype = param.dtype if param is not None else torch.float32

        def one(codes: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                x = torch.from_numpy(_ONE_HOT[codes].transpose(0, 2, 1).copy()).to(dtype)
                return model(x).reshape(len(codes), -1).double().numpy()
    elif isinstance(model, PWMModel):
        def one(codes: np.ndarray) -> np.ndarray:
            return np.asarray(model(codes, threads=threads), np.float64).reshape(len(codes), -1)
    elif callable(model):
        def one(codes: np.ndarray) -> np.ndarray:
            return np.asarray(model(codes), np.float64).reshape(len(codes), -1)
    else:
        raise InputTypeError(f"a model must be a PWMModel, a torch module or a callable on codes, got "
                             f"{type(model).__name__}")
    if batch_size is None:
        return one

    def batched(codes: np.ndarray) -> np.ndarray:
        return np.concatenate([one(codes[a:a + batch_size]) for a in range(0, len(codes), batch_size)])
    return batched


def disagreement(got: np.ndarray, want: np.ndarray, reference: np.ndarray,
                 dtype: Any = None) -> tuple[int, float, float] | None:
    """The worst row where a shortcut's outputs ``got`` (R, K) differ from running the model
    (``want``) beyond float rounding: (row, |difference|, tolerance), or None. The tolerance is
    1e-4 (float32 models, or ``dtype`` None) or 1e-9 (float64) of the larger of 1 and the largest
    output in ``reference``."""
    scale = max(1.0, float(np.abs(reference).max()))
    tol = (1e-9 if str(dtype) == "torch.float64" else 1e-4) * scale
    err = np.abs(got - want).max(axis=1)
    if err.max() <= tol:
        return None
    k = int(np.argmax(err))
    return k, float(err[k]), tol
