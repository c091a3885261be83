"""First-layer convolution weights from files: numpy, PyTorch and Keras, into (K, 4, L).

* ``.npy`` : one array; ``.npz`` : the array named ``key`` (default: ``kernels``,
  ``weight``, or the only 3-D array), bias from ``bias_key`` (default ``bias`` if present)
* ``.pt`` / ``.pth`` / ``.ckpt`` : a tensor, a ``state_dict``, or a checkpoint holding one
  (``state_dict`` / ``model_state_dict``); loaded with ``weights_only=True``, needs torch.
  Default ``key``: the first 3-D weight with 4 input channels (a Conv1d over one-hot DNA);
  the bias is the entry beside it (``...bias``).
* ``.h5`` / ``.keras`` / ``.weights.h5`` : Keras weights (needs h5py); default: the
  first 3-D dataset of shape (L, 4, K), with the 1-D dataset of length K beside it as bias.

Layouts: numpy and torch files are (K, 4, L) unless ``layout`` says otherwise;
Keras files are (L, 4, K) (``layout="keras"``). See :mod:`exactpwm.core.layout`.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

import numpy as np

from exactpwm.core.errors import NotFoundError
from exactpwm.core.layout import to_torch_layout

__all__ = ["LoadedKernels", "load_kernels", "load_batchnorm", "read_state_dict", "KERNEL_EXTENSIONS"]

KERNEL_EXTENSIONS = (".npy", ".npz", ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".keras")


class LoadedKernels(NamedTuple):
    """kernels (K, 4, L) float64 in the PyTorch layout; bias (K,) or None; key: where they were found."""

    kernels: np.ndarray
    bias: np.ndarray | None
    key: str


def load_kernels(path, key: str | None = None, *, layout: str | None = None,
                 bias_key: str | None = None) -> LoadedKernels:
    """Read convolution kernels (and bias) from a .npy/.npz, PyTorch or Keras file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        W, b, where = np.load(path, allow_pickle=False), None, "array"
    elif ext == ".npz":
        W, b, where = _from_mapping(dict(np.load(path, allow_pickle=False)), key, bias_key, path, channels_axis=1)
    elif ext in (".pt", ".pth", ".ckpt"):
        W, b, where = _from_torch(path, key, bias_key)
    elif ext in (".h5", ".hdf5", ".keras"):
        W, b, where = _from_keras(path, key, bias_key)
        layout = layout or "keras"
    else:
        raise ValueError(f"{path}: unknown kernel file type {ext!r}; use one of {', '.join(KERNEL_EXTENSIONS)}")
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 3 and not (W.ndim == 2 and (layout or "torch") == "torch"):
        raise ValueError(f"{path}: {where} has shape {W.shape}; expected 3-D kernels")
    kernels = to_torch_layout(W[None] if W.ndim == 2 else W, layout or "torch")
    if b is not None:
        b = np.asarray(b, dtype=np.float64).ravel()
        if b.shape != (kernels.shape[0],):
            raise ValueError(f"{path}: bias has {b.size} values for {kernels.shape[0]} kernels")
    return LoadedKernels(np.ascontiguousarray(kernels), b, where)


def _from_mapping(arrays: dict, key, bias_key, path: str, channels_axis: int):
    if key is not None:
        if key not in arrays:
            raise NotFoundError(f"{path}: no entry {key!r}; it has {', '.join(list(arrays)[:20])}")
    else:
        for k in ("kernels", "weight", "weights"):
            if k in arrays:
                key = k
                break
        else:
            conv = [k for k, v in arrays.items() if np.ndim(v) == 3 and np.shape(v)[channels_axis] == 4]
            if not conv:
                raise ValueError(f"{path}: found no 3-D array with 4 channels (A, C, G, T); "
                                 f"name one with --key (entries: {', '.join(list(arrays)[:20])})")
            key = conv[0]
    W = np.asarray(arrays[key])
    if bias_key is None:
        for cand in (key[: -len("weight")] + "bias" if key.endswith("weight") else None, "bias"):
            if cand in arrays and np.ndim(arrays[cand]) == 1:
                bias_key = cand
                break
    elif bias_key not in arrays:
        raise NotFoundError(f"{path}: no bias entry {bias_key!r}")
    return W, (np.asarray(arrays[bias_key]) if bias_key else None), key


