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
which shares the reference's coordinates up to the variant. Scores are the real-valued log-odds
(float64 sums of the motif's own matrix, no grid), under the strand-symmetric background. Calls
are certified as a scan's hits (:mod:`exactpwm.scanning.certified`): whether each allele's best
window reaches the p-value threshold is decided for the real-valued matrix, and its p-value is
exact wherever the motif's tail table holds the score (every hit of most motifs); elsewhere (a
window far from the threshold, or a motif too wide for tables) it is the 2**-10 grid's.

Inputs: VCF or BCF (plain or bgzip; no index needed, any order) through pysam, multi-allelic
sites split; an indexed genome FASTA through pysam. Variants that cannot be scored are counted and
reported, never dropped silently: a REF that does not match the genome, a contig the FASTA does not
hold, symbolic alleles (``<DEL>``, ``*``) and breakends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.core._checks import optional_import
from exactpwm.core.haplotypes import haplotype_records
from exactpwm.core.types import Background, Motifs
from exactpwm.io.vcf import (
    SKIP_REASONS,
    Variant,
    VariantColumns,
    by_change,
    checked_variants,
    read_variants,
    warn_skipped,
    write_annotated_vcf,
)

__all__ = ["SKIP_REASONS", "Variant", "VariantColumns", "VariantEffects", "read_variants", "variant_effects",
           "write_notes_vcf"]


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

    def to_pandas(self) -> Any:
        """The effects table (:attr:`table`, a DataFrame), as every result's ``to_pandas()``."""
        return self.table

    def write_vcf(self, vcf_in: str, vcf_out: str) -> None:
        """The input VCF with an INFO field ``EXACTPWM`` per record: one ``ALT|motif|call|delta``
        entry for each row of the table (ALT the allele's number); bgzip-compressed when
        ``vcf_out`` ends in .gz, BCF when it ends in .bcf. Written atomically."""
        write_notes_vcf(vcf_in, vcf_out, self.vcf_notes())

    def vcf_notes(self) -> dict[int, list[str]]:
        """{VCF record (0-based, in file order): its ``ALT|motif|call|delta`` entries}, as
        :meth:`write_vcf` writes them."""
        t = self.table
        delta = t["delta"].to_numpy(np.float64)
        values, which = np.unique(np.nan_to_num(delta, nan=np.inf), return_inverse=True)  # each value formatted once
        text = np.array([format(x, ".6g") for x in values.tolist()], dtype=object)[which.reshape(-1)]
        text[np.isnan(delta)] = "."
        entries = [f"{a}|{m}|{c}|{d}" for a, m, c, d in zip(self.allele.tolist(), t["motif"].tolist(),
                                                           t["call"].tolist(), text.tolist())]
        notes: dict[int, list[str]] = {}
        for r, e in zip(self.record.tolist(), entries):
            notes.setdefault(r, []).append(e)
        return notes


def write_notes_vcf(vcf_in: str, vcf_out: str, notes: dict[int, list[str]]) -> None:
    """``vcf_in`` with the ``EXACTPWM`` INFO field of :meth:`VariantEffects.vcf_notes` (those of
    several parts of one VCF, joined), to ``vcf_out`` (atomically; .gz bgzip, .bcf BCF)."""
    write_annotated_vcf(vcf_in, vcf_out, notes, "EXACTPWM",
                        "Motif matches changed by the variant (exactpwm variants): ALT number|motif|call "
                        "(gain, loss, change, none)|ALT best score - REF best score")


_CALLS = np.array(["none", "loss", "gain", "change"])  # indexed by REF hit + 2 x ALT hit


def _hit_pairs(g, codes: np.ndarray, offsets: np.ndarray, threads: int, backend: str) -> np.ndarray:
    """int64 codes ``record * k + motif`` (k the group's motifs) of the records holding a window
    that reaches the motif's threshold, found by the scan's pruned threshold pass over all records
    read as one sequence; repeated as often as there are such windows."""
    from exactpwm.core.scoring import run_threshold

    h = run_threshold(codes, np.array([0, codes.size], dtype=np.int64), g.engine_inputs("both"), "both", True,
                      threads, backend)
    return (np.searchsorted(offsets, h.start, side="right") - 1) * g.motifs.size + h.motif


