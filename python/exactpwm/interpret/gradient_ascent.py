"""Seeded, regularised gradient ascent on a tensor fed into a PyTorch model: the machinery shared by
DeepResolve (ascent on an intermediate layer's feature maps) and input reconstruction (ascent on
the one-hot input, as DeMo and DeepMotif do).

The objective for output ``c`` is ``S_c(H) - lam * ||H||_2^2`` per start, where ``S_c`` is the
model's output ``c`` (a logit: give the model before its sigmoid or softmax), maximised with Adam
from ``starts`` random initial points (standard normal times ``init_scale``) drawn from a
``torch.Generator`` seeded with ``seed``. Runs are on the CPU, in the model's dtype.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number

__all__ = ["AscentResult", "ascend", "evaluating", "find_module", "model_outputs"]


@dataclass
class AscentResult:
    """values : (T, ...) the optimised tensors; scores : (T,) the output ``S_c`` at each;
    objective : (T,) ``S_c - lam ||H||^2``; steps : how many were taken."""

    values: np.ndarray
    scores: np.ndarray
    objective: np.ndarray
    steps: int


@contextmanager
def evaluating(model: Any) -> Iterator[Any]:
    """``model`` in eval mode for the block (its mode restored after); yields its parameters' dtype."""
    import torch

    param = next(iter(model.parameters()), None)
    was_training = model.training
    model.eval()
    try:
        yield param.dtype if param is not None else torch.float32
    finally:
        model.train(was_training)


def model_outputs(model: Any, length: int, dtype: Any) -> int:
    """How many outputs ``model`` gives for one (1, 4, ``length``) input."""
    import torch

    with torch.no_grad():
        return int(model(torch.full((1, 4, length), 0.25, dtype=dtype)).reshape(1, -1).shape[1])


def find_module(model: Any, layer: str) -> Any:
    """The submodule of ``model`` named ``layer`` (as ``model.named_modules()`` names it)."""
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        names = [n for n in modules if n]
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise ValueError(f"the model has no layer named {layer!r}; its layers are: {shown}")
    return modules[layer]


def ascend(score: Callable[[Any], Any], shape: tuple, *, starts: int = 10, steps: int = 300, lam: float = 1.0,
           lr: float = 0.1, init_scale: float = 1.0, seed: int = 0, dtype: Any = None,
           transform: Callable[[Any], Any] | None = None, optimizer: str = "adam") -> AscentResult:
    """Maximise ``score(transform(H))[t] - lam * ||transform(H)[t]||^2`` for ``starts`` tensors H of
    ``shape`` at once.

    Parameters
    ----------
    score : maps a (T, ``*shape``) tensor to (T,) scores
    transform : applied to the free parameters before scoring and regularising (softmax over the
        bases for a one-hot input); None for none
    optimizer : "adam" (default) or "sgd"

    Returns
    -------
    AscentResult, with the transformed tensors
    """
    import torch

    starts = int(check_number(starts, "starts", low=1, integer=True))
    steps = int(check_number(steps, "steps", low=1, integer=True))
    lam = float(check_number(lam, "lam", low=0.0))
    lr = float(check_number(lr, "lr", low=0.0))
    seed = int(check_number(seed, "seed", low=0, integer=True))
    dtype = dtype or torch.float32
    gen = torch.Generator().manual_seed(seed)
    H = (torch.randn((starts,) + tuple(shape), generator=gen, dtype=dtype) * float(init_scale)).requires_grad_(True)
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    opt = torch.optim.Adam([H], lr=lr) if optimizer == "adam" else torch.optim.SGD([H], lr=lr)
    dims = tuple(range(1, H.ndim))
    fn = transform or (lambda h: h)
    for _ in range(steps):
        opt.zero_grad()
        X = fn(H)
        s = score(X)
        obj = s - lam * (X ** 2).sum(dim=dims)
        (-obj.sum()).backward()
        opt.step()
    with torch.no_grad():
        X = fn(H)
        s = score(X)
        obj = s - lam * (X ** 2).sum(dim=dims)
    return AscentResult(X.detach().double().numpy(), s.detach().double().numpy(), obj.detach().double().numpy(), steps)
