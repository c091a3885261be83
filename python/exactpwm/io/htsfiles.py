"""Checks of htslib inputs (VCF/BCF, indexed FASTA) made before pysam opens them.

htslib answers some broken inputs badly: a plain-gzip VCF fails deep inside with "seek not
implemented", a BGZF file cut short can leave its reader thread waiting forever, and a stale
``.fai`` makes ``fetch`` return newlines or fail with "failure when retrieving sequence". These
checks find each case first, in milliseconds, and name the file and the fix.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from exactpwm.core.errors import ExactpwmWarning

__all__ = ["BGZF_EOF", "compression_kind", "check_bgzf", "check_faidx", "fetch_checked", "index_fasta",
           "open_indexed"]

#: the empty BGZF block that ends every complete BGZF file (SAM/BAM specification, 4.1.2)
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def compression_kind(path: str) -> str:
    """'bgzf' (blocked gzip: bgzip, BCF), 'gzip' (plain gzip), or 'none', from the first bytes."""
    with open(path, "rb") as f:
        head = f.read(18)
    if head[:2] != b"\x1f\x8b":
        return "none"
    # BGZF: FEXTRA set, XLEN 6, a 'BC' subfield of length 2 (SAM/BAM specification, 4.1)
    if len(head) >= 16 and head[3] & 4 and head[12:14] == b"BC":
        return "bgzf"
    return "gzip"


def check_bgzf(path: str, what: str) -> str:
    """Refuse a plain-gzip file where htslib needs BGZF, and a BGZF file without its end-of-file
    block (cut short); return the compression kind. ``what`` names the file's role in errors
    ('VCF', 'genome FASTA')."""
    path = os.fspath(path)
    kind = compression_kind(path)
    if kind == "gzip":
        raise ValueError(f"{path}: this {what} is compressed with plain gzip, which htslib cannot read by position; "
                         f"recompress it with bgzip: 'gzip -dc {path} | bgzip > NEW.gz' (bgzip comes with htslib/"
                         "tabix)")
    if kind == "bgzf":
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            f.seek(max(0, size - len(BGZF_EOF)))
            tail = f.read()
        if tail != BGZF_EOF:
            raise ValueError(f"{path}: this {what} is truncated (its BGZF end-of-file block is missing): the file "
                             "was cut short, e.g. by an interrupted copy or download; make or copy it again")
    return kind


def check_faidx(fasta: str, names: list[str], lengths: list[int], *, max_checked: int = 20_000) -> None:
    """Detect a ``.fai`` that does not describe ``fasta`` (made for another file, or before the
    FASTA changed): for a plain FASTA, each record's first and last bases must lie where the index
    says, with a line end before the first and after the last (at most ``max_checked`` records, the
    first and last ones). An index older than the FASTA only warns (copies change file times).
    Raises ValueError naming the first record that does not fit, and the fix."""
    fasta = os.fspath(fasta)
    fai = fasta + ".fai"
    if not os.path.exists(fai):
        return
    fix = f"remake it: 'samtools faidx {fasta}' (or delete {fai} and exactpwm makes it)"
    if os.path.getmtime(fai) < os.path.getmtime(fasta):
        warnings.warn(f"{fai} is older than {fasta}: if the FASTA changed since, {fix}", ExactpwmWarning,
                      stacklevel=3)
    if compression_kind(fasta) != "none":
        return
    entries = []
    with open(fai, "rb") as f:
        for line in f:
            parts = line.rstrip(b"\r\n").split(b"\t")
            if len(parts) >= 5:
                entries.append(parts)
    if [e[0].decode(errors="replace") for e in entries] != list(names):
        return  # pysam read another index (e.g. a .gzi case); nothing to compare
    if len(entries) > max_checked:
        entries = entries[: max_checked // 2] + entries[-max_checked // 2:]
    size = os.path.getsize(fasta)
    with open(fasta, "rb") as f:
        for e in entries:
            name = e[0].decode(errors="replace")
            try:
                length, offset, line_bases, line_width = (int(x) for x in e[1:5])
            except ValueError:
                raise ValueError(f"{fai}: unreadable line for {name!r}; {fix}") from None
            if length == 0:
                continue
            if line_bases <= 0 or line_width < line_bases:
                raise ValueError(f"{fai}: impossible line lengths for {name!r}; {fix}")
            last = offset + (length - 1) // line_bases * line_width + (length - 1) % line_bases
            ok = offset >= 1 and last < size
            if ok:
                f.seek(offset - 1)
                before_first = f.read(2)
                f.seek(last)
                last_and_after = f.read(2)
                ok = (before_first[:1] == b"\n" and before_first[1:] not in (b"\n", b"\r", b">", b"")
                      and last_and_after[:1] not in (b"\n", b"\r", b">")
                      and last_and_after[1:] in (b"\n", b"\r", b""))
            if not ok:
                raise ValueError(f"{fai} does not describe {fasta}: record {name!r} (length {length:,} in the index) "
                                 f"is not where the index says; the index is stale or belongs to another file: {fix}")


def _genome_fasta(fasta: Any, why: str) -> tuple[Any, str, bool]:
    """(pysam, the path as str, whether it is bgzip) for a genome FASTA that pysam will read: pysam
    importable, the file present, its compression checked (:func:`check_bgzf`)."""
    try:
        import pysam
    except ImportError:
        raise ImportError(f"{why} needs pysam: pip install 'exactpwm[regions]'") from None
    fasta = os.fspath(fasta)
    if os.path.isdir(fasta):
        raise IsADirectoryError(f"{fasta}: a folder, not a FASTA file")
    if not os.path.isfile(fasta):
        raise FileNotFoundError(f"{fasta}: no such file")
    return pysam, fasta, check_bgzf(fasta, "genome FASTA") == "bgzf"


def index_fasta(fasta: str) -> list[str]:
    """Write the samtools index of a FASTA (plain or bgzip) beside it: ``FASTA.fai``, and
    ``FASTA.gzi`` for bgzip; returns their paths. Each is written to a temporary name and renamed,
    so jobs that start together (the parts of a workflow) never read a half-written index; an
    existing index is replaced. A FASTA htslib cannot index (lines of unequal length in a record,
    plain gzip) is a ValueError naming the file."""
    from contextlib import ExitStack

    from exactpwm.io.files import atomic_path

    pysam, fasta, bgzf = _genome_fasta(fasta, "indexing a FASTA")
    finals = [fasta + ".fai"] + ([fasta + ".gzi"] if bgzf else [])
    with ExitStack() as stack:  # each index to a temporary name, renamed (the umask's mode) when both are done
        temps = [stack.enter_context(atomic_path(final)) for final in finals]  # left in reverse: .fai renamed last
        args = [fasta, "--fai-idx", temps[0]] + (["--gzi-idx", temps[1]] if bgzf else [])
        quiet = pysam.set_verbosity(0)
        try:
            pysam.faidx(*args)
        except pysam.SamtoolsError:
            raise ValueError(f"{fasta}: htslib cannot index it: it is not a FASTA file, or a record's lines are "
                             "not all of one length (but its last), or a name is given twice") from None
        finally:
            pysam.set_verbosity(quiet)
    return finals


def open_indexed(fasta: str) -> Any:
    """A pysam FastaFile over an indexed FASTA (plain or bgzip), checked first: BGZF complete, the
    ``.fai`` describing the file; errors name the file and the fix."""
    pysam, fasta, bgzf = _genome_fasta(fasta, "--regions reads an indexed FASTA and")
    if not os.path.exists(fasta + ".fai") or (bgzf and not os.path.exists(fasta + ".gzi")):
        try:
            index_fasta(fasta)  # atomically: jobs started together never read a half-written index
        except OSError:
            pass  # a folder that cannot be written: pysam says so below
    quiet = pysam.set_verbosity(0)  # htslib's own messages: our error says it
    try:
        fa = pysam.FastaFile(fasta)
        try:
            check_faidx(fasta, list(fa.references), list(fa.lengths))
        except ValueError:
            fa.close()
            raise
        return fa
    except ValueError:
        raise
    except OSError as exc:
        raise ValueError(f"{fasta}: cannot open it as an indexed FASTA ({exc}); it must be a plain FASTA or one "
                         "compressed with bgzip (not gzip), with an index beside it (.fai, and .gzi for bgzip) that "
                         "can be read, or written there: 'samtools faidx FILE' makes it") from None
    finally:
        pysam.set_verbosity(quiet)


def fetch_checked(fa: Any, fasta: str, chrom: str, start: int | None = None, end: int | None = None) -> str:
    """``fa.fetch(chrom, start, end)``, with an error naming a stale index when htslib cannot
    retrieve the letters or gives back line ends (an index that does not fit the FASTA)."""
    try:
        letters = fa.fetch(chrom, start, end)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{fasta}: cannot read {chrom!r} ({exc}): its index ({fasta}.fai) may be stale or belong to "
                         f"another file; remake it: 'samtools faidx {fasta}'") from None
    if "\n" in letters or "\r" in letters or ">" in letters:
        raise ValueError(f"{fasta}: reading {chrom!r} through its index gave line ends: {fasta}.fai is stale or "
                         f"belongs to another file; remake it: 'samtools faidx {fasta}'")
    return letters
