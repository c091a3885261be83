"""Input reconstruction (class optimisation): the input a model scores highest for a class, found
by gradient ascent on the input itself, as DeMo and DeepMotif do (Talukder et al.'s review,
"Input reconstruction methods"), and read as a PWM.

The free parameters Z (T, 4, L) pass through a softmax over the bases, so every start is a
probability matrix X; ``S_c(X) - lam ||X||^2`` is maximised from T seeded starts
(:func:`exactpwm.interpret.gradient_ascent.ascend`). Each X is a PWM; the most informative window
of the best-scoring start is returned as a :class:`exactpwm.Motif`, ready for
:func:`exactpwm.interpret.tomtom.compare_motifs` against JASPAR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number
from exactpwm.interpret.gradient_ascent import ascend, evaluating, model_outputs

__all__ = ["Reconstruction", "class_optimization"]


@dataclass
class Reconstruction:
    """pwms : (T, 4, L) float64 probability matrices (rows A, C, G, T), one per start; scores :
    (T,) the class score of each; output : the class."""

    pwms: np.ndarray
    scores: np.ndarray
    output: int

    @property
    def best(self) -> np.ndarray:
        """(4, L) the PWM of the highest-scoring start."""
        return self.pwms[int(np.argmax(self.scores))]

    def motif(self, width: int | None = None, name: str | None = None) -> Any:
        """The best PWM's window of ``width`` columns with the most information (all columns when
        None), as a :class:`exactpwm.Motif`."""
        from exactpwm.core.motif import Motif

        P = self.best
        L = P.shape[1]
        width = L if width is None else int(check_number(width, "width", low=1, high=L, integer=True))
        ic = 2 + (P * np.log2(np.clip(P, 1e-300, None))).sum(axis=0)
        sums = np.convolve(ic, np.ones(width), mode="valid")
        a = int(np.argmax(sums))
        window = P[:, a:a + width]
        return Motif(name or f"class{self.output}", window / window.sum(axis=0, keepdims=True))


def class_optimization(model: Any, length: int, *, output: int = 0, starts: int = 10, steps: int = 300,
                       lam: float = 0.0, lr: float = 0.1, seed: int = 0) -> Reconstruction:
    """Gradient ascent on the input of ``model`` for output ``output`` (see the module's notes).

    Parameters
    ----------
    model : torch.nn.Module taking (B, 4, ``length``) inputs in its parameters' dtype and
        returning (B, outputs) logits
    starts : T seeded random starts; steps, lr : Adam's steps and learning rate
    lam : the L2 weight on the probabilities (0: none; the softmax already bounds them)
    """
    import torch

    length = int(check_number(length, "length", low=1, integer=True))
    with evaluating(model) as dtype:
        n_out = model_outputs(model, length, dtype)
        output = int(check_number(output, "output", low=0, integer=True))
        if output >= n_out:
            raise ValueError(f"output {output} does not exist: the model has {n_out} outputs")

        def score(X: Any) -> Any:
            return model(X).reshape(len(X), -1)[:, output]
        res = ascend(score, (4, length), starts=starts, steps=steps, lam=lam, lr=lr, seed=seed, dtype=dtype,
                     transform=lambda Z: torch.softmax(Z, dim=1))
    return Reconstruction(res.values, res.scores, output)