def read_state_dict(path: str) -> dict:
    """{name: array} of the state_dict in a PyTorch file (checkpoints unwrapped; weights_only)."""
    obj = _torch_object(os.fspath(path))
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: holds a single tensor, not a state_dict")
    return obj


def _torch_object(path: str):
    """What a .pt file holds: a tensor, or the arrays of its state_dict (checkpoints unwrapped)."""
    try:
        import torch
    except ImportError:
        raise ImportError("reading PyTorch files needs torch: pip install 'exactpwm[torch]'") from None
    import warnings

    try:  # weights_only: a pickle in the file can build tensors and containers, never run code
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types here; each becomes one line naming the file
        raise ValueError(_torch_load_problem(path, exc)) from None
    if isinstance(obj, torch.Tensor):
        return _tensor_to_numpy(obj)
    if isinstance(obj, dict):
        for k in ("state_dict", "model_state_dict", "model"):
            if isinstance(obj.get(k), dict):
                obj = obj[k]
                break
        return {k: _tensor_to_numpy(v) for k, v in obj.items() if isinstance(v, torch.Tensor)}
    raise ValueError(f"{path}: expected a tensor or a state_dict, found {type(obj).__name__}")


def _tensor_to_numpy(t) -> np.ndarray:
    """A CPU numpy array; bfloat16 and float16 tensors (bfloat16 has no numpy twin) become float64."""
    import torch

    t = t.detach().cpu()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.double()
    return t.numpy()


def _torch_load_problem(path: str, exc: Exception) -> str:
    """One line saying why torch could not read ``path``, with the fix where there is one."""
    text = str(exc)
    if "Unsupported global" in text:
        what = re.search(r"GLOBAL ([\w.]+)", text)
        found = f" ({what.group(1)})" if what else ""
        if what and ("torch.nn" in what.group(1) or "__main__" in what.group(1)):
            return (f"{path}: the file holds a whole pickled model{found}, not a state_dict; it is not loaded "
                    "because unpickling can run code. Save the weights instead: "
                    "torch.save(model.state_dict(), path)")
        return (f"{path}: the file holds a Python object{found} other than tensors; it is not loaded because "
                "unpickling can run code. Save a state_dict: torch.save(model.state_dict(), path)")
    if "Weights only load failed" in text or "central directory" in text or "zip archive" in text \
            or isinstance(exc, EOFError):
        return f"{path}: not a PyTorch file, or a truncated or damaged one"
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"{path}: not a readable PyTorch file ({first})"


def _keras_arrays(path: str) -> dict[str, np.ndarray]:
    """Every dataset of a Keras weights file (.h5, .weights.h5, or a .keras archive), by HDF5 path."""
    try:
        import h5py
    except ImportError:
        raise ImportError("reading Keras weights needs h5py: pip install h5py") from None
    import zipfile  # here: a scan that only checks an extension does not load it

    if zipfile.is_zipfile(path):  # a .keras archive holds model.weights.h5
        import io

        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(".h5")]
            if not names:
                raise ValueError(f"{path}: a .keras archive without a weights .h5 file")
            data = io.BytesIO(z.read(names[0]))
        f = h5py.File(data, "r")
    else:
        f = h5py.File(path, "r")
    arrays: dict[str, np.ndarray] = {}
    with f:
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def _from_torch(path: str, key, bias_key):
    obj = _torch_object(path)
    if isinstance(obj, np.ndarray):
        return obj, None, "tensor"
    return _from_mapping(obj, key, bias_key, path, channels_axis=1)


