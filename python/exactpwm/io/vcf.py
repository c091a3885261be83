"""VCF and BCF files for variant effects: variants read as columns (multi-allelic sites split,
alleles normalised), checked against an indexed genome, and the input VCF written back with an
annotation per record.

Reading goes through pysam (htslib): plain or bgzip VCF, BCF, any order, no index needed. What cannot
be scored is counted and named, never dropped silently: symbolic alleles and breakends, a contig the
FASTA does not hold, ALT equal to REF, POS outside its contig, a REF that does not match the genome.
Broken files fail at once with what is wrong (:mod:`exactpwm.io.htsfiles`).
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from exactpwm.core.errors import ExactpwmWarning
from exactpwm.core.sequence import ENCODE
from exactpwm.io.htsfiles import check_bgzf, compression_kind, fetch_checked, open_indexed

__all__ = ["SKIP_REASONS", "Variant", "VariantColumns", "by_change", "checked_variants", "count_records",
           "parse_region", "read_variants", "ref_matches", "trim", "warn_skipped", "write_annotated_vcf"]


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
        return trim(self.pos, self.ref, self.alt)


def trim(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
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
            a[i], ref, bases[i] = trim(int(self.pos[i]), self.ref[i], self.alt[i])
            r[i], s[i] = len(ref), len(bases[i])
        return a, r, s, bases


SKIP_REASONS = {
    "symbolic": "symbolic or breakend allele",
    "ref_mismatch": "REF does not match the genome",
    "contig": "contig missing from the FASTA",
    "no_change": "ALT equals REF",
    "position": "POS outside its contig (below 1 or past the contig's end)",
}


def parse_region(text: str) -> tuple[str, int, int | None]:
    """``chr``, ``chr:start-end`` or ``chr:start-`` (1-based, inclusive, commas allowed, as samtools
    and tabix read them) as (chrom, 0-based start, 0-based end or None)."""
    chrom, colon, span = str(text).strip().rpartition(":")
    if not colon:
        chrom, span = span, ""
    if not chrom:
        raise ValueError(f"region {text!r}: give chr, chr:start-end or chr:start- (1-based, inclusive)")
    if not span:
        return chrom, 0, None
    first, dash, last = span.replace(",", "").partition("-")
    if not (first.isdigit() and int(first) >= 1 and (not last or last.isdigit()) and (dash or not last)):
        raise ValueError(f"region {text!r}: give chr, chr:start-end or chr:start- (1-based, inclusive)")
    if not dash:  # chr:pos, one position
        return chrom, int(first) - 1, int(first)
    end = int(last) if last else None
    if end is not None and end < int(first):
        raise ValueError(f"region {text!r}: the end is before the start")
    return chrom, int(first) - 1, end


def _region_records(vf: Any, vcf: str, region: str) -> tuple[int, Any]:
    """(the number of records before it, the records whose POS lies in ``region``), read through the
    VCF's index; regions that follow each other give each record once. The count assumes the file
    is sorted as its index requires, its contigs in the index's order (a tabix index lists them
    as they come in the file)."""
    chrom, start, end = parse_region(region)
    if vf.index is None:
        raise ValueError(f"{vcf}: --region reads the VCF through its index, and it has none: compress it with "
                         "bgzip and index it ('tabix -p vcf FILE.vcf.gz' or 'bcftools index')")
    contigs = list(vf.index.keys())
    if chrom not in contigs:
        raise ValueError(f"--region {region}: {chrom!r} is not a contig of {vcf}'s index "
                         f"({', '.join(contigs[:5])}{', ...' if len(contigs) > 5 else ''})")
    before = sum(sum(1 for _ in vf.fetch(c)) for c in contigs[:contigs.index(chrom)])
    if start > 0:
        before += sum(1 for rec in vf.fetch(chrom, 0, start) if rec.start < start)
    return before, (rec for rec in vf.fetch(chrom, start, end) if rec.start >= start)


def read_variants(vcf: str, contigs: dict[str, int] | None = None,
                  records: tuple[int, int] | None = None, region: str | None = None
                  ) -> tuple[VariantColumns, Counter, dict]:
    """Every (site, ALT) of a VCF/BCF, multi-allelic sites split, in file order, as
    :class:`VariantColumns`; with the counts (and first examples) of those left out: symbolic
    alleles and breakends, contigs not in ``contigs`` ({name: length}, when given), ALT equal to
    REF, POS below 1 or past its contig's end. Records without an ALT (``.``) have nothing to score and
    give no variant. ``records=(first, stop)``: only those records (0-based, in file order).
    ``region`` (``chr:start-end``, 1-based inclusive, see :func:`parse_region`): only the records
    whose POS lies in it, read through the VCF's tabix or CSI index (``record`` numbers are still
    those of the whole file)."""
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
        before, found = (0, vf) if region is None else _region_records(vf, vcf, region)
    except (OSError, ValueError) as exc:
        vf.close()
        pysam.set_verbosity(quiet)
        if isinstance(exc, ValueError) and str(exc).startswith((vcf, "--region")):
            raise
        raise ValueError(f"{vcf}: malformed VCF before --region {region} ({exc})") from None
    try:
        first, stop = records if records is not None else (0, None)
        for r, rec in enumerate(found, before):
            if r < first:
                continue
            if stop is not None and r >= stop:
                break
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


def by_change(part: VariantColumns) -> tuple[VariantColumns, tuple]:
    """The variants ordered by the lengths of their changed REF and ALT bases, and their changes
    (:meth:`VariantColumns.changes`) in that order, as :func:`exactpwm.core.haplotypes.haplotype_records` takes them."""
    a, r, s, bases = part.changes()
    order = np.lexsort((s, r))
    return part.take(order), (a[order], r[order], s[order], bases[order])


def checked_variants(genome: str, vcf: str, skipped: Counter, examples: dict,
                     records: tuple[int, int] | None = None, region: str | None = None):
    """(contig codes, its variants whose REF matches the genome as :class:`VariantColumns`) per
    contig of the VCF, in the VCF's order of first appearance; what cannot be scored is counted in
    ``skipped`` (examples in ``examples``). ``records``, ``region``: see :func:`read_variants`."""

    fa = open_indexed(genome)
    try:
        variants, more, first = read_variants(vcf, dict(zip(fa.references, fa.lengths)), records, region)
        skipped.update(more)
        for reason, ex in first.items():
            examples.setdefault(reason, []).extend(ex)
        contig: dict[str, int] = {}
        which = np.fromiter((contig.setdefault(c, len(contig)) for c in variants.chrom), np.int64, len(variants))
        for chrom, i in contig.items():
            found = variants.take(np.flatnonzero(which == i))
            letters = np.frombuffer(fetch_checked(fa, genome, chrom).upper().encode("ascii"), np.uint8)
            ok = ref_matches(letters, found)
            bad = np.flatnonzero(~ok)
            if bad.size:
                skipped["ref_mismatch"] += int(bad.size)
                ex = examples.setdefault("ref_mismatch", [])
                for j in bad[:max(0, 3 - len(ex))].tolist():
                    p, ref = int(found.pos[j]), found.ref[j]
                    there = letters[p:p + len(ref)].tobytes().decode() or "past the end"
                    ex.append(f"{chrom}:{p + 1} {ref}>{found.alt[j]} (genome: {there})")
            yield ENCODE[letters], found.take(ok)
    finally:
        fa.close()


def count_records(vcf: str) -> int:
    """The number of records of a VCF/BCF: a text VCF's (plain or bgzip) lines that are not
    headers, counted in blocks; a BCF's records through pysam."""
    import pysam

    kind = check_bgzf(vcf, "VCF") if str(vcf) != "-" and os.path.isfile(vcf) else None
    if kind in (None, "bgzf"):
        import gzip

        opener = gzip.open if kind == "bgzf" else open
        with opener(vcf, "rb") as f:
            head = f.read(5)
            if head[:4] != b"BCF\x02":  # text: records are the lines that do not start with '#'
                n, last = 0, b"\n"
                block = head
                while block:
                    n += block.count(b"\n") - block.count(b"\n#") - (1 if last == b"\n" and block[:1] == b"#" else 0)
                    last = block[-1:]
                    block = f.read(1 << 22)
                return n + (1 if last not in (b"\n", b"") else 0)
    quiet = pysam.set_verbosity(0)
    try:
        with pysam.VariantFile(vcf, threads=2) as vf:
            return sum(1 for _ in vf)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{vcf}: cannot read it as a VCF or BCF file ({exc})") from None
    finally:
        pysam.set_verbosity(quiet)


