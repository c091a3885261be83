"""Attribution maps for any PyTorch model on one-hot DNA, each carrying its own check.

What each base of a sequence contributes to one output of a model (Koo & Ploenzke, "Attribution
methods"; Talukder et al.): gradient methods, and integrated gradients with its completeness
checked on every sequence. A map whose check fails raises :class:`AttributionError` instead of
being returned; where a method has no check (saliency), the result says so (``delta`` is None).

Conventions: sequences are one-hot ``(N, 4, L)`` (rows A, C, G, T; N an all-zero column), whatever
layout the model takes (``layout="auto"`` finds whether it reads ``(N, 4, L)`` or ``(N, L, 4)``);
``target`` is one column of the model's outputs, flattened per sequence. Maps are ``(N, 4, L)``:

* ``attributions``: with multipliers ``m`` (the gradient, or its average along a path) and
  reference ``r``, ``m * (x - r)`` averaged over the references: its sum over a sequence is the
  output's change from the references (checked); at a position, the letter present gets ``m`` and
  the reference's letter ``-m``, so ``attributions.sum(axis=1)`` is what each position contributes;
* ``hypothetical``: for every letter, what the position would contribute were that letter there
  (TF-MoDISco reads these): ``hypothetical[c, l] = m[c, l] - sum_c' m[c', l] r[c', l]``;
  ``hypothetical * inputs`` (:meth:`Attributions.projected`) puts each position's contribution on
  the letter present, the map a logo of the sequence shows (equal per position, except at N, which
  has no letter to carry it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number, optional_import
from exactpwm.core.errors import AttributionError, ExactpwmWarning, InputTypeError
from exactpwm.core.sequence import one_hot_rows
from exactpwm.core.shuffle import dinucleotide_shuffle

__all__ = ["AttributionError", "Attributions", "METHODS", "attribute", "one_hot_inputs"]

METHODS = ("saliency", "gxi", "ig", "deeplift", "deepshap", "ism", "occlusion", "cam")


@dataclass
class Attributions:
    """Per-base contributions of N sequences of length L to one output of a model.

    Attributes
    ----------
    method : str
        "saliency", "gxi" (gradient x input) or "ig" (integrated gradients).
    attributions, hypothetical : (N, 4, L) float64
        See the module's notes.
    inputs : (N, 4, L) float32
        The one-hot sequences (N an all-zero column).
    outputs : (N,) float64
        The model's target output on each sequence, f(x).
    reference_outputs : (N,) float64 or None
        The mean target output over each sequence's references (the baseline for "ig").
    delta : (N,) float64 or None
        The check: sum of ``attributions`` minus (f(x) - mean f(reference)); None where the method
        has none (saliency, gradient x input).
    relative_delta : (N,) float64 or None
        ``|delta|`` over ``|f(x) - mean f(reference)|``, floored at what float rounding explains (64
        units in the last place, in the model's dtype, of ``|f(x)| + |f(reference)|`` plus the sum of
        the absolute contributions, over the tolerance) and at 1e-3 of the set's mean change.
    tolerance : float
        The largest ``relative_delta`` accepted.
    steps : int
        Integration steps ("ig"), 0 otherwise.
    target : int
        The output column attributed.
    """

    method: str
    attributions: np.ndarray
    hypothetical: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray
    reference_outputs: np.ndarray | None = None
    delta: np.ndarray | None = None
    relative_delta: np.ndarray | None = None
    tolerance: float = 1e-3
    steps: int = 0
    target: int = 0
    notes: list[str] = field(default_factory=list)

    def projected(self) -> np.ndarray:
        """(N, 4, L) ``hypothetical * inputs``: each position's contribution on the letter present
        (TF-MoDISco's contribution scores; zero at N)."""
        return self.hypothetical * self.inputs

    def corrected(self) -> Attributions:
        """The gradient correction (Majdandzic et al.): each position's mean over the four letters
        subtracted from ``hypothetical`` (the off-simplex part of the gradient), and the
        attributions re-read from it. Sums change, so the check is not carried over."""
        hyp = self.hypothetical - self.hypothetical.mean(axis=1, keepdims=True)
        return Attributions(self.method + "+corrected", hyp * self.inputs, hyp, self.inputs, self.outputs,
                            self.reference_outputs, None, None, self.tolerance, self.steps, self.target,
                            [*self.notes, "gradient-corrected: the completeness check does not apply"])

    def to_npz(self, attributions: str, sequences: str | None = None, *, hypothetical: bool = True) -> None:
        """Files in the layout ``modisco motifs -s ohe.npz -a attr.npz`` (modisco-lite) reads: the
        ``(N, 4, L)`` hypothetical contributions (or the actual ones) as ``arr_0`` in ``attributions``,
        and the one-hot sequences as ``arr_0`` in ``sequences``. Written atomically."""
        from exactpwm.io.files import atomic_output

        with atomic_output(attributions, "wb") as f:
            np.savez_compressed(f, (self.hypothetical if hypothetical else self.attributions).astype(np.float32))
        if sequences is not None:
            with atomic_output(sequences, "wb") as f:
                np.savez_compressed(f, self.inputs.astype(np.float32))

    def to_pandas(self) -> Any:
        """One row per base of every sequence: sequence, start (the 0-based position), letter,
        score (its contribution)."""
        pd = optional_import("pandas", "tables", "Attributions.to_pandas")
        N, _, L = self.inputs.shape
        letters = np.where(self.inputs.sum(axis=1) > 0, self.inputs.argmax(axis=1), 4)
        return pd.DataFrame({"sequence": np.repeat(np.arange(N), L), "start": np.tile(np.arange(L), N),
                             "letter": np.array(list("ACGTN"))[letters.ravel()],
                             "score": self.attributions.sum(axis=1).ravel()})


def one_hot_inputs(sequences: Any) -> np.ndarray:
    """(N, 4, L) float32 one-hot of equal-length sequences: :func:`exactpwm.core.sequence.one_hot_rows`."""
    return one_hot_rows(sequences)


def attribute(model: Any, sequences: Any, *, method: str = "ig", target: int = 0, baseline: Any = None,
              steps: int | str = "auto", n_shuffles: int = 20, seed: int = 0, batch_size: int = 64,
              layout: str = "auto", tolerance: float | None = None, check: bool = True, window: int = 10,
              mask: str = "N", progress: Any = None, rule: str = "rescale") -> Attributions:
    """Attribution maps of ``model``'s output ``target`` for each sequence.

    Parameters
    ----------
    model : torch.nn.Module
        Takes one-hot DNA (float, in its parameters' dtype), returns (B, ...) outputs; run in eval mode.
    sequences : equal-length str, (N, L) codes or one-hot (N, 4, L)
    method : "saliency" (the gradient at every letter), "gxi" (gradient x input), "ig"
        (integrated gradients from ``baseline``, completeness checked), "deeplift" (the rescale
        rule, read from the model's graph, see :mod:`exactpwm.interpret.deeplift`; additivity
        checked) or "deepshap" (DeepLIFT averaged over ``n_shuffles`` shuffled references); with
        any op that has no elementwise rule (max pooling, softmax, layer norm, attention) given
        integrated gradients on that op alone, rescaled to its change (the notes name them);
        "ism" (every substitution, through the model's local windows where its graph allows,
        see :func:`exactpwm.interpret.ism.saturation_mutagenesis`: the hypothetical map is each
        base's effect less the position's mean over the four, the letter present's entry its
        contribution; N has no letter, so no contribution); "occlusion" (each window of
        ``window`` bases masked, the output's drop shared by the positions it covers); "cam"
        (class activation map, for models that pool globally: see
        :func:`exactpwm.interpret.activation_maps.class_activation_map`)
    baseline : "zero" (all-zero input), "shuffle" (``n_shuffles`` dinucleotide shuffles of each
        sequence, seeded; the map is the mean over them) or an (N, 4, L) or (N, R, 4, L) array;
        default: "zero" for "ig" and "deeplift", "shuffle" for "deepshap"
    steps : integration steps for "ig" (the trapezoid rule on the straight path), or "auto": from 16,
        doubled until every sequence's completeness error is within ``tolerance``; when more steps
        stop helping (float rounding, kinks such as max pooling) or 1024 are reached, the error is
        reported (a warning and ``notes``), not raised
    check : with a given number of steps, raise :class:`AttributionError` when completeness is
        missed (False: warn and return the map)
    layout : "auto", "NCL" ((N, 4, L)) or "NLC" ((N, L, 4))
    tolerance : the largest relative completeness (additivity) error accepted (see
        :class:`Attributions`); default 1e-3 for "ig", 1e-4 for "deeplift" and "deepshap"
    window, mask : "occlusion": the window's width, and what replaces it: "N" (all-zero columns)
        or "shuffle" (its own letters in a seeded random order)
    progress : called with a count of work units done (substitutions, windows), as they are done
    rule : "deeplift" and "deepshap": "rescale" (every op has a rule, see above) or "revealcancel"
        (Shrikumar et al.'s RevealCancel on elementwise nonlinearities, positive and negative
        changes carried apart; ops without a RevealCancel rule are refused by name, see
        :mod:`exactpwm.interpret.reveal_cancel`)

    Returns
    -------
    Attributions, with its check. Results do not depend on ``batch_size``.
    """
    torch = optional_import("torch", "torch", "attribution maps")
    if not isinstance(model, torch.nn.Module):
        raise InputTypeError(f"attribute takes a torch.nn.Module, got {type(model).__name__}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    target = int(check_number(target, "target", low=0, integer=True))
    batch_size = int(check_number(batch_size, "batch_size", low=1, integer=True))
    if tolerance is None:
        tolerance = 1e-3 if method == "ig" else 1e-4
    tolerance = float(check_number(tolerance, "tolerance", low=0))
    if baseline is None:
        baseline = "shuffle" if method == "deepshap" else "zero"
    x = one_hot_inputs(sequences)
    if x.shape[0] == 0 or x.shape[2] == 0:
        raise ValueError("no sequences given (or sequences of length 0): nothing to attribute")
    was_training = model.training
    _set_training(model, False)
    try:
        run = _Runner(torch, model, layout, x.shape[2], target, batch_size)
        if method in ("saliency", "gxi"):
            f, grad = run.gradients(x)
            attr = grad if method == "saliency" else grad * x
            return Attributions(method, attr, grad, x, f, target=target,
                                notes=[f"{method}: no completeness check exists for this method"])
        if method in ("deeplift", "deepshap"):
            if rule not in ("rescale", "revealcancel"):
                raise ValueError(f"rule must be 'rescale' or 'revealcancel', got {rule!r}")
            return _deeplift(run, x, baseline, n_shuffles, seed, tolerance, check, target, method, rule)
        if method == "ism":
            return _ism(run, x, seed, progress)
        if method == "occlusion":
            return _occlusion(run, x, window, mask, seed, progress)
        if method == "cam":
            return _cam(run, x, tolerance)
        return _integrated_gradients(run, x, baseline, steps, n_shuffles, seed, tolerance, check, target)
    finally:
        _set_training(model, was_training)


def _set_training(model: Any, mode: bool) -> None:
    """``model.train(mode)``; a model exported by torch.export refuses it, and has no train mode
    (its graph is the one it was exported with)."""
    try:
        model.train(mode)
    except (NotImplementedError, RuntimeError):
        pass


class _Runner:
    """The model on (B, 4, L) one-hot numpy batches: target outputs and their input gradients."""

    def __init__(self, torch: Any, model: Any, layout: str, length: int, target: int, batch_size: int):
        self.torch, self.model, self.target, self.batch_size = torch, model, target, batch_size
        param = next(iter(model.parameters()), None)
        self.dtype = param.dtype if param is not None else torch.float32
        self.layout = _find_layout(torch, model, layout, length, self.dtype)

    def _forward(self, xb: Any) -> Any:
        out = self.model(xb if self.layout == "NCL" else xb.transpose(1, 2))
        out = out.reshape(out.shape[0], -1)
        if self.target >= out.shape[1]:
            raise ValueError(f"target {self.target} is not an output of this model: it has {out.shape[1]} "
                             "outputs per sequence")
        return out[:, self.target]

    def gradients(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(f (N,) float64, df/dx (N, 4, L) float64)."""
        torch = self.torch
        fs, gs = [], []
        for a in range(0, len(x), self.batch_size):
            xb = torch.from_numpy(x[a:a + self.batch_size]).to(self.dtype).requires_grad_(True)
            f = self._forward(xb)
            (g,) = torch.autograd.grad(f.sum(), xb)
            fs.append(f.detach().double().numpy())
            gs.append(g.detach().double().numpy())
        return np.concatenate(fs), np.concatenate(gs)

    def outputs(self, x: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            return np.concatenate([self._forward(torch.from_numpy(x[a:a + self.batch_size]).to(self.dtype))
                                   .double().numpy() for a in range(0, len(x), self.batch_size)])


def _find_layout(torch: Any, model: Any, layout: str, length: int, dtype: Any) -> str:
    """"NCL" or "NLC": the one the model accepts (both accepted: NCL, as PyTorch's Conv1d)."""
    if layout in ("NCL", "NLC"):
        return layout
    if layout != "auto":
        raise ValueError(f"layout must be 'auto', 'NCL' ((N, 4, L)) or 'NLC' ((N, L, 4)), got {layout!r}")
    probe = torch.zeros((1, 4, length), dtype=dtype)
    problems = []
    for name, xb in (("NCL", probe), ("NLC", probe.transpose(1, 2))):
        try:
            with torch.no_grad():
                model(xb)
            return name
        except Exception as exc:  # noqa: BLE001 - a model that does not take this layout
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
    raise ValueError(f"the model takes neither one-hot (N, 4, {length}) nor (N, {length}, 4) input: "
                     + "; ".join(problems))


def _references(x: np.ndarray, baseline: Any, n_shuffles: int, seed: int) -> np.ndarray:
    """(N, R, 4, L) float32 references per sequence."""
    if isinstance(baseline, str) and baseline == "zero":
        return np.zeros((x.shape[0], 1) + x.shape[1:], np.float32)
    if isinstance(baseline, str) and baseline == "shuffle":
        n_shuffles = int(check_number(n_shuffles, "n_shuffles", low=1, integer=True))
        codes = dinucleotide_shuffle(x, n_shuffles, seed=seed)  # (N, R, L)
        eye = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
        return np.ascontiguousarray(eye[codes].transpose(0, 1, 3, 2))
    b = np.asarray(baseline, np.float32)
    if b.shape == x.shape:
        return b[:, None]
    if b.ndim == 4 and b.shape[0] == x.shape[0] and b.shape[2:] == x.shape[1:]:
        return np.ascontiguousarray(b)
    raise ValueError(f"baseline must be 'zero', 'shuffle', or an array of shape {x.shape} (or (N, R, 4, L)); "
                     f"got {getattr(b, 'shape', type(baseline).__name__)}")


def _rows(baseline: Any, a: int, b: int) -> Any:
    """Rows a..b of a baseline array (a named baseline as it is)."""
    return baseline if isinstance(baseline, str) else np.asarray(baseline)[a:b]


def _relative_error(delta: np.ndarray, diff: np.ndarray, f: np.ndarray, f_ref: np.ndarray, tolerance: float,
                    dtype: Any, attr: np.ndarray) -> np.ndarray:
    """|delta| over the output change, floored at what float rounding can explain (64 units in the
    last place, in the model's dtype, of |f(x)| + |f(reference)| + the sum of |contributions|, over
    the tolerance) and at 1e-3 of the set's mean change."""
    import torch

    eps = float(torch.finfo(dtype).eps) if dtype.is_floating_point else 0.0
    size = np.abs(f) + np.abs(f_ref) + np.abs(attr).sum(axis=(1, 2))
    floor = 64 * eps * size / max(tolerance, 1e-300)
    scale = np.maximum(np.maximum(np.abs(diff), floor), 1e-3 * max(float(np.abs(diff).mean()), 1e-300))
    return np.abs(delta) / scale


def _deeplift(run: _Runner, x: np.ndarray, baseline: Any, n_shuffles: int, seed: int, tolerance: float, check: bool,
              target: int, method: str, rule: str = "rescale") -> Attributions:
    from exactpwm.interpret.deeplift import check_graph, deeplift_multipliers
    from exactpwm.interpret.reveal_cancel import revealcancel_multipliers

    traced, blocks = check_graph(run.model)  # refuse an untraceable model before any work; traced once
    N = x.shape[0]
    attr, hyp = np.empty(x.shape), np.empty(x.shape)
    f, f_ref = np.empty(N), np.empty(N)
    if not isinstance(baseline, str):
        _references(x, baseline, n_shuffles, seed)  # the shape checked once, for all rows
    R = _references(x[:1], _rows(baseline, 0, 1), n_shuffles, seed).shape[1]
    step = max(1, run.batch_size // R)  # sequences per batch: each with its R references
    for a in range(0, N, step):
        b = min(N, a + step)
        refs = _references(x[a:b], _rows(baseline, a, b), n_shuffles, seed)  # (c, R, 4, L)
        c = b - a
        pairs_x = np.repeat(x[a:b], R, axis=0)
        pairs_r = refs.reshape((c * R,) + x.shape[1:])
        if rule == "revealcancel":
            up, down, fx, fr = revealcancel_multipliers(run.model, pairs_x, pairs_r, target, run.dtype, run.layout,
                                                        traced)
            up, down = up.reshape(refs.shape), down.reshape(refs.shape)
            change = x[a:b, None] - refs
            attr[a:b] = (up * np.maximum(change, 0) + down * np.minimum(change, 0)).mean(axis=1)
            # letter c placed: +1 at c (unless the reference has it), -1 at the reference's letter
            hyp[a:b] = ((1 - refs) * (up - (down * refs).sum(axis=2, keepdims=True))).mean(axis=1)
        else:
            mult, fx, fr = deeplift_multipliers(run.model, pairs_x, pairs_r, target, run.dtype, run.layout, traced)
            mult = mult.reshape(refs.shape)
            attr[a:b] = (mult * (x[a:b, None] - refs)).mean(axis=1)
            hyp[a:b] = (mult - (mult * refs).sum(axis=2, keepdims=True)).mean(axis=1)
        f[a:b] = fx.reshape(c, R)[:, 0]
        f_ref[a:b] = fr.reshape(c, R).mean(axis=1)
    diff = f - f_ref
    delta = attr.sum(axis=(1, 2)) - diff
    rel = _relative_error(delta, diff, f, f_ref, tolerance, run.dtype, attr)
    result = Attributions(method, attr, hyp, x, f, f_ref, delta, rel, tolerance, 0, target,
                          [f"{method}: the {'RevealCancel' if rule == 'revealcancel' else 'rescale'} rule on every "
                           f"elementwise nonlinearity, {R} reference(s) per sequence"]
                          + ([f"{method}: integrated gradients rescaled to each op's change on {', '.join(blocks)}"]
                             if blocks else []))
    i = int(np.argmax(rel))
    if rel[i] > tolerance:
        message = (f"{method} misses additivity on {int((rel > tolerance).sum())} of {N} sequences: sequence {i} "
                   f"sums to {attr[i].sum():.6g} where f(x) - f(reference) is {diff[i]:.6g} (relative error "
                   f"{rel[i]:.3g} > tolerance {tolerance:g})")
        if check:
            raise AttributionError(message)
        result.notes.append(message)
        warnings.warn(message, ExactpwmWarning, stacklevel=3)
    return result


def _integrated_gradients(run: _Runner, x: np.ndarray, baseline: Any, steps: int | str, n_shuffles: int, seed: int,
                          tolerance: float, check: bool, target: int) -> Attributions:
    refs = _references(x, baseline, n_shuffles, seed)  # (N, R, 4, L)
    N, R = refs.shape[:2]
    f = run.outputs(x)
    f_ref = run.outputs(refs.reshape((N * R,) + x.shape[1:])).reshape(N, R)
    diff = f - f_ref.mean(axis=1)
    auto = isinstance(steps, str)
    if auto and steps != "auto":
        raise ValueError(f"steps must be a positive integer or 'auto', got {steps!r}")
    m = 16 if auto else int(check_number(steps, "steps", low=1, integer=True))
    # the trapezoid rule T(m) on [0, 1] with m intervals (doubling m adds only the new midpoints),
    # and with m even, Simpson's rule from the same points: (4 T(m) - T(m / 2)) / 3
    ends = (_gradients_at(run, x, refs, 0.0) + _gradients_at(run, x, refs, 1.0)) / 2
    even = sum((_gradients_at(run, x, refs, k / m) for k in range(2, m, 2)), np.zeros(refs.shape))
    inner = even + sum((_gradients_at(run, x, refs, k / m) for k in range(1, m, 2)), np.zeros(refs.shape))
    half = (ends + even) / (m // 2) if m % 2 == 0 else None  # T(m / 2)
    best = np.inf
    while True:
        trapezoid = (ends + inner) / m  # (N, R, 4, L): the mean gradient on each path
        mult = trapezoid
        attr = (mult * (x[:, None] - refs)).mean(axis=1)
        delta = attr.sum(axis=(1, 2)) - diff
        if half is not None:  # per sequence, the rule complete to the lower error (kinks can favour either)
            simpson = (4 * trapezoid - half) / 3
            attr_s = (simpson * (x[:, None] - refs)).mean(axis=1)
            delta_s = attr_s.sum(axis=(1, 2)) - diff
            better = np.abs(delta_s) < np.abs(delta)
            mult = np.where(better[:, None, None, None], simpson, trapezoid)
            attr = np.where(better[:, None, None], attr_s, attr)
            delta = np.where(better, delta_s, delta)
        half = trapezoid
        rel = _relative_error(delta, diff, f, np.abs(f_ref).mean(axis=1), tolerance, run.dtype, attr)
        worst = float(rel.max())
        # stop: met, out of steps, or no longer converging (float rounding, or a kinked model)
        if not auto or worst <= tolerance or m >= 1024 or (m >= 64 and worst > 0.5 * best):
            break
        best = min(best, worst)
        inner = inner + sum((_gradients_at(run, x, refs, (2 * k + 1) / (2 * m)) for k in range(m)),
                            np.zeros(refs.shape))
        m *= 2
    hyp = (mult - (mult * refs).sum(axis=2, keepdims=True)).mean(axis=1)
    result = Attributions("ig", attr, hyp, x, f, f_ref.mean(axis=1), delta, rel, tolerance, m, target,
                          [f"integrated gradients, {m} steps (per sequence, the trapezoid or Simpson's rule on the "
                           f"same points, whichever is complete to the lower error), {R} reference(s) per sequence"])
    i = int(np.argmax(rel))
    if rel[i] > tolerance:
        message = (f"integrated gradients miss completeness on {int((rel > tolerance).sum())} of {N} sequences "
                   f"after {m} steps: sequence {i} sums to {attr[i].sum():.6g} where f(x) - f(baseline) is "
                   f"{diff[i]:.6g} (relative error {rel[i]:.3g} > tolerance {tolerance:g})"
                   + ("; more steps no longer help (float rounding in the model, or kinks such as max pooling)"
                      if auto else "; give more steps (or steps='auto')"))
        if check and not auto:
            raise AttributionError(message)
        result.notes.append(message)
        warnings.warn(message, ExactpwmWarning, stacklevel=3)
    return result


def _gradients_at(run: _Runner, x: np.ndarray, refs: np.ndarray, alpha: float) -> np.ndarray:
    """(N, R, 4, L) gradients at ``alpha`` of the way from each reference to its sequence."""
    N, R = refs.shape[:2]
    points = (refs + np.float32(alpha) * (x[:, None] - refs)).astype(np.float32)
    _, g = run.gradients(points.reshape((N * R,) + x.shape[1:]))
    return g.reshape(refs.shape)


def _ism(run: _Runner, x: np.ndarray, seed: int, progress: Any) -> Attributions:
    from exactpwm.interpret.ism import saturation_mutagenesis

    model = run.model if run.layout == "NCL" else _channels_last(run.torch, run.model)
    y0, y = saturation_mutagenesis(model, x, seed=seed, progress=progress)
    if run.target >= y0.shape[1]:
        raise ValueError(f"target {run.target} is not an output of this model: it has {y0.shape[1]} outputs per "
                         "sequence")
    effect = y[..., run.target] - y0[:, run.target, None, None]  # (N, 4, L)
    hyp = effect - effect.mean(axis=1, keepdims=True)
    n_at = int((x.sum(axis=1) == 0).sum())
    notes = ["ism: each substitution's change of the output, less the position's mean over the four letters "
             "(hypothetical); the letter present's entry is its contribution"]
    if n_at:
        notes.append(f"ism: {n_at} N position(s) hold no letter, so no contribution (zero there); their "
                     "hypothetical rows hold each base's effect")
    return Attributions("ism", hyp * x, hyp, x, y0[:, run.target], target=run.target, notes=notes)


def _channels_last(torch: Any, model: Any) -> Any:
    class ChannelsLast(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, t: Any) -> Any:
            return self.inner(t.transpose(1, 2))

    return ChannelsLast()


def _occlusion(run: _Runner, x: np.ndarray, window: int, mask: str, seed: int, progress: Any) -> Attributions:
    """Each window of ``window`` positions masked; a position's score is the mean output drop over
    the windows holding it."""
    window = int(check_number(window, "window", low=1, integer=True))
    if mask not in ("N", "shuffle"):
        raise ValueError(f"mask must be 'N' or 'shuffle', got {mask!r}")
    N, _, L = x.shape
    w = min(window, L)
    starts = np.arange(L - w + 1)
    f = run.outputs(x)
    covered = np.convolve(np.ones(starts.size), np.ones(w))  # windows holding each position, (L,)
    score = np.empty((N, L))
    rng = np.random.default_rng(seed)
    for s in range(N):
        edits = np.repeat(x[s][None], starts.size, axis=0)  # (W, 4, L)
        cols = starts[:, None] + np.arange(w)[None, :]
        if mask == "N":
            edits[np.arange(starts.size)[:, None], :, cols] = 0
        else:
            order = np.argsort(rng.random(cols.shape), axis=1)
            mixed = np.take_along_axis(cols, order, 1)  # each window's own columns, in a random order
            edits[np.arange(starts.size)[:, None], :, cols] = x[s][:, mixed].transpose(1, 2, 0)
        drop = f[s] - run.outputs(edits)
        score[s] = np.convolve(drop, np.ones(w)) / covered
        if progress is not None:
            progress(starts.size)
    attr = score[:, None, :] * x
    return Attributions("occlusion", attr, attr, x, f, target=run.target,
                        notes=[f"occlusion: windows of {w} masked with {mask}; each position's score is the mean drop "
                               "of the output over the windows holding it, on the letter present (no hypothetical "
                               "values: 'hypothetical' holds the same map); no completeness check exists for this "
                               "method"])


def _cam(run: _Runner, x: np.ndarray, tolerance: float) -> Attributions:
    from exactpwm.interpret.activation_maps import class_activation_map

    model = run.model if run.layout == "NCL" else _channels_last(run.torch, run.model)
    cam, f, f0, notes = class_activation_map(model, x, run.target, run.dtype)
    diff = f - f0
    delta = cam.sum(axis=1) - diff
    attr = cam[:, None, :] * x
    rel = _relative_error(delta, diff, f, f0, tolerance, run.dtype, attr)
    if float(rel.max()) <= tolerance:
        notes.append("cam: the head after the pool is linear, so the map sums to f(x) - head(0) (checked)")
        return Attributions("cam", attr, attr, x, f, f0, delta, rel, tolerance, 0, run.target, notes)
    notes.append("cam: the head after the pool is not linear, so this is Grad-CAM: no completeness holds")
    return Attributions("cam", attr, attr, x, f, target=run.target, notes=notes)
