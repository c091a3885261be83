"""What variants do to a CNN: each first-layer kernel's maximum activation over the windows
overlapping a variant, or a whole model's outputs on the window around it, on the reference and on
the alternative haplotype. The VCF and genome are read as for motif effects
(:mod:`exactpwm.io.vcf`); what cannot be scored is counted and named.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from exactpwm.core._checks import optional_import
from exactpwm.core.haplotypes import haplotype_records
from exactpwm.core.sequence import ENCODE
from exactpwm.core.types import Strand
from exactpwm.interpret.model_runner import model_runner
from exactpwm.io.vcf import VariantColumns, by_change, checked_variants, warn_skipped

__all__ = ["KernelVariantEffects", "kernel_variant_effects", "model_variant_effects"]


@dataclass
class KernelVariantEffects:
    """A quantity per variant on the reference and on the alternative haplotype: each kernel's
    maximum activation (:func:`kernel_variant_effects`) or a model's outputs
    (:func:`model_variant_effects`).

    Attributes
    ----------
    variants : list of Variant
        The scored variants (one per ALT), in VCF order.
    ref, alt : numpy.ndarray
        (V, K) float64 on the reference and on the alternative haplotype: the maximum activation
        (bias included; -inf where no window fits), or the model's K outputs.
    skipped : dict
        {reason: count} of the variants not scored, as :class:`VariantEffects`.
    examples : dict
        {reason: the first few of them, as 'chrom:POS REF>ALT'}.
    """

    variants: list
    ref: np.ndarray
    alt: np.ndarray
    skipped: dict
    examples: dict = field(default_factory=dict)

    def to_pandas(self, names: list[str] | None = None, *, what: str = "kernel", value: str = "activation",
                  min_delta: float = 0.0) -> Any:
        """One row per variant and column of ``ref``/``alt`` (V, X): chrom, pos (VCF POS), id, ref,
        alt, ``what`` (the column's name from ``names``, default its index), ref_``value``,
        alt_``value``, delta; only rows with |delta| >= ``min_delta`` when it is > 0."""
        pd = optional_import("pandas", "variants", "KernelVariantEffects.to_pandas")
        V, X = self.ref.shape
        names = [str(i) for i in range(X)] if names is None else list(names)
        if len(names) != X:
            raise ValueError(f"{len(names)} names for {X} columns")
        keep = np.abs(self.delta) >= min_delta if min_delta > 0 else np.ones((V, X), bool)
        vi, xi = np.nonzero(keep)
        cols = {name: np.array([getattr(v, name) for v in self.variants], dtype=object)[vi]
                for name in ("chrom", "id", "ref", "alt")}
        return pd.DataFrame({
            "chrom": cols["chrom"], "pos": np.array([v.pos + 1 for v in self.variants], np.int64)[vi],
            "id": cols["id"], "ref": cols["ref"], "alt": cols["alt"], what: np.asarray(names, dtype=object)[xi],
            f"ref_{value}": self.ref[vi, xi], f"alt_{value}": self.alt[vi, xi], "delta": self.delta[vi, xi]})

    @property
    def delta(self) -> np.ndarray:
        """(V, K) float64: ALT minus REF maximum activation."""
        return self.alt - self.ref


def kernel_variant_effects(kernels: Any, genome: str, vcf: str, bias: Any = None, *, strand: Strand = "+",
                           batch: int = 1 << 16, threads: int = 0, backend: str = "auto",
                           records: tuple[int, int] | None = None) -> KernelVariantEffects:
    """What every variant does to each first-layer kernel's maximum activation.

    Parameters
    ----------
    kernels : (K, 4, L) array or tensor
        A Conv1d weight (rows A, C, G, T; cross-correlation, as PyTorch).
    genome, vcf
        As in :func:`exactpwm.variant_effects`.
    bias : (K,) or None
    strand : str
        "+" (the layer as it runs) or "both" (the better of a window and its reverse complement,
        for models scanning both strands).
    batch, threads, backend
        Variants per engine call; as in :func:`exactpwm.conv1d`.
    records : (first, stop) or None
        Only these VCF records (0-based, in file order): a part of a larger job.

    Returns
    -------
    KernelVariantEffects. The windows are those overlapping the variant (see the module's notes);
    N is a zero column, as in :func:`exactpwm.conv1d`, and so is a window's part past a contig's end.
    """
    from exactpwm.core._checks import to_numpy
    from exactpwm.core.scoring import max_scores

    if strand not in ("+", "both"):
        raise ValueError(f"strand must be '+' or 'both', got {strand!r}")
    W = to_numpy(kernels, "kernels").astype(np.float64)
    if W.ndim != 3 or W.shape[1] != 4:
        raise ValueError(f"kernels must have shape (K, 4, L), got {W.shape}")
    K, _, L = W.shape
    skipped: Counter = Counter()
    examples: dict = {}
    done: list = []
    refs: list[np.ndarray] = []
    alts: list[np.ndarray] = []
    for codes, variants in checked_variants(genome, vcf, skipped, examples, records):
        for a in range(0, len(variants), batch):
            part, changes = by_change(variants.take(slice(a, a + batch)))
            for al, packed in zip((refs, alts), haplotype_records(codes, L, *changes)):
                codes_, offsets = packed
                # the records without their separator N: every window overlaps the change, and a
                # CNN reads N (and what lies past a contig's end) as zeros
                keep = np.ones(codes_.size, bool)
                keep[offsets[1:] - 1] = False
                best = max_scores((codes_[keep], offsets - np.arange(offsets.size)), W, bias, strand=strand,
                                  dtype=np.float64, threads=threads, backend=backend)
                al.append(best.score)
            done.append(part)
    warn_skipped(skipped, examples)
    return in_vcf_order(done, refs, alts, K, skipped, examples)


def model_variant_effects(model: Any, genome: str, vcf: str, length: int, *, batch: int = 256,
                          threads: int = 0) -> KernelVariantEffects:
    """What every variant does to a whole model's output: the model on the ``length``-base window
    of each haplotype around the variant, reference against alternative.

    Parameters
    ----------
    model : PWMModel, torch module or callable
        A :class:`exactpwm.PWMModel` (or any callable taking (B, length) uint8 codes), or a torch
        module taking one-hot (B, 4, length) float tensors (N a zero column); outputs (B, M).
    genome, vcf
        As in :func:`exactpwm.variant_effects`.
    length : int
        The model's input length. The window starts ``(length - 1) // 2`` bases before the change
        (its first changed base, or the junction of a deletion); on the alternative haplotype the
        same start, then the allele, then the bases after it, to ``length`` bases. Past a contig's
        end: N.
    batch : int
        Windows per model call.

    Returns
    -------
    KernelVariantEffects with ``ref`` and ``alt`` (V, M).
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    run = model_runner(model, threads)
    skipped: Counter = Counter()
    examples: dict = {}
    done: list = []
    refs: list[np.ndarray] = []
    alts: list[np.ndarray] = []
    half = (length - 1) // 2
    for codes, variants in checked_variants(genome, vcf, skipped, examples):
        padded = np.concatenate([np.full(length, 4, np.uint8), codes, np.full(length, 4, np.uint8)])
        for a0 in range(0, len(variants), batch):
            part = variants.take(slice(a0, a0 + batch))
            ref_rows = np.empty((len(part), length), np.uint8)
            alt_rows = np.empty((len(part), length), np.uint8)
            for i, (a, r, _, s) in enumerate(zip(*part.changes())):
                start = a - half + length  # in padded coordinates
                ref_rows[i] = padded[start:start + length]
                hap = np.concatenate([padded[start:a + length], ENCODE[np.frombuffer(s.encode(), np.uint8)],
                                      padded[a + r + length:a + r + 2 * length]])
                alt_rows[i] = hap[:length]
            refs.append(run(ref_rows))
            alts.append(run(alt_rows))
            done.append(part)
    warn_skipped(skipped, examples)
    return in_vcf_order(done, refs, alts, 0, skipped, examples)


def in_vcf_order(done: list, refs: list, alts: list, width: int, skipped: Counter,
                  examples: dict) -> KernelVariantEffects:
    """The per-batch (V_i, width) results of the ``done`` batches of variants, in VCF order."""
    if not done:
        return KernelVariantEffects([], np.zeros((0, width)), np.zeros((0, width)), dict(skipped), examples)
    variants = VariantColumns(*(np.concatenate([getattr(d, f.name) for d in done]) for f in fields(VariantColumns)))
    order = np.lexsort((variants.allele, variants.record))
    return KernelVariantEffects(variants.take(order).to_list(), np.concatenate(refs)[order],
                                np.concatenate(alts)[order], dict(skipped), examples)