def ref_matches(letters: np.ndarray, variants: VariantColumns) -> np.ndarray:
    """(V,) bool: each REF equals the genome's (uppercase ASCII) letters at its position."""
    V = len(variants)
    n = np.fromiter(map(len, variants.ref), np.int64, V)
    ends = np.cumsum(n)
    ref = np.frombuffer("".join(variants.ref).encode(), np.uint8)
    idx = np.repeat(variants.pos - (ends - n), n) + np.arange(ends[-1] if V else 0)
    inside = idx < letters.size
    same = inside & (letters[np.where(inside, idx, 0)] == ref)
    return (np.add.reduceat(same, ends - n) == n) if V else np.zeros(0, bool)


def warn_skipped(skipped: Counter, examples: dict) -> None:
    """One warning naming what was not scored, with counts and examples."""
    if skipped:
        warnings.warn("variants not scored: " + "; ".join(
            f"{n} with {SKIP_REASONS[r]} (e.g. {', '.join(examples.get(r, []))})" for r, n in skipped.items()),
            ExactpwmWarning, stacklevel=3)


def _undeclared_contigs(vcf: str, header: Any) -> list[str]:
    """The contigs of a text VCF's records that its header does not declare (a BCF must declare
    them), in order of appearance."""
    import gzip

    if str(vcf) == "-" or not os.path.isfile(vcf):
        return []
    kind = compression_kind(vcf)
    opener: Any = gzip.open if kind != "none" else open
    with opener(vcf, "rb") as f:
        if f.read(3) == b"BCF":
            return []
        f.seek(0)
        known = set(header.contigs)
        seen: dict[str, None] = {}
        for line in f:
            if line[:1] != b"#":
                name = line.split(b"\t", 1)[0].decode("utf-8", "replace")
                if name not in known:
                    seen.setdefault(name)
    return list(seen)


