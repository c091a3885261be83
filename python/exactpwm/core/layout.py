"""Moving kernels between framework layouts.

exactpwm works in the PyTorch ``Conv1d`` layout (K, 4, L): K output channels,
4 input channels (A, C, G, T), L positions. Other layouts:

* ``"keras"``: Keras/TensorFlow ``Conv1D`` kernels, (L, 4, K);
* ``"paper"``: one kernel as in Ding et al., (4, L);
* ``"torch"``: (K, 4, L), unchanged.

All three frameworks compute cross-correlation (``flip=False``).
"""

from __future__ import annotations

import numpy as np

from exactpwm.core._checks import to_numpy
from exactpwm.core.types import ArrayLike

__all__ = ["LAYOUTS", "to_torch_layout", "from_torch_layout"]

LAYOUTS = ("torch", "keras", "paper")


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")


def to_torch_layout(weights: ArrayLike, layout: str) -> np.ndarray:
    """Kernels in ``layout`` -> (K, 4, L)."""
    _check_layout(layout)
    W = to_numpy(weights, "weights")
    expected = {"torch": (3, 1), "keras": (3, 1), "paper": (2, 0)}[layout]
    ndim, axis = expected
    if W.ndim != ndim or W.shape[axis] != 4:
        shape = {"torch": "(K, 4, L)", "keras": "(L, 4, K)", "paper": "(4, L)"}[layout]
        raise ValueError(f"{layout} weights must have shape {shape}; got {W.shape}")
    if layout == "keras":
        W = W.transpose(2, 1, 0)
    elif layout == "paper":
        W = W[None]
    return np.ascontiguousarray(W)


def from_torch_layout(kernels: ArrayLike, layout: str) -> np.ndarray:
    """(K, 4, L) kernels -> ``layout`` (``"paper"`` needs K == 1)."""
    _check_layout(layout)
    W = to_numpy(kernels, "kernels")
    if W.ndim != 3 or W.shape[1] != 4:
        raise ValueError(f"kernels must have shape (K, 4, L); got {W.shape}")
    if layout == "keras":
        return np.ascontiguousarray(W.transpose(2, 1, 0))
    if layout == "paper":
        if W.shape[0] != 1:
            raise ValueError(f"the paper layout holds one kernel; got K = {W.shape[0]}")
        return np.ascontiguousarray(W[0])
    return np.ascontiguousarray(W)
