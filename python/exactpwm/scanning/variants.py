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

import os
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from exactpwm.core._checks import optional_import
from exactpwm.core.sequence import _ENCODE
from exactpwm.core.types import Background, Motifs
from exactpwm.io.htsfiles import check_bgzf, compression_kind

__all__ = ["KernelVariantEffects", "Variant", "VariantColumns", "VariantEffects", "kernel_variant_effects",
           "model_variant_effects", "read_variants", "variant_effects"]

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
        return _trim(self.pos, self.ref, self.alt)


def _trim(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """See :meth:`Variant.trimmed`."""
    i = 0
    while i < min(len(ref), len(alt)) and ref[i] == alt[i]:
        i += 1
    ref, alt, pos = ref[i:], alt[i:], pos + i
    j = 0
    while j < min(len(ref), len(alt)) and ref[-1 - j] == alt[-1 - j]:
        j += 1
    return pos, ref[:len(ref) - j], alt[:len(alt) - j]


@dataclass
class VariantColumns:
    """Variants (one per ALT allele) as columns, each (V,): ``chrom``, ``ref``, ``alt``, ``id``
    object arrays of str (alleles uppercase); ``pos`` int64 0-based (VCF POS - 1); ``record``
    int64 the VCF record (0-based, in file order) and ``allele`` int64 its ALT number (1-based)."""

    chrom: np.ndarray
    pos: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    id: np.ndarray
    record: np.ndarray
    allele: np.ndarray

    def __len__(self) -> int:
        return int(self.pos.size)

    def take(self, rows: Any) -> VariantColumns:
        """The variants ``rows`` (an index array, mask or slice)."""
        return VariantColumns(*(getattr(self, f.name)[rows] for f in fields(self)))

    def to_list(self) -> list[Variant]:
        """One :class:`Variant` each."""
        return [Variant(*v) for v in zip(self.chrom, self.pos.tolist(), self.ref, self.alt, self.id,
                                         self.record.tolist(), self.allele.tolist())]

    def changes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The trimmed changes (see :meth:`Variant.trimmed`): their 0-based starts, REF and ALT
        lengths, (V,) int64 each, and the changed ALT bases, (V,) object array of str."""
        r = np.fromiter(map(len, self.ref), np.int64, len(self))
        s = np.fromiter(map(len, self.alt), np.int64, len(self))
        a, bases = self.pos.copy(), self.alt.copy()
        for i in np.flatnonzero((r != 1) | (s != 1)).tolist():  # an SNV is its own change
            a[i], ref, bases[i] = _trim(int(self.pos[i]), self.ref[i], self.alt[i])
            r[i], s[i] = len(ref), len(bases[i])
        return a, r, s, bases


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
        import os

        import pysam

        from exactpwm.io.files import atomic_path

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
        mode = "wb" if vcf_out.endswith(".bcf") else ("wz" if vcf_out.endswith(".gz") else "w")
        quiet = pysam.set_verbosity(0)  # htslib's notes (no index) are not the user's concern here
        src = pysam.VariantFile(vcf_in)
        header = src.header.copy()
        if "END" not in header.info:  # htslib gives symbolic alleles an END even when the header lacks it
            header.info.add("END", 1, "Integer", "End position of the variant")
        header.info.add("EXACTPWM", ".", "String",
                        "Motif matches changed by the variant (exactpwm variants): ALT number|motif|call "
                        "(gain, loss, change, none)|ALT best score - REF best score")
        try:
            with atomic_path(vcf_out, suffix=os.path.basename(vcf_out)) as tmp:
                with pysam.VariantFile(tmp, mode, header=header, threads=2) as out:  # one more thread compresses
                    for r, rec in enumerate(src):
                        rec.translate(header)
                        if r in notes:
                            rec.info["EXACTPWM"] = notes[r]
                        out.write(rec)
        finally:
            src.close()
            pysam.set_verbosity(quiet)


_CALLS = np.array(["none", "loss", "gain", "change"])  # indexed by REF hit + 2 x ALT hit
SKIP_REASONS = {
    "symbolic": "symbolic or breakend allele",
    "ref_mismatch": "REF does not match the genome",
    "contig": "contig missing from the FASTA",
    "no_change": "ALT equals REF",
    "position": "POS outside its contig (below 1 or past the contig's end)",
}


def read_variants(vcf: str, contigs: dict[str, int] | None = None) -> tuple[VariantColumns, Counter, dict]:
    """Every (site, ALT) of a VCF/BCF, multi-allelic sites split, in file order, as
    :class:`VariantColumns`; with the counts (and first examples) of those left out: symbolic
    alleles and breakends, contigs not in ``contigs`` ({name: length}, when given), ALT equal to
    REF, POS below 1 or past its contig's end. Records without an ALT (``.``) have nothing to score and
    give no variant."""
    try:
        import pysam
    except ImportError:
        raise ImportError("variant effects read VCF files with pysam: pip install 'exactpwm[regions]'") from None
    if str(vcf) != "-" and os.path.isfile(vcf):
        check_bgzf(vcf, "VCF")
    quiet = pysam.set_verbosity(0)  # htslib's own messages: ours name the file and the record
    try:
        vf = pysam.VariantFile(vcf, threads=2)  # one more thread decompresses
    except (OSError, ValueError) as exc:
        pysam.set_verbosity(quiet)
        raise ValueError(f"{vcf}: cannot read it as a VCF or BCF file ({exc})") from None
    chrom: list[str] = []
    pos: list[int] = []
    ids: list[str] = []
    refs: list[str] = []
    alts: list[str] = []
    record: list[int] = []
    allele: list[int] = []
    r = -1
    try:
        for r, rec in enumerate(vf):
            alleles = rec.alts
            if not alleles:
                continue
            c, p, i, ref = rec.chrom, rec.pos - 1, rec.id or ".", rec.ref or ""
            for a, alt in enumerate(alleles, 1):
                chrom.append(c)
                pos.append(p)
                ids.append(i)
                refs.append(ref)
                alts.append(alt)
                record.append(r)
                allele.append(a)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{vcf}: malformed VCF: {_bad_record(vcf, r + 1, exc)}") from None
    finally:
        vf.close()
        pysam.set_verbosity(quiet)
    V = len(pos)
    ref_u, alt_u = "\t".join(refs).upper(), "\t".join(alts).upper()
    cols = VariantColumns(np.array(chrom, dtype=object), np.array(pos, dtype=np.int64),
                          np.array(ref_u.split("\t") if V else [], dtype=object),
                          np.array(alt_u.split("\t") if V else [], dtype=object), np.array(ids, dtype=object),
                          np.array(record, dtype=np.int64), np.array(allele, dtype=np.int64))
    # what cannot be scored, first reason first: a letter outside ACGTN (symbolic alleles, breakends)
    reason = np.zeros(V, np.int8)
    for text in (ref_u, alt_u):
        b = np.frombuffer(text.encode(), np.uint8)
        which = np.cumsum(b == 9)  # the variant each letter belongs to
        bad = _NOT_ACGTN[b]
        reason[np.unique(which[bad])] = 1
    reason[(reason == 0) & (np.fromiter(map(len, cols.ref), np.int64, V) == 0)] = 1
    if contigs is not None:
        known = {c: c in contigs for c in set(chrom)}
        reason[(reason == 0) & ~np.fromiter((known[c] for c in chrom), bool, V)] = 2
        size = np.fromiter((contigs.get(c, 0) for c in chrom), np.int64, V)
        reason[(reason == 0) & (cols.pos >= size)] = 4
    reason[(reason == 0) & (cols.pos < 0)] = 4
    reason[(reason == 0) & (cols.ref == cols.alt)] = 3
    skipped: Counter = Counter()
    examples: dict = {}
    for code, name in enumerate(("symbolic", "contig", "no_change", "position"), 1):
        rows = np.flatnonzero(reason == code)
        if rows.size:
            skipped[name] = int(rows.size)
            examples[name] = [f"{cols.chrom[i]}:{cols.pos[i] + 1} {cols.ref[i]}>{cols.alt[i]}" for i in rows[:3]]
    return cols.take(reason == 0), skipped, examples


def _bad_record(vcf: str, r: int, exc: Exception) -> str:
    """What is wrong with data record ``r`` (0-based, after the header) of a text VCF that htslib
    could not parse: the record's line and, when its POS is no position, that."""
    import gzip

    try:
        opener = gzip.open if compression_kind(vcf) != "none" else open
        with opener(vcf, "rt", errors="replace") as f:
            n = 0
            for number, line in enumerate(f, 1):
                if line.startswith("#"):
                    continue
                if n == r:
                    fields = line.rstrip("\r\n").split("\t")
                    why = ""
                    if len(fields) < 8:
                        why = f": {len(fields)} tab-separated fields, a VCF record has at least 8"
                    elif not (fields[1].isdigit()):
                        why = f": POS {fields[1]!r} is not a position (an integer >= 1)"
                    shown = line.strip()[:120]
                    return f"line {number} ({shown!r}) cannot be read{why}"
                n += 1
    except (OSError, EOFError, ValueError, UnicodeDecodeError):
        pass
    return f"record {r + 1} after the header cannot be read ({exc})"


_NOT_ACGTN = np.ones(256, bool)  # by ASCII code: letters that are not bases (the tab separates alleles)
_NOT_ACGTN[[ord(c) for c in "ACGTN\t"]] = False


def _contexts(genome: np.ndarray, w: int, a: np.ndarray, r: np.ndarray, s: np.ndarray,
              bases: np.ndarray) -> tuple[tuple, tuple]:
    """Packed code records ``(codes, offsets)`` of the reference and of the alternative haplotype
    around each change: ``w - 1`` bases each side (N past the contig's ends), so that every window
    of width ``w`` in a record holds a changed base, or both bases beside an empty change; each
    record ends in one N, so that the records also read as one sequence in which no window
    crosses from one record into the next without holding an N.

    genome: (n,) uint8 codes of the contig; a, r, s: (V,) int64 starts of the changes and their
    REF and ALT lengths, and bases: (V,) str, the changed ALT bases, all as
    :meth:`VariantColumns.changes` gives them, ordered by (r, s) (see :func:`_by_change`): the
    records of one (r, s) are rows of equal length, cut from a strided view of the genome."""
    V = a.size
    pad = w - 1
    refs, alts = [], []
    cuts = np.flatnonzero((np.diff(r) != 0) | (np.diff(s) != 0)) + 1
    for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), V]):
        rr, ss = int(r[lo]), int(s[lo])
        n = rr + 2 * pad
        ref = np.full((hi - lo, n + 1), 4, np.uint8)  # the last column: the separator
        ref[:, :n] = _genome_rows(genome, a[lo:hi] - pad, n)
        alt = np.empty((hi - lo, ss + 2 * pad + 1), np.uint8)
        alt[:, :pad] = ref[:, :pad]
        alt[:, pad:pad + ss] = _ENCODE[np.frombuffer("".join(bases[lo:hi]).encode(), np.uint8)].reshape(hi - lo, ss)
        alt[:, pad + ss:] = ref[:, pad + rr:]
        refs.append(ref.reshape(-1))
        alts.append(alt.reshape(-1))
    ref_off = np.concatenate([[0], np.cumsum(r + 2 * pad + 1)])
    alt_off = np.concatenate([[0], np.cumsum(s + 2 * pad + 1)])
    empty = [np.zeros(0, np.uint8)]
    return (np.concatenate(refs or empty), ref_off), (np.concatenate(alts or empty), alt_off)