def write_annotated_vcf(vcf_in: str, vcf_out: str, notes: dict[int, list[str]], key: str, description: str) -> None:
    """The input VCF with an INFO field ``key`` (Number=., String) on each record ``r`` (0-based, in
    file order) of ``notes``: its entries; bgzip-compressed when ``vcf_out`` ends in .gz, BCF when it
    ends in .bcf. Written through :class:`exactpwm.io.files.atomic_path` (devices in place, links
    followed, the umask's mode)."""
    import pysam

    from exactpwm.io.files import atomic_path

    mode = "wb" if vcf_out.endswith(".bcf") else ("wz" if vcf_out.endswith(".gz") else "w")
    quiet = pysam.set_verbosity(0)  # htslib's notes (no index) are not the user's concern here
    src = pysam.VariantFile(vcf_in)
    for name in _undeclared_contigs(vcf_in, src.header):  # else htslib ends the process at such a record
        src.header.contigs.add(name)
    header = src.header.copy()
    if "END" not in header.info:  # htslib gives symbolic alleles an END even when the header lacks it
        header.info.add("END", 1, "Integer", "End position of the variant")
    header.info.add(key, ".", "String", description)
    try:
        with atomic_path(vcf_out, suffix=os.path.basename(vcf_out)) as tmp:
            with pysam.VariantFile(tmp, mode, header=header, threads=2) as out:  # one more thread compresses
                for r, rec in enumerate(src):
                    rec.translate(header)
                    if r in notes:
                        rec.info[key] = notes[r]
                    out.write(rec)
    finally:
        src.close()
        pysam.set_verbosity(quiet)
