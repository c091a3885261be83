"""Variant effects on motif matches: what each SNV, MNV or indel does to every motif's best match.

For each variant, alternative allele and motif, the best window that overlaps the variant is
found on the reference haplotype and on the alternative one (both strands), with its score,
exact p-value, start, strand and letters; then the change of score and a call:

* ``gain``: only the alternative allele has a hit (p <= the threshold),
* ``loss``: only the reference has one,
* ``change``: both have one (read the score change),
* ``none``: neither (reported only when asked for every row).

Conventions: alleles are normalised by trimming the bases REF and ALT share on the left, then on
the right; the windows that overlap a variant are those holding a changed base, or, for a pure
insertion or deletion, those holding both bases beside the junction. Windows holding N (in the
genome, or past a contig's end) are never best. Starts are 0-based on the allele's haplotype,
which shares the reference's coordinates up to the variant. Scores are the scan's (quantized
log-odds, exact p-values under the strand-symmetric background, see :mod:`exactpwm.scanning.plan`).

Inputs: VCF or BCF (plain or bgzip; no index needed, any order) through pysam, multi-allelic
sites split; an indexed genome FASTA through pysam. Variants that cannot be scored are counted and
reported, never dropped silently: a REF that does not match the genome, a contig the FASTA does not
hold, symbolic alleles (``<DEL>``, ``*``) and breakends.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.core.sequence import _ENCODE
from exactpwm.core.types import Background, Motifs

__all__ = ["KernelVariantEffects", "Variant", "VariantEffects", "kernel_variant_effects", "model_variant_effects",
           "read_variants", "variant_effects"]

@dataclass
class Variant:
    """One alternative allele at one site: ``pos`` 0-based (VCF POS - 1); ``ref``/``alt`` as in the
    VCF (uppercase); ``record`` the index of its VCF record, ``allele`` its ALT number (1-based)."""

    chrom: str
    pos: int
    ref: str
    alt: str
    id: str = "."
    record: int = 0
    allele: int = 1

    def trimmed(self) -> tuple[int, str, str]:
        """(0-based start of the change, changed REF bases, changed ALT bases): the bases both
        alleles share trimmed on the left, then on the right."""
        ref, alt, pos = self.ref, self.alt, self.pos
        i = 0
        while i < min(len(ref), len(alt)) and ref[i] == alt[i]:
            i += 1
        ref, alt, pos = ref[i:], alt[i:], pos + i
        j = 0
        while j < min(len(ref), len(alt)) and ref[-1 - j] == alt[-1 - j]:
            j += 1
        return pos, ref[:len(ref) - j], alt[:len(alt) - j]


@dataclass
class VariantEffects:
    """The effects table and what could not be scored.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (variant, motif) reported: chrom, pos (VCF POS), id, ref, alt, motif,
        motif_alt, then per allele ``ref_*`` / ``alt_*``: score, pvalue, start (0-based, see the
        module's notes), strand, matched; then delta (ALT - REF best score) and call.
    skipped : dict
        {reason: count} of the variants not scored.
    examples : dict
        {reason: the first few of them, as 'chrom:POS REF>ALT'}.
    record, allele : numpy.ndarray
        int64, one per row of the table: its VCF record (0-based, in file order) and ALT number
        (1-based).
    """

    table: Any
    skipped: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)
    record: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    allele: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def write_vcf(self, vcf_in: str, vcf_out: str) -> None:
        """The input VCF with an INFO field ``EXACTPWM`` per record: one ``ALT|motif|call|delta``
        entry for each row of the table (ALT the allele's number); bgzip-compressed when
        ``vcf_out`` ends in .gz, BCF when it ends in .bcf. Written atomically."""
        import os
        import tempfile

        import pysam

        notes: dict[int, list[str]] = {}
        t = self.table
        for r, a, m, c, d in zip(self.record.tolist(), self.allele.tolist(), t["motif"], t["call"], t["delta"]):
            notes.setdefault(r, []).append(f"{a}|{m}|{c}|{'.' if d != d else format(d, '.6g')}")
        mode = "wb" if vcf_out.endswith(".bcf") else ("wz" if vcf_out.endswith(".gz") else "w")
        quiet = pysam.set_verbosity(0)  # htslib's notes (no index) are not the user's concern here
        src = pysam.VariantFile(vcf_in)
        header = src.header.copy()
        if "END" not in header.info:  # htslib gives symbolic alleles an END even when the header lacks it
            header.info.add("END", 1, "Integer", "End position of the variant")
        header.info.add("EXACTPWM", ".", "String",
                        "Motif matches changed by the variant (exactpwm variants): ALT number|motif|call "
                        "(gain, loss, change, none)|ALT best score - REF best score")
        folder = os.path.dirname(os.path.abspath(vcf_out))
        fd, tmp = tempfile.mkstemp(prefix=".exactpwm-", suffix=os.path.basename(vcf_out), dir=folder)
        os.close(fd)
        try:
            with pysam.VariantFile(tmp, mode, header=header) as out:
                for r, rec in enumerate(src):
                    rec.translate(header)
                    if r in notes:
                        rec.info["EXACTPWM"] = notes[r]
                    out.write(rec)
            os.replace(tmp, vcf_out)
        finally:
            src.close()
            pysam.set_verbosity(quiet)
            if os.path.exists(tmp):
                os.remove(tmp)


_CALLS = np.array(["none", "loss", "gain", "change"])  # indexed by REF hit + 2 x ALT hit
_SKIP_REASONS = {
    "symbolic": "symbolic or breakend allele",
    "ref_mismatch": "REF does not match the genome",
    "contig": "contig missing from the FASTA",
    "no_change": "ALT equals REF",
}


def read_variants(vcf: str, contigs: dict[str, int] | None = None) -> tuple[list[Variant], Counter, dict]:
    """Every (site, ALT) of a VCF/BCF as :class:`Variant`, multi-allelic sites split, in file order;
    with the counts (and first examples) of those left out: symbolic alleles and breakends,
    contigs not in ``contigs`` ({name: length}, when given), ALT equal to REF."""
    try:
        import pysam
    except ImportError:
        raise ImportError("variant effects read VCF files with pysam: pip install 'exactpwm[regions]'") from None
    quiet = pysam.set_verbosity(0)
    try:
        vf = pysam.VariantFile(vcf)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{vcf}: cannot read it as a VCF or BCF file ({exc})") from None
    finally:
        pysam.set_verbosity(quiet)
    out: list[Variant] = []
    skipped: Counter = Counter()
    examples: dict = {}

    def skip(reason: str, v: str) -> None:
        skipped[reason] += 1
        examples.setdefault(reason, [])
        if len(examples[reason]) < 3:
            examples[reason].append(v)

    try:
        for r, rec in enumerate(vf):
            ref = (rec.ref or "").upper()
            for a, alt in enumerate(rec.alts or (), 1):
                alt = alt.upper()
                label = f"{rec.chrom}:{rec.pos} {ref}>{alt}"
                if not ref or set(ref + alt) - set("ACGTN"):
                    skip("symbolic", label)
                elif contigs is not None and rec.chrom not in contigs:
                    skip("contig", label)
                elif alt == ref:
                    skip("no_change", label)
                else:
                    out.append(Variant(rec.chrom, rec.pos - 1, ref, alt, rec.id or ".", r, a))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{vcf}: malformed VCF ({exc})") from None
    finally:
        vf.close()
    return out, skipped, examples


def _contexts(genome: np.ndarray, changes: list[tuple[int, str, str]], w: int,
              a: np.ndarray, r: np.ndarray, s: np.ndarray, snv_alt: np.ndarray | None) -> tuple[tuple, tuple]:
    """Packed code records ``(codes, offsets)`` of the reference and of the alternative haplotype
    around each change: ``w - 1`` bases each side (N past the contig's ends), so that every window
    of width ``w`` in a record holds a changed base, or both bases beside an empty change; each
    record ends in one N, so that the records also read as one sequence in which no window
    crosses from one record into the next without holding an N. a, r, s: (V,) int64 starts of the
    changes and their REF and ALT lengths; snv_alt: (V,) uint8 ALT codes when every change is
    one base (else None)."""
    ref_len, alt_len = r + 2 * (w - 1) + 1, s + 2 * (w - 1) + 1
    ref_off = np.concatenate([[0], np.cumsum(ref_len)])
    alt_off = np.concatenate([[0], np.cumsum(alt_len)])
    # every reference base a record holds, gathered at once (N outside the contig)
    idx = np.repeat(a - (w - 1) - ref_off[:-1], ref_len) + np.arange(ref_off[-1])
    inside = (idx >= 0) & (idx < genome.size)
    ref = np.full(idx.size, 4, np.uint8)
    ref[inside] = genome[idx[inside]]
    ref[ref_off[1:] - 1] = 4  # the separator
    alt = np.empty(alt_off[-1], np.uint8)
    if snv_alt is not None:  # the common case: one base differs
        alt[:] = ref
        alt[ref_off[:-1] + (w - 1)] = snv_alt
    else:
        for i, (_, rr, ss) in enumerate(changes):
            row = ref[ref_off[i]:ref_off[i + 1]]
            alt[alt_off[i]:alt_off[i + 1]] = np.concatenate(
                [row[:w - 1], _ENCODE[np.frombuffer(ss.encode(), np.uint8)], row[w - 1 + len(rr):]])
    return (ref, ref_off), (alt, alt_off)


def _flag_hits(plan, g, codes: np.ndarray, offsets: np.ndarray, threads: int, backend: str) -> np.ndarray:
    """(V, k) bool: records (rows) holding a window that reaches the threshold of the group's
    motifs (columns), found by the scan's pruned threshold pass over all records as one sequence."""
    from exactpwm.core.scoring import run_threshold

    h = run_threshold(codes, np.array([0, codes.size], dtype=np.int64), g.engine_inputs("both"), "both", True,
                      threads, backend)
    flags = np.zeros((offsets.size - 1, g.motifs.size), bool)
    flags[np.searchsorted(offsets, h.start, side="right") - 1, h.kernel] = True
    return flags


def variant_effects(
    motifs: Motifs,
    genome: str,
    vcf: str,
    *,
    pvalue: float = 1e-4,
    background: Background = None,
    base: float = 2.0,
    pseudocount: float = 0.1,
    report: str = "hits",
    batch: int | None = None,
    threads: int = 0,
    backend: str = "auto",
) -> VariantEffects:
    """What every variant of ``vcf`` does to every motif's best match (see the module's notes).

    Parameters
    ----------
    motifs : MotifSet, (K, 4, L) array or list of (4, L_i) PWMs
        As in :func:`exactpwm.scan`.
    genome : str
        An indexed FASTA (plain, or bgzip with .fai and .gzi; pysam builds a missing .fai when
        it can write beside the file).
    vcf : str
        VCF or BCF, plain or bgzip, any order, no index needed.
    pvalue : float
        The hit threshold of the calls (exact p-values under the background).
    background, base, pseudocount
        As in :func:`exactpwm.scan` (the background is averaged with its complement; None means
        the MotifSet's, else uniform).
    report : str
        "hits" (rows where either allele is a hit, the default) or "all".
    batch : int or None
        Variants scored per engine call (default: 65,536 when reporting hits; with "all", about
        4 M variant x motif pairs).
    threads, backend
        As in :func:`exactpwm.conv1d`; results do not depend on them.

    Returns
    -------
    VariantEffects; skipped variants are counted in ``.skipped`` and named in a warning.
    """
    import pandas as pd

    from exactpwm.core.motif import MotifSet
    from exactpwm.scanning.plan import plan_scan

    if report not in ("hits", "all"):
        raise ValueError(f"report must be 'hits' or 'all', got {report!r}")
    plan = plan_scan(motifs, pvalue=pvalue, background=background, base=base, pseudocount=pseudocount,
                     threads=threads)
    alts = [m.alt_name for m in motifs] if isinstance(motifs, MotifSet) else [""] * len(plan.names)
    skipped: Counter = Counter()
    examples: dict = {}
    frames = []
    step = batch or (1 << 16 if report == "hits" else max(256, (1 << 22) // len(plan.names)))
    for codes, variants in _checked_variants(genome, vcf, skipped, examples):
        for a in range(0, len(variants), step):
            frame = _score_batch(plan, alts, codes, variants[a:a + step], report, threads, backend)
            if frame is not None:
                frames.append(frame)
    cols = ["chrom", "pos", "id", "ref", "alt", "motif", "motif_alt", "ref_score", "ref_pvalue", "ref_start",
            "ref_strand", "ref_matched", "alt_score", "alt_pvalue", "alt_start", "alt_strand", "alt_matched",
            "delta", "call", "_record", "_allele", "_motif"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    table = table.sort_values(["_record", "_allele", "_motif"], kind="stable").reset_index(drop=True)
    record, allele = table["_record"].to_numpy(np.int64), table["_allele"].to_numpy(np.int64)
    table = table.drop(columns=["_record", "_allele", "_motif"])
    _warn_skipped(skipped, examples)
    return VariantEffects(table, dict(skipped), examples, record, allele)


def _checked_variants(genome: str, vcf: str, skipped: Counter, examples: dict):
    """(contig codes, its variants whose REF matches the genome) per contig of the VCF, in the
    VCF's order of first appearance; what cannot be scored is counted in ``skipped`` (examples
    in ``examples``)."""
    from exactpwm.scanning.regions import _open_indexed

    fa = _open_indexed(genome)
    try:
        variants, more, first = read_variants(vcf, dict(zip(fa.references, fa.lengths)))
        skipped.update(more)
        for reason, ex in first.items():
            examples.setdefault(reason, []).extend(ex)
        by_contig: dict[str, list[Variant]] = {}
        for v in variants:
            by_contig.setdefault(v.chrom, []).append(v)
        for chrom, found in by_contig.items():
            seq = fa.fetch(chrom)
            keep = []
            for v in found:
                if seq[v.pos:v.pos + len(v.ref)].upper() == v.ref:
                    keep.append(v)
                    continue
                skipped["ref_mismatch"] += 1
                ex = examples.setdefault("ref_mismatch", [])
                if len(ex) < 3:
                    there = seq[v.pos:v.pos + len(v.ref)] or "past the end"
                    ex.append(f"{chrom}:{v.pos + 1} {v.ref}>{v.alt} (genome: {there})")
            yield _ENCODE[np.frombuffer(seq.encode("ascii"), np.uint8)], keep
    finally:
        fa.close()


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
    """

    variants: list
    ref: np.ndarray
    alt: np.ndarray
    skipped: dict

    @property
    def delta(self) -> np.ndarray:
        """(V, K) float64: ALT minus REF maximum activation."""
        return self.alt - self.ref


def kernel_variant_effects(kernels: Any, genome: str, vcf: str, bias: Any = None, *, strand: str = "+",
                           batch: int = 1 << 16, threads: int = 0, backend: str = "auto") -> KernelVariantEffects:
    """What every variant does to each first-layer kernel's maximum activation.

    Parameters
    ----------
    kernels : (K, 4, L) array or tensor
        A Conv1d weight (rows A, C, G, T; cross-correlation, as PyTorch).
    genome, vcf
        As in :func:`variant_effects`.
    bias : (K,) or None
    strand : str
        "+" (the layer as it runs) or "both" (the better of a window and its reverse complement,
        for models scanning both strands).
    batch, threads, backend
        Variants per engine call; as in :func:`exactpwm.conv1d`.

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
    for codes, variants in _checked_variants(genome, vcf, skipped, examples):
        for a in range(0, len(variants), batch):
            part = variants[a:a + batch]
            changes = [v.trimmed() for v in part]
            V = len(part)
            starts = np.fromiter((c[0] for c in changes), np.int64, V)
            r = np.fromiter((len(c[1]) for c in changes), np.int64, V)
            s = np.fromiter((len(c[2]) for c in changes), np.int64, V)
            for al, packed in zip((refs, alts), _contexts(codes, changes, L, starts, r, s, None)):
                codes_, offsets = packed
                # the records without their separator N: every window overlaps the change, and a
                # CNN reads N (and what lies past a contig's end) as zeros
                keep = np.ones(codes_.size, bool)
                keep[offsets[1:] - 1] = False
                best = max_scores((codes_[keep], offsets - np.arange(offsets.size)), W, bias, strand=strand,
                                  dtype=np.float64, threads=threads, backend=backend)
                al.append(best.score)
            done.extend(part)
    _warn_skipped(skipped, examples)
    return _in_vcf_order(done, refs, alts, K, skipped)


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
        As in :func:`variant_effects`.
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
    run = _model_runner(model, threads)
    skipped: Counter = Counter()
    examples: dict = {}
    done: list = []
    refs: list[np.ndarray] = []
    alts: list[np.ndarray] = []
    half = (length - 1) // 2
    for codes, variants in _checked_variants(genome, vcf, skipped, examples):
        padded = np.concatenate([np.full(length, 4, np.uint8), codes, np.full(length, 4, np.uint8)])
        for a0 in range(0, len(variants), batch):
            part = variants[a0:a0 + batch]
            ref_rows = np.empty((len(part), length), np.uint8)
            alt_rows = np.empty((len(part), length), np.uint8)
            for i, v in enumerate(part):
                a, r, s = v.trimmed()
                start = a - half + length  # in padded coordinates
                ref_rows[i] = padded[start:start + length]
                hap = np.concatenate([padded[start:a + length], _ENCODE[np.frombuffer(s.encode(), np.uint8)],
                                      padded[a + len(r) + length:a + len(r) + 2 * length]])
                alt_rows[i] = hap[:length]
            refs.append(run(ref_rows))
            alts.append(run(alt_rows))
            done.extend(part)
    _warn_skipped(skipped, examples)
    return _in_vcf_order(done, refs, alts, 0, skipped)


def _model_runner(model: Any, threads: int):
    """codes (B, n) -> (B, M) float64 for a PWMModel / callable on codes, or a torch module."""
    if _is_torch_module(model):
        import torch

        eye = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
        param = next(iter(model.parameters()), None)
        dtype = param.dtype if param is not None else torch.float32

        def run_torch(codes: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                x = torch.from_numpy(eye[codes].transpose(0, 2, 1).copy()).to(dtype)
                return model(x).reshape(len(codes), -1).double().numpy()
        return run_torch
    if hasattr(model, "log_pwms"):  # a PWMModel (interpret's; scanning does not import it)
        return lambda codes: np.asarray(model(codes, threads=threads), np.float64).reshape(len(codes), -1)
    return lambda codes: np.asarray(model(codes), np.float64).reshape(len(codes), -1)


def _is_torch_module(model: Any) -> bool:
    torch = sys.modules.get("torch")  # a torch module implies torch is imported
    return torch is not None and isinstance(model, torch.nn.Module)


def _warn_skipped(skipped: Counter, examples: dict) -> None:
    """One warning naming what was not scored, with counts and examples."""
    if skipped:
        warnings.warn("variants not scored: " + "; ".join(
            f"{n} with {_SKIP_REASONS[r]} (e.g. {', '.join(examples.get(r, []))})" for r, n in skipped.items()),
            UserWarning, stacklevel=3)


def _in_vcf_order(done: list, refs: list, alts: list, width: int, skipped: Counter) -> KernelVariantEffects:
    """The per-batch (V_i, width) results of ``done`` variants, put back in VCF order."""
    order = np.argsort([v.record * 1_000_000 + v.allele for v in done], kind="stable")
    ref = np.concatenate(refs)[order] if refs else np.zeros((0, width))
    alt = np.concatenate(alts)[order] if alts else np.zeros((0, width))
    return KernelVariantEffects([done[i] for i in order], ref, alt, dict(skipped))


def _subset(codes: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The packed records ``rows`` of (codes, offsets), packed again."""
    lengths = offsets[rows + 1] - offsets[rows]
    sub_off = np.concatenate([[0], np.cumsum(lengths)])
    idx = np.repeat(offsets[rows] - sub_off[:-1], lengths) + np.arange(sub_off[-1])
    return codes[idx], sub_off


def _score_batch(plan, alts, genome: np.ndarray, part: list[Variant], report: str, threads: int, backend: str):
    """The table's rows for a batch of variants: each allele's best window per motif, found by the
    engine's max pooling over one record per variant and motif width, where the scan's threshold
    pass finds a hit on either allele (or everywhere, with ``report="all"``)."""
    import pandas as pd

    from exactpwm.core.scoring import max_scores
    from exactpwm.core.sequence import window_letters

    V = len(part)
    changes = [(v.pos, v.ref, v.alt) if len(v.ref) == 1 == len(v.alt) else v.trimmed() for v in part]
    a = np.fromiter((c[0] for c in changes), np.int64, V)
    r = np.fromiter((len(c[1]) for c in changes), np.int64, V)
    s = np.fromiter((len(c[2]) for c in changes), np.int64, V)
    snv_alt = _ENCODE[np.frombuffer("".join(c[2] for c in changes).encode(), np.uint8)] \
        if ((r == 1) & (s == 1)).all() else None
    found: dict[str, list] = {}

    def add(name: str, values) -> None:
        found.setdefault(name, []).append(values)

    for g in plan.groups:
        w = g.width
        ctx = dict(zip(("ref", "alt"), _contexts(genome, changes, w, a, r, s, snv_alt)))
        rows = np.arange(V)
        if report == "hits":  # the exact maxima only where either allele has a hit
            flagged = np.zeros((V, g.motifs.size), bool)
            for codes, offsets in ctx.values():
                flagged |= _flag_hits(plan, g, codes, offsets, threads, backend)
            rows = np.flatnonzero(flagged.any(axis=1))
        if not rows.size:
            continue
        best, packed = {}, {}
        for al, (codes, offsets) in ctx.items():
            packed[al] = (codes, offsets) if rows.size == V else _subset(codes, offsets, rows)
            best[al] = max_scores(packed[al], g.kernels, strand="both", skip_n=True, dtype=g.dtype, threads=threads,
                                  backend=backend)
        thr = plan.thresholds[g.motifs]
        hit = {al: (best[al].start >= 0) & (best[al].score >= thr) for al in best}  # as scans: p <= the threshold
        keep = np.ones(hit["ref"].shape, bool) if report == "all" else hit["ref"] | hit["alt"]
        ri, kj = np.nonzero(keep)
        add("v", rows[ri])
        add("k", g.motifs[kj])
        add("call", hit["ref"][ri, kj].astype(np.int8) + 2 * hit["alt"][ri, kj].astype(np.int8))
        for al in ("ref", "alt"):
            st, mi = best[al].start[ri, kj], best[al].strand[ri, kj] < 0
            ok = st >= 0
            codes, offsets = packed[al]
            letters = window_letters(codes, offsets[ri[ok]] + st[ok], w, mi[ok], w, threads=threads, backend=backend)
            matched = np.full(ri.size, "", dtype=object)
            matched[ok] = letters.view(f"S{w}")[:, 0].astype(str)
            add(f"{al}_score", np.where(ok, best[al].score[ri, kj].astype(np.float64), np.nan))
            add(f"{al}_start", np.where(ok, a[rows[ri]] - (w - 1) + st, -1))
            add(f"{al}_strand", np.where(~ok, ".", np.where(mi, "-", "+")))
            add(f"{al}_matched", matched)
    if not found:
        return None
    col = {name: np.concatenate(parts) for name, parts in found.items()}
    vi, ki = col["v"], col["k"]
    frame: dict[str, Any] = {
        "chrom": [part[i].chrom for i in vi], "pos": np.array([part[i].pos + 1 for i in vi], np.int64),
        "id": [part[i].id for i in vi], "ref": [part[i].ref for i in vi], "alt": [part[i].alt for i in vi],
        "motif": np.asarray(plan.names, dtype=object)[ki], "motif_alt": np.asarray(alts, dtype=object)[ki],
    }
    for al in ("ref", "alt"):
        score = col[f"{al}_score"]
        p = np.full(score.size, np.nan)
        for k in np.unique(ki):
            sel = np.flatnonzero((ki == k) & np.isfinite(score))
            p[sel] = plan.dists[k].pvalue(score[sel])
        frame[f"{al}_score"] = score
        frame[f"{al}_pvalue"] = p
        for what in ("start", "strand", "matched"):
            frame[f"{al}_{what}"] = col[f"{al}_{what}"]
    frame["delta"] = frame["alt_score"] - frame["ref_score"]
    frame["call"] = _CALLS[col["call"]]
    frame["_record"] = [part[i].record for i in vi]
    frame["_allele"] = [part[i].allele for i in vi]
    frame["_motif"] = ki
    return pd.DataFrame(frame)
