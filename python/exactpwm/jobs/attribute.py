"""The attribute job: ``exactpwm attribute`` is :func:`run_attribute`. A model saved by
``torch.export`` and equal-length sequences (FASTA) in; attribution maps out, as the ``.npz`` files
modisco-lite reads (``modisco motifs -s ohe.npz -a attr.npz``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from exactpwm.jobs.common import (
    Log,
    OptionsError,
    check_inputs,
    check_outputs,
    load_exported_model,
    stderr_log,
)

__all__ = ["AttributeOptions", "AttributeResult", "run_attribute"]


@dataclass
class AttributeOptions:
    """``exactpwm attribute``'s options.

    model : a ``.pt2`` file (``torch.export.save``) taking one-hot (B, 4, L)
    sequences : a FASTA file of sequences of one length L (the model's, when it fixes one)
    output : the attributions ``.npz`` (``arr_0``, (N, 4, L) float32): the hypothetical contributions
        (what modisco-lite reads), or with ``projected`` each position's contribution on its letter
    ohe : also the one-hot sequences ``.npz`` (``arr_0``, (N, 4, L))
    method, target, baseline, steps, n_shuffles, seed, tolerance : as
        :func:`exactpwm.interpret.attribution.attribute`
    """

    model: str
    sequences: str
    output: str
    ohe: str | None = None
    method: str = "ig"
    target: int = 0
    baseline: str | None = None
    steps: int | str = "auto"
    n_shuffles: int = 20
    seed: int = 0
    tolerance: float | None = None
    projected: bool = False
    batch_size: int = 64


@dataclass
class AttributeResult:
    """The sequences attributed, the method's check, the files written."""

    sequences: int = 0
    steps: int = 0
    max_relative_delta: float | None = None
    paths: list[str] = field(default_factory=list)


def run_attribute(opts: AttributeOptions, *, log: Log = stderr_log) -> AttributeResult:
    """Run one attribution job as ``exactpwm attribute`` does."""
    from exactpwm.interpret.attribution import attribute
    from exactpwm.io.fasta import read_fasta

    check_inputs(opts.model, opts.sequences)
    check_outputs([opts.output, opts.ohe], [opts.model, opts.sequences])
    if not opts.model.lower().endswith(".pt2"):
        raise OptionsError(f"{opts.model}: give a model saved by torch.export.save (.pt2)")
    model, batch, length = load_exported_model(opts.model)
    if batch is not None and opts.method in ("deeplift", "deepshap"):
        raise OptionsError(f"{opts.model} was exported for batches of {batch} only; {opts.method} runs each sequence "
                           "with its references in one batch: export the model with a dynamic batch "
                           "(dynamic_shapes={0: torch.export.Dim('batch')}), or use --method ig")
    names, rows = [], []
    for name, codes in read_fasta(opts.sequences):
        names.append(name)
        rows.append(codes)
    if not rows:
        raise ValueError(f"{opts.sequences}: no sequences")
    lengths = {r.size for r in rows}
    if len(lengths) > 1:
        shown = ", ".join(map(str, sorted(lengths)[:5])) + (", ..." if len(lengths) > 5 else "")
        raise ValueError(f"{opts.sequences}: sequences of {len(lengths)} lengths ({shown}); attribution maps need "
                         "one length")
    if length is not None and rows[0].size != length:
        raise ValueError(f"{opts.model} takes sequences of {length} bases; {opts.sequences} has {rows[0].size}")
    X = np.stack(rows)
    baseline = opts.baseline or ("zero" if opts.method == "deeplift" else "shuffle")
    result = attribute(model, X, method=opts.method, target=opts.target, baseline=baseline,
                       steps=opts.steps, n_shuffles=opts.n_shuffles, seed=opts.seed, tolerance=opts.tolerance,
                       batch_size=opts.batch_size, layout="NCL")
    if opts.projected:
        from exactpwm.io.files import atomic_output

        with atomic_output(opts.output, "wb") as f:
            np.savez_compressed(f, result.projected().astype(np.float32))
        if opts.ohe:
            with atomic_output(opts.ohe, "wb") as f:
                np.savez_compressed(f, result.inputs.astype(np.float32))
    else:
        result.to_npz(opts.output, opts.ohe)
    worst = None if result.relative_delta is None else float(result.relative_delta.max())
    steps = f", {result.steps} steps" if result.steps else ""
    check = (f"; completeness: largest relative error {worst:.3g} (tolerance {result.tolerance:g}){steps}"
             if worst is not None else "; no completeness check exists for this method")
    log(f"attributed {len(X):,} sequences of {X.shape[1]:,} bp ({opts.method}, target {opts.target}){check}")
    paths = [opts.output] + ([opts.ohe] if opts.ohe else [])
    log(f"wrote {', '.join(paths)}")
    return AttributeResult(len(X), result.steps, worst, paths)
