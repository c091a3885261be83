"""CNN kernel files -> exact PWMs as motifs: what ``exactpwm convert`` (and ``logo`` on a
kernel file) does, as a library function.

Kernels are read from .npy/.npz/PyTorch/Keras files (:mod:`exactpwm.io.kernels`), optionally
with an eval BatchNorm folded in and a dilation expanded, then transformed exactly
(:func:`exactpwm.kernel_to_pwm`) at a given base or at the maximum-likelihood base fitted on
sequences (:func:`exactpwm.fit_base`). Each motif keeps its offset and base in ``meta``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from exactpwm.core.errors import ExactpwmWarning
from exactpwm.core.motif import EXACT_PWM_URL, Motif, MotifSet
from exactpwm.core.transform import DEFAULT_BASE, kernel_to_pwm
from exactpwm.core.types import Strand
from exactpwm.interpret.base_fit import BaseFit, fit_base
from exactpwm.interpret.pwm_model import expand_dilation, fold_batchnorm
from exactpwm.io.fasta import read_fasta
from exactpwm.io.kernels import load_batchnorm, load_kernels, read_state_dict

__all__ = ["ConvertedKernels", "kernels_to_motifs", "load_first_layer"]


@dataclass
class ConvertedKernels:
    """motifs : MotifSet of the exact PWMs (``meta``: offset, base, flip); offsets : (K,) float64
    with conv(x) + bias == log_base P(x | pwm) + offset; fit : the base fit, when one was made."""

    motifs: MotifSet
    offsets: np.ndarray
    fit: BaseFit | None = None


def load_first_layer(path, *, key: str | None = None, layout: str | None = None, bias_key: str | None = None,
                     use_bias: bool = True, batchnorm: str | None = None, bn_eps: float | None = None,
                     dilation: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    """The first layer of a kernel file as it computes: (kernels (K, 4, L) float64, bias (K,) or
    None), an eval-mode BatchNorm folded in and dilation expanded (arguments as
    :func:`kernels_to_motifs`)."""
    loaded = load_kernels(path, key, layout=layout, bias_key=bias_key)
    W, bias = loaded.kernels, (loaded.bias if use_bias else None)
    if batchnorm:
        W, bias = fold_batchnorm(W, bias, **load_batchnorm(path, batchnorm, bn_eps))
    else:
        _note_unfolded_batchnorm(path, loaded.key, W.shape[0])
    if dilation != 1:
        W = expand_dilation(W, dilation)
    return W, bias


def _note_unfolded_batchnorm(path, key: str | None, n_kernels: int) -> None:
    """Warn when a PyTorch state_dict holds a BatchNorm over as many channels as the kernels, after
    the kernels' entry: if it follows the convolution it rescales what the kernels compute, and it
    is folded only when named (``batchnorm=``, ``--batchnorm``)."""
    if not str(path).lower().endswith((".pt", ".pth", ".ckpt")) or not key:
        return
    state = read_state_dict(os.fspath(path))
    names = list(state)
    after = names[names.index(key) + 1:] if key in names else names
    for k in after:
        if k.endswith(".running_mean") and np.shape(state[k]) == (n_kernels,):
            prefix = k[: -len(".running_mean")]
            warnings.warn(f"{os.fspath(path)} holds a BatchNorm {prefix!r} over {n_kernels} channels after {key!r}: if "
                          "it follows the convolution, it rescales and shifts what the kernels compute; fold it with "
                          f"--batchnorm {prefix} (API: batchnorm={prefix!r}), or ignore this if it does not",
                          ExactpwmWarning, stacklevel=3)
            return


def _npz_widths_and_names(path, key: str | None, n_kernels: int, length: int, dilation: int):
    """(widths or None, names or None) that ``exactpwm convert MOTIFS -o kernels.npz`` stores beside
    kernels of several widths zero-padded into one array, when they fit these kernels."""
    if not str(path).lower().endswith(".npz") or key not in (None, "kernels") or dilation != 1:
        return None, None
    with np.load(path, allow_pickle=False) as z:
        widths = np.asarray(z["widths"]).astype(np.int64) if "widths" in z.files else None
        names = [str(n) for n in z["names"]] if "names" in z.files and np.ndim(z["names"]) == 1 else None
    if widths is not None and (widths.shape != (n_kernels,) or (widths < 1).any() or (widths > length).any()):
        widths = None
    if names is not None and len(names) != n_kernels:
        names = None
    if widths is not None and (widths == length).all():
        widths = None
    return widths, names


def kernels_to_motifs(path, *, base: float = DEFAULT_BASE, flip: bool = False, key: str | None = None,
                      layout: str | None = None, bias_key: str | None = None, use_bias: bool = True,
                      batchnorm: str | None = None, bn_eps: float | None = None, dilation: int = 1,
                      fit_sequences=None, strand: Strand = "+", names: list[str] | None = None,
                      prefix: str = "kernel", threads: int = 0) -> ConvertedKernels:
    """Exact PWMs of the first-layer kernels in a file.

    path : .npy, .npz, .pt/.pth/.ckpt (a state_dict) or Keras .h5/.keras weights
    base : log base b > 1 of the transform, unless ``fit_sequences`` is given
    fit_sequences : a FASTA path or sequences: fit b by maximum likelihood (Eq. 2) on them,
        scanning ``strand`` ("+" or "both") as the model does
    key, layout, bias_key, use_bias : where the kernels and bias are (see :func:`load_kernels`)
    batchnorm, bn_eps : fold the eval-mode BatchNorm named ``batchnorm`` first
    dilation : expand dilated kernels (uniform columns between the kernel's)
    names : one name per kernel (default ``prefix`` + index)
    """
    W, bias = load_first_layer(path, key=key, layout=layout, bias_key=bias_key, use_bias=use_bias,
                               batchnorm=batchnorm, bn_eps=bn_eps, dilation=dilation)
    fit = None
    if fit_sequences is not None:
        seqs = [codes for _, codes in read_fasta(fit_sequences)] if isinstance(fit_sequences, (str, os.PathLike)) \
            else list(fit_sequences)
        fit = fit_base(W, seqs, strand=strand, flip=flip, threads=threads)
        base = float(fit.base)
    K = W.shape[0]
    widths, stored_names = _npz_widths_and_names(path, key, K, W.shape[2], dilation)
    if names is None:
        names = stored_names or [f"{prefix}{i}" for i in range(K)]
    names = list(names)
    if len(names) != K:
        raise ValueError(f"{len(names)} names for {K} kernels")
    pwms: list[np.ndarray] | np.ndarray
    if widths is None:
        pwms, offsets = kernel_to_pwm(W, base, flip=flip, bias=bias)
    else:  # kernels of several widths, zero-padded into one array (right, or left for true convolution)
        pairs = [kernel_to_pwm(W[i, :, W.shape[2] - w:] if flip else W[i, :, :w], base, flip=flip,
                               bias=None if bias is None else bias[i]) for i, w in enumerate(widths)]
        pwms, offsets = [p for p, _ in pairs], np.array([float(o) for _, o in pairs])
    meta = {"base": base, "flip": flip}
    motifs = [Motif(n, p, nsites=None, meta={"offset": float(o), "exact": True, **meta,
                                             "url": f"{EXACT_PWM_URL} base={base:.17g} offset={float(o):.17g}"})
              for n, p, o in zip(names, pwms, offsets)]
    return ConvertedKernels(MotifSet(motifs, None, os.fspath(path)), np.asarray(offsets), fit)