def _from_keras(path: str, key, bias_key):
    arrays = _keras_arrays(path)
    if key is None:
        conv = [k for k, v in arrays.items() if np.ndim(v) == 3 and np.shape(v)[1] == 4]
        if not conv:
            raise ValueError(f"{path}: found no Conv1D kernel of shape (L, 4, K); name one with --key")
        key = conv[0]
    elif key not in arrays:
        raise NotFoundError(f"{path}: no dataset {key!r}; it has {', '.join(list(arrays)[:20])}")
    W = arrays[key]
    if bias_key is None:
        group = key.rsplit("/", 1)[0]
        near = [k for k, v in arrays.items() if k.rsplit("/", 1)[0] == group and np.ndim(v) == 1
                and np.shape(v)[0] == W.shape[2]]
        bias_key = near[0] if near else None
    elif bias_key not in arrays:
        raise NotFoundError(f"{path}: no dataset {bias_key!r}")
    return W, (arrays[bias_key] if bias_key else None), key


def _all_arrays(path: str) -> dict[str, np.ndarray]:
    """Every named array of a .npz, PyTorch state_dict or Keras weights file."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        return dict(np.load(path, allow_pickle=False))
    if ext in (".pt", ".pth", ".ckpt"):
        obj = _torch_object(path)
        if isinstance(obj, np.ndarray):
            raise ValueError(f"{path}: a BatchNorm needs a state_dict, found a single tensor")
        return obj
    if ext in (".h5", ".hdf5", ".keras"):
        return _keras_arrays(path)
    raise ValueError(f"{path}: BatchNorm statistics are read from .npz, PyTorch or Keras files, not {ext!r}")


# (scale, shift, mean, variance) entry names and the default eps of each framework
_BN_NAMES = {"torch": (("weight", "bias", "running_mean", "running_var"), 1e-5),
             "keras": (("gamma", "beta", "moving_mean", "moving_variance"), 1e-3)}


def load_batchnorm(path, prefix: str, eps: float | None = None) -> dict:
    """An eval-mode BatchNorm's parameters, for :func:`exactpwm.fold_batchnorm`.

    prefix : the layer's name: PyTorch entries ``{prefix}.weight``, ``.bias``, ``.running_mean``,
        ``.running_var`` (eps 1e-5), or Keras datasets ``{prefix}/gamma``, ``beta``,
        ``moving_mean``, ``moving_variance`` (eps 1e-3; found anywhere below ``prefix``), or
        Keras 3 ``{prefix}/vars/0..3`` in that order.
    Returns dict(gamma=, beta=, mean=, var=, eps=).
    """
    path = os.fspath(path)
    arrays = _all_arrays(path)
    for framework, (names, default_eps) in _BN_NAMES.items():
        found = {}
        for role, name in zip(("gamma", "beta", "mean", "var"), names):
            keys = [k for k in arrays if k == f"{prefix}.{name}" or
                    (k.startswith(f"{prefix}/") and k.rsplit("/", 1)[-1].split(":")[0] == name)]
            if keys:
                found[role] = np.asarray(arrays[keys[0]], np.float64)
        if len(found) == 4:
            return {**found, "eps": default_eps if eps is None else float(eps)}
        if framework == "keras" and "mean" in found and "var" in found:  # scale=False / center=False layers
            n = found["mean"].size
            return {"gamma": found.get("gamma", np.ones(n)), "beta": found.get("beta", np.zeros(n)),
                    "mean": found["mean"], "var": found["var"], "eps": default_eps if eps is None else float(eps)}
    # Keras 3 .weights.h5: {prefix}/vars/0..3 hold gamma, beta, moving_mean, moving_variance
    v = [arrays.get(f"{prefix}/vars/{i}") for i in range(4)]
    if all(a is not None and np.ndim(a) == 1 for a in v):
        return {"gamma": v[0], "beta": v[1], "mean": v[2], "var": v[3], "eps": 1e-3 if eps is None else float(eps)}
    raise NotFoundError(f"{path}: no BatchNorm statistics under {prefix!r} (looked for {prefix}.running_mean "
                   f"or {prefix}/moving_mean); entries: {', '.join(list(arrays)[:20])}")