def variant_effects(
    motifs: Motifs,
    genome: str,
    vcf: str,
    *,
    pvalue: float = 1e-4,
    background: Background = None,
    base: float = 2.0,
    pseudocount: float | None = None,
    report: str = "hits",
    batch: int | None = None,
    threads: int = 0,
    backend: str = "auto",
    records: tuple[int, int] | None = None,
    region: str | None = None,
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
        The hit threshold of the calls, certified for the real-valued matrices (see the
        module's notes).
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
    records : (first, stop) or None
        Only these VCF records (0-based, in file order): a part of a larger job; the table of
        consecutive parts, one after the other, is the whole VCF's.
    region : str or None
        Only the records whose POS lies in ``chr:start-end`` (1-based, inclusive; ``chr`` for a
        whole contig), read through the VCF's tabix or CSI index; the tables of regions that
        follow each other along the sorted VCF, one after the other, are the whole VCF's.

    Returns
    -------
    VariantEffects; skipped variants are counted in ``.skipped`` and named in a warning.
    """
    pd = optional_import("pandas", "variants", "variant effects (a pandas table)")

    from exactpwm.core.motif import MotifSet
    from exactpwm.scanning.plan import plan_scan

    if report not in ("hits", "all"):
        raise ValueError(f"report must be 'hits' or 'all', got {report!r}")
    plan = plan_scan(motifs, pvalue=pvalue, background=background, base=base, pseudocount=pseudocount,
                     threads=threads)  # candidates on the 2**-10 grid, calls certified for the real matrices
    alts = [m.alt_name for m in motifs] if isinstance(motifs, MotifSet) else [""] * len(plan.names)
    skipped: Counter = Counter()
    examples: dict = {}
    parts: list[dict] = []
    step = batch or (1 << 16 if report == "hits" else max(256, (1 << 22) // len(plan.names)))
    for codes, variants in checked_variants(genome, vcf, skipped, examples, records, region):
        for a in range(0, len(variants), step):
            part = variants.take(slice(a, a + step))
            found = _score_batch(plan, codes, part, report, threads, backend)
            if found is not None:
                parts.append(found)
    names = ["chrom", "pos", "id", "ref", "alt", "record", "allele", "k", "call"] + \
        [f"{al}_{x}" for al in ("ref", "alt") for x in ("score", "pvalue", "start", "strand", "matched")]
    col = {n: np.concatenate([p[n] for p in parts]) if parts else np.zeros(0) for n in names}
    order = np.lexsort((col["k"], col["allele"], col["record"]))  # VCF order, then the motifs'
    col = {n: c[order] for n, c in col.items()}
    k = col["k"].astype(np.int64)
    frame: dict[str, Any] = {n: col[n] for n in ("chrom", "id", "ref", "alt")}
    frame["pos"] = col["pos"].astype(np.int64) + 1
    frame["motif"] = np.asarray(plan.names, dtype=object)[k]
    frame["motif_alt"] = np.asarray(alts, dtype=object)[k]
    for al in ("ref", "alt"):
        frame[f"{al}_score"] = col[f"{al}_score"].astype(np.float64)
        frame[f"{al}_pvalue"] = col[f"{al}_pvalue"].astype(np.float64)
        for what in ("start", "strand", "matched"):
            frame[f"{al}_{what}"] = col[f"{al}_{what}"]
    frame["delta"] = frame["alt_score"] - frame["ref_score"]
    frame["call"] = _CALLS[col["call"].astype(np.int64)]
    cols = ["chrom", "pos", "id", "ref", "alt", "motif", "motif_alt", "ref_score", "ref_pvalue", "ref_start",
            "ref_strand", "ref_matched", "alt_score", "alt_pvalue", "alt_start", "alt_strand", "alt_matched",
            "delta", "call"]
    table = pd.DataFrame({c: frame[c] for c in cols})
    warn_skipped(skipped, examples)
    return VariantEffects(table, dict(skipped), examples, col["record"].astype(np.int64),
                          col["allele"].astype(np.int64))


def _grid_pvalues(plan, k: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The grid distribution's p-values of real scores (nan where the score is nan), motif k[i]
    for row i: the fallback of :meth:`CertifiedPvalues.decide`."""
    out = np.full(k.size, np.nan)
    order = np.argsort(k, kind="stable")
    bounds = np.flatnonzero(np.diff(k[order])) + 1
    for rows in np.split(order, bounds) if k.size else []:
        ok = rows[np.isfinite(score[rows])]
        out[ok] = plan.dists[int(k[rows[0]])].pvalue(score[ok])
    return out


def _score_batch(plan, genome: np.ndarray, part: VariantColumns, report: str, threads: int,
                 backend: str) -> dict | None:
    """Columns of the table's rows for a batch of variants (see :func:`variant_effects`), unsorted:
    each allele's best window per motif, by the engine's max pooling over one record per variant
    and motif width, for the (variant, motif) pairs where the scan's threshold pass finds a hit on
    either allele (or for every pair, with ``report="all"``)."""
    from exactpwm.core.scoring import max_scores
    from exactpwm.core.sequence import window_letters

    V = len(part)
    part, (a, r, s, bases) = by_change(part)
    found: dict[str, list] = {}

    def add(name: str, values) -> None:
        found.setdefault(name, []).append(values)

    for g in plan.groups:
        w, k = g.width, g.motifs.size
        ctx = dict(zip(("ref", "alt"), haplotype_records(genome, w, a, r, s, bases)))
        if report == "hits":  # the exact maxima only where either allele has a hit
            pairs = np.unique(np.concatenate([_hit_pairs(g, codes, offsets, threads, backend)
                                              for codes, offsets in ctx.values()]))  # sorted: by variant, motif
            ri, kj = np.divmod(pairs, k)
        else:
            ri, kj = np.divmod(np.arange(V * k), k)
        if not ri.size:
            continue
        # each allele's best window under the real-valued matrices (float64 sums), its certified call
        real = np.stack([plan.certified.exact[int(i)] for i in g.motifs])
        chosen = None if report == "all" else (ri, kj)
        best = {al: max_scores(packed, real, strand="both", skip_n=True, dtype=np.float64, threads=threads,
                               backend=backend, pairs=chosen) for al, packed in ctx.items()}
        if report == "all":
            best = {al: type(b)(*(x.reshape(-1) for x in b)) for al, b in best.items()}
        motif = g.motifs[kj]
        score = {al: np.where(b.start >= 0, b.score.astype(np.float64), np.nan) for al, b in best.items()}
        decided = {}
        for al, sc in score.items():
            def grid(rows: np.ndarray, sc: np.ndarray = sc, motif: np.ndarray = motif) -> np.ndarray:
                return _grid_pvalues(plan, motif[rows], sc[rows])

            decided[al] = plan.certified.decide(motif, sc, grid, threads)
        hit = {al: d[1] for al, d in decided.items()}
        keep = np.ones(ri.size, bool) if report == "all" else hit["ref"] | hit["alt"]
        ri, kj = ri[keep], kj[keep]
        add("v", ri)
        add("k", g.motifs[kj])
        add("call", hit["ref"][keep].astype(np.int8) + 2 * hit["alt"][keep].astype(np.int8))
        for al, b in best.items():
            st, mi, sc = b.start[keep], b.strand[keep] < 0, score[al][keep]
            add(f"{al}_pvalue", decided[al][0][keep])
            ok = st >= 0
            codes, offsets = ctx[al]
            letters = window_letters(codes, offsets[ri[ok]] + st[ok], w, mi[ok], w, threads=threads, backend=backend)
            matched = np.full(ri.size, "", dtype=object)
            matched[ok] = letters.view(f"S{w}")[:, 0].astype(str)
            add(f"{al}_score", sc)
            add(f"{al}_start", np.where(ok, a[ri] - (w - 1) + st, -1))
            add(f"{al}_strand", np.where(~ok, ".", np.where(mi, "-", "+")).astype(object))
            add(f"{al}_matched", matched)
    if not found:
        return None
    col = {name: np.concatenate(values) for name, values in found.items()}
    vi = col.pop("v")
    for name in ("chrom", "pos", "id", "ref", "alt", "record", "allele"):
        col[name] = getattr(part, name)[vi]
    return col


_MOVED = {"kernel_variant_effects", "model_variant_effects", "KernelVariantEffects"}


def __getattr__(name: str) -> Any:
    """Deprecated: kernel and model effects moved to :mod:`exactpwm.interpret.variant_effects` (they
    interpret a CNN); the old names here still work for one release, with a DeprecationWarning."""
    if name in _MOVED:
        import importlib
        import warnings

        warnings.warn(f"exactpwm.scanning.variants.{name} moved to exactpwm.interpret.variant_effects.{name} "
                      f"(also exactpwm.{name})", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module("exactpwm.interpret.variant_effects"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
