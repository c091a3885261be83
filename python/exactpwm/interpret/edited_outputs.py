"""A model's outputs on sequences with short words written into them: the one primitive behind
global importance analysis (GIA) and pairwise ISM.

Each *edit* writes a word of ``width`` codes at a start position; a word's code :data:`KEEP` (255)
keeps the base already there, so two motifs with a gap between them are one edit. Every edit is
applied to every sequence of a set (the null sequences), and the outputs come back as (E, N, K).

On a torch model whose graph can be traced, each edited sequence is recomputed only inside the
edit's receptive field (:mod:`exactpwm.interpret.local_ism`, with the edit's width), the rest read
from one unedited run of the set; any other model (a :class:`exactpwm.PWMModel`, a callable on
codes, an untraceable module) runs every edited sequence in full. A few edited sequences are always
also run in full, and a disagreement raises :class:`exactpwm.AttributionError`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core._checks import check_number
from exactpwm.core.errors import InputTypeError
from exactpwm.interpret.model_runner import disagreement, is_torch_module, model_runner

__all__ = ["KEEP", "EditedOutputs", "block_size"]

#: a word's code that keeps the base already in the sequence
KEEP = 255


def block_size(batch_size: int | None) -> int:
    """Sequences of the null set per block (:attr:`EditedOutputs.block`): ``batch_size``, or 512. The
    model calls for one block depend only on that block, so blocks run apart (a Dask cluster's tasks)
    give the numbers of one run."""
    return batch_size or 512


class EditedOutputs:
    """Outputs of ``model`` on a fixed set of sequences, unedited and with words written in.

    Parameters
    ----------
    model : torch.nn.Module (one-hot (B, 4, n) input), :class:`exactpwm.PWMModel`, or a callable
        on (B, n) uint8 codes; outputs are flattened to (B, K)
    sequences : (N, n) uint8 codes 0..4 (4 = N, an all-zero one-hot column)
    method : "auto" (local where a torch model's graph can be traced), "local" or "full"
    batch_size : edited sequences per model call (None: about 32 MB of windows locally, 256 in full)
    check : edited sequences also run through the whole model on each call (0 turns this off)
    seed : seeds which edited sequences are checked

    Attributes
    ----------
    baseline : (N, K) float64, the outputs on the sequences as given
    method : "local" or "full", the path taken
    why : why the local path was not taken ("" when it was)
    block : sequences per block (``batch_size``, or 512): the model calls for one block of the set
        depend only on that block, so blocks run on their own (on a cluster) give the same numbers
    """

    def __init__(self, model: Any, sequences: np.ndarray, *, method: str = "auto", batch_size: int | None = None,
                 check: int = 4, seed: int = 0, threads: int = 0):
        if method not in ("auto", "local", "full"):
            raise ValueError(f"method must be 'auto', 'local' or 'full', got {method!r}")
        X = np.asarray(sequences)
        if X.ndim != 2 or X.dtype != np.uint8:
            raise InputTypeError(f"sequences must be (N, n) uint8 codes, got {X.dtype} {X.shape}")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"the null set is empty ({X.shape[0]} sequences of {X.shape[1]} bp): nothing to "
                             "embed into")
        if X.max(initial=0) > 4:
            raise ValueError("sequence codes must be 0..4 (A, C, G, T, N)")
        self.sequences = np.ascontiguousarray(X)
        self.model = model
        self.batch_size = None if batch_size is None else int(check_number(batch_size, "batch_size", low=1,
                                                                            integer=True))
        self.check = int(check_number(check, "check", low=0, integer=True))
        self.rng = np.random.default_rng(int(check_number(seed, "seed", low=0, integer=True)))
        self.block = block_size(self.batch_size)
        self.full = model_runner(model, threads=threads, batch_size=self.batch_size or 256)
        self.method, self.why = "full", ""
        self._plans: dict = {}
        self._dtype = None
        if is_torch_module(model) and method != "full":
            import torch

            from exactpwm.interpret.local_ism import local_plan

            param = next(iter(model.parameters()), None)
            self._dtype = param.dtype if param is not None else torch.float32
            try:
                model.eval()
            except (NotImplementedError, RuntimeError):  # a torch.export module has no train mode
                pass
            plan, why = local_plan(model, X.shape[1], self._dtype, 1)
            if plan is not None:
                self.method = "local"
                self._plans[1] = plan
            elif method == "local":
                raise ValueError(f"no local path for this model: {why}; use method='full'")
            self.why = why
        elif method == "local":
            raise ValueError("method='local' needs a torch model")
        self.baseline = self.full(self.sequences)

    @property
    def outputs(self) -> int:
        """K, the number of outputs per sequence."""
        return int(self.baseline.shape[1])

    def __call__(self, starts: Any, words: Any) -> np.ndarray:
        """Outputs (E, N, K) float64 with ``words[e]`` written at ``starts[e]`` into every sequence.

        starts : (E,) int, 0-based first position of each word
        words : (E, w) uint8 codes 0..3, 4 (N) or :data:`KEEP`, one word per edit for every
            sequence; or (E, N, w), a word per edit and sequence (samples from a PWM)
        """
        starts = np.asarray(starts, np.int64).reshape(-1)
        words = np.asarray(words)
        N, n = self.sequences.shape
        if words.ndim not in (2, 3) or len(words) != len(starts) or (words.ndim == 3 and words.shape[1] != N):
            raise ValueError(f"words must be (E, w) or (E, {N}, w) for {len(starts)} starts, got {words.shape}")
        w = words.shape[-1]
        if w == 0:
            raise ValueError("a word of width 0 edits nothing")
        if w > n:
            raise ValueError(f"a word of width {w} does not fit in sequences of {n} bp")
        bad = (starts < 0) | (starts + w > n)
        if bad.any():
            e = int(np.argmax(bad))
            raise ValueError(f"a word of width {w} at position {starts[e]} does not fit in sequences of {n} bp "
                             f"(positions 0..{n - w})")
        words = words.astype(np.uint8)
        if ((words > 4) & (words != KEEP)).any():
            raise ValueError("word codes must be 0..4 or KEEP (255)")
        E = len(starts)
        y = np.empty((E, N, self.outputs))
        if E == 0:
            return y
        try:
            if self.method == "local":
                self._local(starts, words, y)
            else:
                self._full(starts, words, y)
        except AssertionError as exc:  # a torch.export guard, such as the largest batch it was exported for
            raise ValueError(f"the model refused a batch of edited sequences ({exc}); if it was exported for "
                             "batches of at most B rows, give batch_size=B (--batch-size)") from None
        if self.check:
            self._check(starts, words, y)
        return y

    def edited(self, starts: np.ndarray, words: np.ndarray, e: np.ndarray, i: np.ndarray) -> np.ndarray:
        """(R, n) uint8: sequence ``i[r]`` with edit ``e[r]`` written in."""
        X = self.sequences[i].copy()
        w = words.shape[-1]
        cols = starts[e][:, None] + np.arange(w)[None, :]
        word = words[e, i] if words.ndim == 3 else words[e]
        rows = np.arange(len(e))[:, None]
        X[rows, cols] = np.where(word == KEEP, X[rows, cols], word)
        return X

    def _full(self, starts: np.ndarray, words: np.ndarray, y: np.ndarray) -> None:
        """Block by block (see ``block``), every edit of the block's sequences in batches."""
        N = len(self.sequences)
        step = self.batch_size or 256
        for g0 in range(0, N, self.block):
            G = min(N, g0 + self.block) - g0
            total = len(starts) * G
            for a in range(0, total, step):
                r = np.arange(a, min(total, a + step))
                e, i = r // G, g0 + r % G
                y[e, i] = self.full(self.edited(starts, words, e, i))

    def _local(self, starts: np.ndarray, words: np.ndarray, y: np.ndarray) -> None:
        """Each edit recomputed on the span its word really changes (KEEP columns at its ends
        cut), the spans in buckets of widths rounded up to 8 so that a few plans serve all."""
        import torch

        from exactpwm.interpret.local_ism import LocalReference, rows_per_call, run_rows

        N, n = self.sequences.shape
        changes = words != KEEP if words.ndim == 2 else (words != KEEP).any(axis=1)  # (E, w)
        E, w = changes.shape
        idle = ~changes.any(axis=1)
        y[idle] = self.baseline[None]
        first = changes.argmax(axis=1)
        last = w - 1 - changes[:, ::-1].argmax(axis=1)
        width = np.minimum(-(-(last - first + 1) // 8) * 8, n)
        begin = np.minimum(starts + first, n - width)  # the recomputed span: begin .. begin + width - 1
        eye = torch.cat([torch.eye(4, dtype=self._dtype), torch.zeros((1, 4), dtype=self._dtype)])
        buckets = [(int(b), np.flatnonzero((width == b) & ~idle)) for b in np.unique(width[~idle])]
        plans = [self._plan(b) for b, _ in buckets]
        if not plans:
            return
        widest = plans[int(np.argmax([b for b, _ in buckets]))]
        steps = [self.batch_size or rows_per_call(plan, self.sequences[:1], self._dtype) for plan in plans]
        for g0, g1, ref in LocalReference.groups(widest, self.sequences, self._dtype, self.block):
            G = g1 - g0
            for (b, edits), plan, step in zip(buckets, plans, steps):
                total = len(edits) * G
                for a in range(0, total, step):
                    r = np.arange(a, min(total, a + step))
                    e, i = edits[r // G], r % G
                    cols = begin[e][:, None] + np.arange(b)[None, :]
                    j = cols - starts[e][:, None]  # the word's column at each recomputed position
                    inside = (j >= 0) & (j < w)
                    jj = np.clip(j, 0, w - 1)
                    word = words[e[:, None], g0 + i[:, None], jj] if words.ndim == 3 else words[e[:, None], jj]
                    old = self.sequences[g0 + i[:, None], cols]
                    new = np.where(inside & (word != KEEP), word, old).astype(np.int64)
                    onehot = eye[torch.from_numpy(new)].transpose(1, 2)
                    y[e, g0 + i] = run_rows(plan, ref, i, begin[e], onehot)

    def _plan(self, width: int) -> Any:
        from exactpwm.interpret.local_ism import local_plan

        if width not in self._plans:
            traced = self._plans[1].graph_module  # one graph, so that every plan's nodes are the reference's
            plan, why = local_plan(traced, self.sequences.shape[1], self._dtype, width)
            if plan is None:  # pragma: no cover - the width-1 plan exists, so a wider one does
                raise ValueError(f"no local path for edits of width {width}: {why}")
            self._plans[width] = plan
        return self._plans[width]

    def _check(self, starts: np.ndarray, words: np.ndarray, y: np.ndarray) -> None:
        from exactpwm.core.errors import AttributionError

        E, N, _ = y.shape
        count = min(self.check, E * N)
        r = self.rng.choice(E * N, count, replace=False)
        e, i = r // N, r % N
        want = self.full(self.edited(starts, words, e, i))
        got = y[e, i]
        worst = disagreement(got, want, self.baseline, self._dtype)
        if worst is not None:
            k, err, tol = worst
            raise AttributionError(f"the {self.method} path disagrees with running the model: sequence {i[k]}, edit at "
                                   f"{starts[e[k]]}: {got[k].tolist()[:4]} against {want[k].tolist()[:4]} "
                                   f"(|difference| {err:.3g} > {tol:.3g}); use method='full' and report the model")