def _genome_rows(genome: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """(V, n) uint8: genome[start:start + n] for each start, N where that runs past the contig's
    ends; rows inside are cut from a strided view (the contig is not copied)."""
    rows = np.full((starts.size, n), 4, np.uint8)
    inside = (starts >= 0) & (starts + n <= genome.size)
    if n <= genome.size:
        rows[inside] = np.lib.stride_tricks.sliding_window_view(genome, n)[starts[inside]]
    for i in np.flatnonzero(~inside if n <= genome.size else np.ones(starts.size, bool)).tolist():
        b, e = max(0, int(starts[i])), min(genome.size, int(starts[i]) + n)  # near an end: the part inside
        if e > b:
            rows[i, b - int(starts[i]):e - int(starts[i])] = genome[b:e]
    return rows


def _by_change(part: VariantColumns) -> tuple[VariantColumns, tuple]:
    """The variants ordered by the lengths of their changed REF and ALT bases, and their changes
    (:meth:`VariantColumns.changes`) in that order, as :func:`_contexts` takes them."""
    a, r, s, bases = part.changes()
    order = np.lexsort((s, r))
    return part.take(order), (a[order], r[order], s[order], bases[order])


def _hit_pairs(g, codes: np.ndarray, offsets: np.ndarray, threads: int, backend: str) -> np.ndarray:
    """int64 codes ``record * k + motif`` (k the group's motifs) of the records holding a window
    that reaches the motif's threshold, found by the scan's pruned threshold pass over all records
    read as one sequence; repeated as often as there are such windows."""
    from exactpwm.core.scoring import run_threshold

    h = run_threshold(codes, np.array([0, codes.size], dtype=np.int64), g.engine_inputs("both"), "both", True,
                      threads, backend)
    return (np.searchsorted(offsets, h.start, side="right") - 1) * g.motifs.size + h.kernel


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
    pd = optional_import("pandas", "variants", "variant effects (a pandas table)")

    from exactpwm.core.motif import MotifSet
    from exactpwm.scanning.plan import plan_scan

    if report not in ("hits", "all"):
        raise ValueError(f"report must be 'hits' or 'all', got {report!r}")
    plan = plan_scan(motifs, pvalue=pvalue, background=background, base=base, pseudocount=pseudocount,
                     threads=threads)
    alts = [m.alt_name for m in motifs] if isinstance(motifs, MotifSet) else [""] * len(plan.names)
    skipped: Counter = Counter()
    examples: dict = {}
    parts: list[dict] = []
    step = batch or (1 << 16 if report == "hits" else max(256, (1 << 22) // len(plan.names)))
    for codes, variants in _checked_variants(genome, vcf, skipped, examples):
        for a in range(0, len(variants), step):
            part = variants.take(slice(a, a + step))
            found = _score_batch(plan, codes, part, report, threads, backend)
            if found is not None:
                parts.append(found)
    names = ["chrom", "pos", "id", "ref", "alt", "record", "allele", "k", "call"] + \
        [f"{al}_{x}" for al in ("ref", "alt") for x in ("score", "start", "strand", "matched")]
    col = {n: np.concatenate([p[n] for p in parts]) if parts else np.zeros(0) for n in names}
    order = np.lexsort((col["k"], col["allele"], col["record"]))  # VCF order, then the motifs'
    col = {n: c[order] for n, c in col.items()}
    k = col["k"].astype(np.int64)
    frame: dict[str, Any] = {n: col[n] for n in ("chrom", "id", "ref", "alt")}
    frame["pos"] = col["pos"].astype(np.int64) + 1
    frame["motif"] = np.asarray(plan.names, dtype=object)[k]
    frame["motif_alt"] = np.asarray(alts, dtype=object)[k]
    pvalues = _pvalues(plan, k, col["ref_score"], col["alt_score"])
    for al, p in zip(("ref", "alt"), pvalues):
        frame[f"{al}_score"] = col[f"{al}_score"].astype(np.float64)
        frame[f"{al}_pvalue"] = p
        for what in ("start", "strand", "matched"):
            frame[f"{al}_{what}"] = col[f"{al}_{what}"]
    frame["delta"] = frame["alt_score"] - frame["ref_score"]
    frame["call"] = _CALLS[col["call"].astype(np.int64)]
    cols = ["chrom", "pos", "id", "ref", "alt", "motif", "motif_alt", "ref_score", "ref_pvalue", "ref_start",
            "ref_strand", "ref_matched", "alt_score", "alt_pvalue", "alt_start", "alt_strand", "alt_matched",
            "delta", "call"]
    table = pd.DataFrame({c: frame[c] for c in cols})
    _warn_skipped(skipped, examples)
    return VariantEffects(table, dict(skipped), examples, col["record"].astype(np.int64),
                          col["allele"].astype(np.int64))


def _pvalues(plan, k: np.ndarray, *scores: np.ndarray) -> list[np.ndarray]:
    """Exact p-values of each scores array (nan where the score is nan), motif k[i] for row i."""
    out = [np.full(k.size, np.nan) for _ in scores]
    order = np.argsort(k, kind="stable")
    bounds = np.flatnonzero(np.diff(k[order])) + 1
    for rows in np.split(order, bounds) if k.size else []:
        dist = plan.dists[int(k[rows[0]])]
        for sc, p in zip(scores, out):
            ok = rows[np.isfinite(sc[rows])]
            p[ok] = dist.pvalue(sc[ok].astype(np.float64))
    return out


def _checked_variants(genome: str, vcf: str, skipped: Counter, examples: dict):
    """(contig codes, its variants whose REF matches the genome as :class:`VariantColumns`) per
    contig of the VCF, in the VCF's order of first appearance; what cannot be scored is counted in
    ``skipped`` (examples in ``examples``)."""
    from exactpwm.scanning.regions import _open_indexed, fetch_checked

    fa = _open_indexed(genome)
    try:
        variants, more, first = read_variants(vcf, dict(zip(fa.references, fa.lengths)))
        skipped.update(more)
        for reason, ex in first.items():
            examples.setdefault(reason, []).extend(ex)
        contig: dict[str, int] = {}
        which = np.fromiter((contig.setdefault(c, len(contig)) for c in variants.chrom), np.int64, len(variants))
        for chrom, i in contig.items():
            found = variants.take(np.flatnonzero(which == i))
            letters = np.frombuffer(fetch_checked(fa, genome, chrom).upper().encode("ascii"), np.uint8)
            ok = _ref_matches(letters, found)
            bad = np.flatnonzero(~ok)
            if bad.size:
                skipped["ref_mismatch"] += int(bad.size)
                ex = examples.setdefault("ref_mismatch", [])
                for j in bad[:max(0, 3 - len(ex))].tolist():
                    p, ref = int(found.pos[j]), found.ref[j]
                    there = letters[p:p + len(ref)].tobytes().decode() or "past the end"
                    ex.append(f"{chrom}:{p + 1} {ref}>{found.alt[j]} (genome: {there})")
            yield _ENCODE[letters], found.take(ok)
    finally:
        fa.close()


def _ref_matches(letters: np.ndarray, variants: VariantColumns) -> np.ndarray:
    """(V,) bool: each REF equals the genome's (uppercase ASCII) letters at its position."""
    V = len(variants)
    n = np.fromiter(map(len, variants.ref), np.int64, V)
    ends = np.cumsum(n)
    ref = np.frombuffer("".join(variants.ref).encode(), np.uint8)
    idx = np.repeat(variants.pos - (ends - n), n) + np.arange(ends[-1] if V else 0)
    inside = idx < letters.size
    same = inside & (letters[np.where(inside, idx, 0)] == ref)
    return (np.add.reduceat(same, ends - n) == n) if V else np.zeros(0, bool)


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
            part, changes = _by_change(variants.take(slice(a, a + batch)))
            for al, packed in zip((refs, alts), _contexts(codes, L, *changes)):
                codes_, offsets = packed
                # the records without their separator N: every window overlaps the change, and a
                # CNN reads N (and what lies past a contig's end) as zeros
                keep = np.ones(codes_.size, bool)
                keep[offsets[1:] - 1] = False
                best = max_scores((codes_[keep], offsets - np.arange(offsets.size)), W, bias, strand=strand,
                                  dtype=np.float64, threads=threads, backend=backend)
                al.append(best.score)
            done.append(part)
    _warn_skipped(skipped, examples)
    return _in_vcf_order(done, refs, alts, K, skipped, examples)


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
            part = variants.take(slice(a0, a0 + batch))
            ref_rows = np.empty((len(part), length), np.uint8)
            alt_rows = np.empty((len(part), length), np.uint8)
            for i, (a, r, _, s) in enumerate(zip(*part.changes())):
                start = a - half + length  # in padded coordinates
                ref_rows[i] = padded[start:start + length]
                hap = np.concatenate([padded[start:a + length], _ENCODE[np.frombuffer(s.encode(), np.uint8)],
                                      padded[a + r + length:a + r + 2 * length]])
                alt_rows[i] = hap[:length]
            refs.append(run(ref_rows))
            alts.append(run(alt_rows))
            done.append(part)
    _warn_skipped(skipped, examples)
    return _in_vcf_order(done, refs, alts, 0, skipped, examples)


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
            f"{n} with {SKIP_REASONS[r]} (e.g. {', '.join(examples.get(r, []))})" for r, n in skipped.items()),
            UserWarning, stacklevel=3)


def _in_vcf_order(done: list, refs: list, alts: list, width: int, skipped: Counter,
                  examples: dict) -> KernelVariantEffects:
    """The per-batch (V_i, width) results of the ``done`` batches of variants, in VCF order."""
    if not done:
        return KernelVariantEffects([], np.zeros((0, width)), np.zeros((0, width)), dict(skipped), examples)
    variants = VariantColumns(*(np.concatenate([getattr(d, f.name) for d in done]) for f in fields(VariantColumns)))
    order = np.lexsort((variants.allele, variants.record))
    return KernelVariantEffects(variants.take(order).to_list(), np.concatenate(refs)[order],
                                np.concatenate(alts)[order], dict(skipped), examples)


def _score_batch(plan, genome: np.ndarray, part: VariantColumns, report: str, threads: int,
                 backend: str) -> dict | None:
    """Columns of the table's rows for a batch of variants (see :func:`variant_effects`), unsorted:
    each allele's best window per motif, by the engine's max pooling over one record per variant
    and motif width, for the (variant, motif) pairs where the scan's threshold pass finds a hit on
    either allele (or for every pair, with ``report="all"``)."""
    from exactpwm.core.scoring import max_scores
    from exactpwm.core.sequence import window_letters

    V = len(part)
    part, (a, r, s, bases) = _by_change(part)
    found: dict[str, list] = {}

    def add(name: str, values) -> None:
        found.setdefault(name, []).append(values)

    for g in plan.groups:
        w, k = g.width, g.motifs.size
        ctx = dict(zip(("ref", "alt"), _contexts(genome, w, a, r, s, bases)))
        if report == "hits":  # the exact maxima only where either allele has a hit
            pairs = np.unique(np.concatenate([_hit_pairs(g, codes, offsets, threads, backend)
                                              for codes, offsets in ctx.values()]))  # sorted: by variant, motif
            ri, kj = np.divmod(pairs, k)
        else:
            ri, kj = np.divmod(np.arange(V * k), k)
        if not ri.size:
            continue
        run = dict(strand="both", skip_n=True, dtype=g.dtype, threads=threads, backend=backend)
        best = {al: max_scores(packed, g.kernels, **run, pairs=None if report == "all" else (ri, kj))
                for al, packed in ctx.items()}
        if report == "all":
            best = {al: type(b)(*(x.reshape(-1) for x in b)) for al, b in best.items()}
        thr = plan.thresholds[g.motifs][kj]
        hit = {al: (b.start >= 0) & (b.score >= thr) for al, b in best.items()}  # as scans: p <= the threshold
        keep = np.ones(ri.size, bool) if report == "all" else hit["ref"] | hit["alt"]
        ri, kj = ri[keep], kj[keep]
        add("v", ri)
        add("k", g.motifs[kj])
        add("call", hit["ref"][keep].astype(np.int8) + 2 * hit["alt"][keep].astype(np.int8))
        for al, b in best.items():
            st, mi, sc = b.start[keep], b.strand[keep] < 0, b.score[keep]
            ok = st >= 0
            codes, offsets = ctx[al]
            letters = window_letters(codes, offsets[ri[ok]] + st[ok], w, mi[ok], w, threads=threads, backend=backend)
            matched = np.full(ri.size, "", dtype=object)
            matched[ok] = letters.view(f"S{w}")[:, 0].astype(str)
            add(f"{al}_score", np.where(ok, sc.astype(np.float64), np.nan))
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
