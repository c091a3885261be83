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

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.core.sequence import _ENCODE
from exactpwm.core.types import Background, Motifs

__all__ = ["Variant", "VariantEffects", "read_variants", "variant_effects"]

_ACGTN = np.frombuffer(b"ACGTN", np.uint8)


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

    table : pandas DataFrame, one row per (variant, motif) reported: chrom, pos (VCF POS), id,
        ref, alt, motif, motif_alt, then for each allele ``ref_*`` / ``alt_*``: score, pvalue,
        start (0-based, see the module's notes), strand, matched; delta (alt - ref score), call
    skipped : {reason: count} of the variants not scored
    examples : {reason: first few variants, as 'chrom:POS REF>ALT'}
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


def _contexts(genome: np.ndarray, variants: list[tuple[int, str, str]], w: int):
    """Code rows (V, n) of the reference and alternative haplotypes around each change
    (``w - 1`` bases each side, N past the contig's ends, N-padded on the right), and the
    valid window starts of each row: [first, last]."""
    V = len(variants)
    n_ref = max(2 * (w - 1) + len(r) for _, r, _ in variants)
    n_alt = max(2 * (w - 1) + len(a) for _, _, a in variants)
    ref = np.full((V, n_ref), 4, np.uint8)
    alt = np.full((V, n_alt), 4, np.uint8)
    last = np.zeros((V, 2), np.int64)
    size = genome.size
    for i, (a, r, s) in enumerate(variants):
        lo, hi = a - (w - 1), a + len(r) + (w - 1)
        ctx = np.full(hi - lo, 4, np.uint8)
        ctx[max(0, -lo):max(0, -lo) + max(0, min(hi, size) - max(lo, 0))] = genome[max(lo, 0):min(hi, size)]
        ref[i, :ctx.size] = ctx
        left, right = ctx[:w - 1], ctx[w - 1 + len(r):]
        alt_ctx = np.concatenate([left, _ENCODE[np.frombuffer(s.encode(), np.uint8)], right])
        alt[i, :alt_ctx.size] = alt_ctx
        # windows holding a changed base, or both bases beside an empty change
        last[i, 0] = w - 1 + len(r) - 1 if r else w - 2
        last[i, 1] = w - 1 + len(s) - 1 if s else w - 2
    return ref, alt, last


def _best(codes: np.ndarray, kernels: np.ndarray, last: np.ndarray, threads: int, backend: str):
    """(score (V, k), start (V, k), minus (V, k)) of the best valid N-free window per row and
    kernel; -inf where a row has none."""
    from exactpwm.core.scoring import conv1d

    V, n = codes.shape
    k, _, w = kernels.shape
    m = n - w + 1
    scores = conv1d(codes, kernels, strand="both", dtype=np.float64, threads=threads, backend=backend)  # (V,2,k,m)
    nc = np.concatenate([np.zeros((V, 1), np.int64), np.cumsum(codes >= 4, axis=1)], axis=1)
    has_n = (nc[:, w:w + m] - nc[:, :m]) > 0  # (V, m)
    starts = np.arange(m)
    bad = has_n | (starts[None, :] > last[:, None])  # first valid start is 0 by construction
    scores[np.broadcast_to(bad[:, None, None, :], scores.shape)] = -np.inf
    flat = scores.transpose(0, 2, 1, 3).reshape(V, k, 2 * m)  # strand-major per kernel
    idx = np.argmax(flat, axis=2)
    best = np.take_along_axis(flat, idx[..., None], axis=2)[..., 0]
    return best, idx % m, idx >= m


def _letters(codes: np.ndarray, start: np.ndarray, minus: np.ndarray, w: int) -> np.ndarray:
    """(V, k) str windows of rows ``codes`` (V, n) at ``start``, reverse-complemented where ``minus``."""
    V, k = start.shape
    win = codes[np.arange(V)[:, None, None], start[..., None] + np.arange(w)]  # (V, k, w)
    win = np.where(minus[..., None], np.where(win[..., ::-1] < 4, 3 - win[..., ::-1], 4), win)
    return _ACGTN[win].view(f"S{w}")[..., 0].astype(str)


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
    batch: int = 4096,
    threads: int = 0,
    backend: str = "auto",
):
    """What every variant of ``vcf`` does to every motif's best match (see the module's notes).

    motifs : a MotifSet, a (K, 4, L) array or a list of (4, L_i) PWMs (as :func:`exactpwm.scan`)
    genome : an indexed FASTA (plain, or bgzip with .fai and .gzi; pysam builds a missing .fai
        when it can write beside the file)
    vcf : VCF or BCF, plain or bgzip, any order, no index needed
    pvalue : the hit threshold of the calls (exact p-values under the background)
    background, base, pseudocount : as in :func:`exactpwm.scan` (background averaged with its
        complement; None = the MotifSet's, else uniform)
    report : "hits" (rows where either allele is a hit, default) or "all"
    batch : variants scored per engine call (memory: batch x motifs x 8 x window count bytes)
    threads, backend : as in :func:`exactpwm.conv1d`; results do not depend on them

    Returns :class:`VariantEffects`. Skipped variants are counted in ``.skipped`` and named in a
    warning.
    """
    import pandas as pd

    from exactpwm.core.motif import MotifSet
    from exactpwm.scanning.plan import plan_scan
    from exactpwm.scanning.regions import _open_indexed

    if report not in ("hits", "all"):
        raise ValueError(f"report must be 'hits' or 'all', got {report!r}")
    plan = plan_scan(motifs, pvalue=pvalue, background=background, base=base, pseudocount=pseudocount,
                     threads=threads)
    alts = [m.alt_name for m in motifs] if isinstance(motifs, MotifSet) else [""] * len(plan.names)
    fa = _open_indexed(genome)
    try:
        contigs = dict(zip(fa.references, fa.lengths))
        variants, skipped, examples = read_variants(vcf, contigs)
        by_contig: dict[str, list[int]] = {}
        for i, v in enumerate(variants):
            by_contig.setdefault(v.chrom, []).append(i)
        frames = []
        for chrom, idx in by_contig.items():
            seq = fa.fetch(chrom)
            codes = _ENCODE[np.frombuffer(seq.encode("ascii"), np.uint8)]
            keep = []
            for i in idx:
                v = variants[i]
                if seq[v.pos:v.pos + len(v.ref)].upper() != v.ref:
                    skipped["ref_mismatch"] += 1
                    examples.setdefault("ref_mismatch", [])
                    if len(examples["ref_mismatch"]) < 3:
                        examples["ref_mismatch"].append(f"{chrom}:{v.pos + 1} {v.ref}>{v.alt} "
                                                        f"(genome: {seq[v.pos:v.pos + len(v.ref)] or 'past the end'})")
                else:
                    keep.append(i)
            for a in range(0, len(keep), batch):
                part = [variants[i] for i in keep[a:a + batch]]
                frames.append(_score_batch(plan, alts, codes, part, pvalue, report, threads, backend, pd))
    finally:
        fa.close()
    cols = ["chrom", "pos", "id", "ref", "alt", "motif", "motif_alt", "ref_score", "ref_pvalue", "ref_start",
            "ref_strand", "ref_matched", "alt_score", "alt_pvalue", "alt_start", "alt_strand", "alt_matched",
            "delta", "call", "_record", "_allele", "_motif"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    table = table.sort_values(["_record", "_allele", "_motif"], kind="stable").reset_index(drop=True)
    record, allele = table["_record"].to_numpy(np.int64), table["_allele"].to_numpy(np.int64)
    table = table.drop(columns=["_record", "_allele", "_motif"])
    if skipped:
        warnings.warn("variants not scored: " + "; ".join(
            f"{n} with {_SKIP_REASONS[r]} (e.g. {', '.join(examples.get(r, []))})" for r, n in skipped.items()),
            UserWarning, stacklevel=2)
    return VariantEffects(table, dict(skipped), examples, record, allele)


def _score_batch(plan, alts, codes, part: list[Variant], pvalue: float, report: str, threads, backend, pd):
    K, V = len(plan.names), len(part)
    changes = [v.trimmed() for v in part]
    res = {f"{al}_{what}": np.empty((V, K), dt) for al in ("ref", "alt")
           for what, dt in (("score", np.float64), ("start", np.int64), ("minus", bool), ("matched", object))}
    for g in plan.groups:
        w = g.width
        ref_rows, alt_rows, last = _contexts(codes, changes, w)
        for al, rows, col in (("ref", ref_rows, 0), ("alt", alt_rows, 1)):
            best, start, minus = _best(rows, g.kernels, last[:, col], threads, backend)
            res[f"{al}_score"][:, g.motifs] = best
            res[f"{al}_start"][:, g.motifs] = start
            res[f"{al}_minus"][:, g.motifs] = minus
            res[f"{al}_matched"][:, g.motifs] = _letters(rows, start, minus, w)
            # starts on the haplotype: the row's first base lies w - 1 before the change
            res[f"{al}_start"][:, g.motifs] += np.array([c[0] for c in changes])[:, None] - (w - 1)
    out = {}
    frame: dict[str, Any]
    motif_ix = np.arange(K)
    for al in ("ref", "alt"):
        s = res[f"{al}_score"]
        p = np.ones_like(s)
        for k in range(K):
            ok = np.isfinite(s[:, k])
            p[ok, k] = plan.dists[k].pvalue(s[ok, k])
        out[al] = (s, p)
    ref_hit, alt_hit = out["ref"][1] <= pvalue, out["alt"][1] <= pvalue
    call = np.where(ref_hit & alt_hit, "change", np.where(alt_hit, "gain", np.where(ref_hit, "loss", "none")))
    rows = np.ones((V, K), bool) if report == "all" else (ref_hit | alt_hit)
    vi, ki = np.nonzero(rows)
    frame = {
        "chrom": [part[i].chrom for i in vi], "pos": [part[i].pos + 1 for i in vi], "id": [part[i].id for i in vi],
        "ref": [part[i].ref for i in vi], "alt": [part[i].alt for i in vi],
        "motif": [plan.names[k] for k in ki], "motif_alt": [alts[k] for k in ki],
    }
    for al in ("ref", "alt"):
        s, p = out[al]
        finite = np.isfinite(s[vi, ki])
        frame[f"{al}_score"] = np.where(finite, s[vi, ki], np.nan)
        frame[f"{al}_pvalue"] = np.where(finite, p[vi, ki], np.nan)
        frame[f"{al}_start"] = np.where(finite, res[f"{al}_start"][vi, ki], -1)
        frame[f"{al}_strand"] = np.where(~finite, ".", np.where(res[f"{al}_minus"][vi, ki], "-", "+"))
        frame[f"{al}_matched"] = np.where(finite, res[f"{al}_matched"][vi, ki], "")
    frame["delta"] = frame["alt_score"] - frame["ref_score"]
    frame["call"] = call[vi, ki]
    frame["_record"] = [part[i].record for i in vi]
    frame["_allele"] = [part[i].allele for i in vi]
    frame["_motif"] = motif_ix[ki]
    return pd.DataFrame(frame)
