"""The hit table: what a scan found, and how to write it.

Coordinates: ``start``/``end`` are 0-based, half-open, on the forward strand
of the sequence, for both strands (as in BED). FIMO-style TSV output converts
to 1-based inclusive (start + 1 .. end). ``matched`` is the window as read on
the hit's strand (reverse complemented for '-'), uppercase ACGTN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from exactpwm._engine import engine
from exactpwm.core._checks import optional_import, resolve_threads
from exactpwm.core.types import PathOrFile
from exactpwm.io.files import atomic_output, write_bytes

__all__ = ["HitTable", "HitWriter", "hit_dtype", "RowBuffer", "write_maxima"]


def hit_dtype(max_width: int) -> np.dtype:
    """Structured dtype of one hit row; ``matched`` holds up to ``max_width`` letters."""
    return np.dtype([
        ("motif", np.int32), ("sequence", np.int64), ("start", np.int64), ("end", np.int64),
        ("strand", "S1"), ("score", np.float64), ("pvalue", np.float64), ("qvalue", np.float64),
        ("matched", f"S{max(1, max_width)}"),
    ], align=True)  # aligned fields: column reads and writes take numpy's fast paths


class RowBuffer:
    """A growing structured array of hit rows: chunk after chunk, appended or written in place
    (:meth:`claim`), then taken whole (:meth:`result`).

    Grows into a new uninitialized array (its pages are touched only where rows are written), at
    least doubling, or straight to the size announced by :meth:`expect`; the rows so far are
    copied once per growth. The caller may drop each chunk.
    """

    def __init__(self, dtype: np.dtype):
        self.dtype = np.dtype(dtype)
        self._buf = np.zeros(0, self.dtype)
        self._n = 0
        self._expect = 0

    def expect(self, rows: int) -> None:
        """The number of rows the whole result will likely hold: the next growth goes straight there."""
        self._expect = max(self._expect, int(rows))

    def _room(self, need: int) -> None:
        if need <= len(self._buf):
            return
        least = max(need, 2 * len(self._buf), 1024)
        try:  # the announced size is an estimate: where it cannot be had, grow as little as needed
            grown = np.empty(max(least, self._expect), self.dtype)
        except MemoryError:
            grown = np.empty(least, self.dtype)
        w = self.dtype.itemsize
        grown.view(np.uint8)[:self._n * w] = self._buf.view(np.uint8)[:self._n * w]
        self._buf = grown

    def claim(self, k: int) -> np.ndarray:
        """The next ``k`` rows, uninitialized, to be written in place: a view, valid until the next
        :meth:`claim`, :meth:`append` or :meth:`result` (which may move the buffer)."""
        need = self._n + int(k)
        self._room(need)
        rows = self._buf[self._n:need]
        self._n = need
        return rows

    def append(self, rows: np.ndarray, owned: bool = False) -> None:
        """Add rows after those appended so far. ``owned``: the caller hands ``rows`` over (it keeps
        no view of them), so the first chunk becomes the buffer itself instead of being copied."""
        if owned and self._n == 0 and rows.dtype == self.dtype and rows.ndim == 1 and rows.flags.owndata \
                and rows.flags.c_contiguous and rows.flags.writeable and len(rows) >= self._expect:
            self._buf, self._n = rows, len(rows)
            return
        need = self._n + len(rows)
        self._room(need)
        w = self.dtype.itemsize
        self._buf.view(np.uint8)[self._n * w:need * w] = np.ascontiguousarray(rows, self.dtype).view(np.uint8)
        self._n = need

    @property
    def size(self) -> int:
        """Rows appended so far."""
        return self._n

    def result(self) -> np.ndarray:
        """The rows appended so far (the buffer is handed over; do not append afterwards)."""
        self._buf.resize(self._n, refcheck=False)
        return self._buf


@dataclass(repr=False, eq=False)
class HitTable:
    """Hits as a numpy structured array plus the names its indices refer to.

    Attributes
    ----------
    rows : (H,) structured array
        Fields ``motif``, ``sequence``, ``start``, ``end`` (0-based half-open, forward strand),
        ``strand`` (``b"+"``/``b"-"``), ``score``, ``pvalue``, ``qvalue`` (NaN unless asked for),
        ``matched``.
    motif_names : list of str
        Names of the motifs (``rows['motif']`` indexes them).
    sequence_names : list of str
        Names of the sequences (``rows['sequence']`` indexes them).
    thresholds : (K,) float64
        The score threshold used for each motif.
    motif_alt_names : list of str or None
        Second names of the motifs (FIMO's motif_alt_id).
    """

    rows: np.ndarray
    motif_names: Sequence[str]
    sequence_names: Sequence[str]
    thresholds: np.ndarray | None = None
    motif_alt_names: Sequence[str] | None = None

    def __post_init__(self) -> None:
        self.motif_names = list(self.motif_names)
        self.motif_alt_names = list(self.motif_alt_names) if self.motif_alt_names is not None else None
        self.sequence_names = list(self.sequence_names)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key):
        return self.rows[key]

    def __repr__(self) -> str:
        return f"HitTable({len(self)} hits, {len(self.motif_names)} motifs, {len(self.sequence_names)} sequences)"

    def to_pandas(self, columns: str = "exactpwm") -> Any:
        """A pandas DataFrame, names instead of indices, strand and matched as str.

        ``columns="exactpwm"`` (the vocabulary of every result table, ``docs/conventions.md``):
        motif, motif_alt, sequence, start, end (0-based half-open, forward strand), strand, score,
        pvalue, qvalue, matched. ``columns="fimo"``: the TSV file's own columns and 1-based
        inclusive coordinates (motif_id, motif_alt_id, sequence_name, start, stop, strand, score,
        p-value, q-value, matched_sequence), as ``pandas.read_csv`` of ``write_tsv``'s file gives.
        """
        pd = optional_import("pandas", "tables", "HitTable.to_pandas")
        r = self.rows
        n = len(r)
        motif = np.asarray(self.motif_names, dtype=object)[r["motif"]] if n else np.zeros(0, object)
        alts = self.motif_alt_names or [""] * len(self.motif_names)
        alt = np.asarray(alts, dtype=object)[r["motif"]] if n else np.zeros(0, object)
        seq = np.asarray(self.sequence_names, dtype=object)[r["sequence"]] if n else np.zeros(0, object)
        if columns == "exactpwm":
            return pd.DataFrame({"motif": motif, "motif_alt": alt, "sequence": seq, "start": r["start"],
                                 "end": r["end"], "strand": r["strand"].astype(str), "score": r["score"],
                                 "pvalue": r["pvalue"], "qvalue": r["qvalue"], "matched": r["matched"].astype(str)})
        if columns == "fimo":
            return pd.DataFrame({"motif_id": motif, "motif_alt_id": alt, "sequence_name": seq,
                                 "start": r["start"] + 1, "stop": r["end"], "strand": r["strand"].astype(str),
                                 "score": r["score"], "p-value": r["pvalue"], "q-value": r["qvalue"],
                                 "matched_sequence": r["matched"].astype(str)})
        raise ValueError(f"columns must be 'exactpwm' or 'fimo', got {columns!r}")

    def write_bed(self, out: PathOrFile, *, header: str | None = None) -> None:
        """BED6 (chrom, start, end, name, score, strand); 0-based half-open."""
        self._write(out, "bed", header)

    def write_tsv(self, out: PathOrFile, *, command: str | None = None) -> None:
        """FIMO-compatible TSV: motif_id, motif_alt_id, sequence_name, start, stop (1-based,
        inclusive), strand, score, p-value, q-value, matched_sequence; comment lines last."""
        self._write(out, "tsv", command)

    def write_gff3(self, out: PathOrFile, *, command: str | None = None) -> None:
        """GFF3: 1-based inclusive, type ``nucleotide_motif`` (SO:0001683) as FIMO writes, with
        Name, Alias (alt name), pvalue, qvalue and sequence attributes."""
        self._write(out, "gff", command)

    def _write(self, out, fmt: str, note: str | None) -> None:
        with atomic_output(out) as f:
            w = HitWriter(f, fmt, self.motif_names, self.sequence_names, self.motif_alt_names, note)
            w.write(self.rows)
            w.close()


class HitWriter:
    """Stream hits to an open text file in one format, chunk by chunk.

    fmt : "tsv" (FIMO-compatible, 1-based inclusive), "fimo" (the same columns with scores as
        FIMO prints them, ``%g``; no closing comments: see :mod:`exactpwm.scanning.fimo`),
        "bed" (BED6, 0-based half-open) or "gff" (GFF3, 1-based inclusive)
    motif_names, sequence_names, alt_names : lists (or dicts) indexed by the rows' motif and
        sequence fields; ``sequence_names`` may grow while writing (a streaming scan appends names)
    note : the command line (tsv, gff) or a header comment (bed)
    backend : "auto" (the compiled core formats the lines when present) or "python"
    threads : threads formatting lines in the compiled core (0 = all cores); the text does not depend on it
    """

    FORMATS = ("tsv", "fimo", "bed", "gff")

    def __init__(self, f, fmt: str, motif_names, sequence_names, alt_names=None, note: str | None = None,
                 backend: str = "auto", threads: int = 0):
        if fmt not in self.FORMATS:
            raise ValueError(f"hit format must be one of {self.FORMATS}, got {fmt!r}")
        self.f, self.fmt, self.note = f, fmt, note
        # lists, or mappings from the indices in the rows (a partition of a distributed scan)
        self.motifs = motif_names if isinstance(motif_names, dict) else list(motif_names)
        self.alts = alt_names if isinstance(alt_names, dict) else \
            (list(alt_names) if alt_names is not None else [""] * len(self.motifs))
        self.sequences = sequence_names
        self.n = 0
        self.backend = backend
        self.threads = resolve_threads(threads)
        self._names = None
        if fmt in ("tsv", "fimo"):
            f.write("motif_id\tmotif_alt_id\tsequence_name\tstart\tstop\tstrand\tscore\tp-value\tq-value\t"
                    "matched_sequence\n")
        elif fmt == "gff":
            f.write("##gff-version 3\n")
        elif note:
            f.write("".join(f"# {line}\n" for line in note.splitlines()))

    def write(self, rows: np.ndarray) -> None:
        """Write a structured array of hits (see :func:`hit_dtype`).

        The compiled core formats the lines (the same bytes as :meth:`format_python`, tested);
        without it, or with ``backend="python"``, Python does.
        """
        if not len(rows):
            return
        data = None if self.backend == "python" else self.format_engine(rows)
        if data is not None:
            write_bytes(self.f, data)
        else:
            self.f.write(self.format_python(rows))
        if self.fmt == "gff":
            self.n += len(rows)

    def format_engine(self, rows: np.ndarray) -> list[bytes] | None:
        """The lines of ``rows`` as UTF-8 bytes in parts (the text is their concatenation; written as
        they are, never joined), formatted by the compiled core (None without it)."""
        eng = engine(self.backend)
        if eng.name != "cpp":
            return None
        rows = np.ascontiguousarray(rows)
        seq_ids, local = _sequence_codes(rows["sequence"])
        seqs = [str(self.sequences[i]) for i in seq_ids.tolist()]
        motifs, alts, motifs_gff, alts_gff = self._name_lists()
        seqs_gff = [_gff_escape(n) for n in seqs] if self.fmt == "gff" else []
        return eng.format_hits(rows, np.ascontiguousarray(local, dtype=np.int64).ravel(), self.fmt,
                               (motifs, alts, seqs, motifs_gff, alts_gff, seqs_gff), self.n + 1, self.threads)

    def _name_lists(self):
        """Motif names, alt names and their GFF-escaped forms as lists indexed by the rows' motif field."""
        if self._names is None:
            def as_list(names):
                if isinstance(names, dict):
                    top = max(names, default=-1)
                    return [str(names.get(i, "")) for i in range(top + 1)]
                return [str(n) for n in names]
            motifs, alts = as_list(self.motifs), as_list(self.alts)
            gff = self.fmt == "gff"
            self._names = (motifs, alts, [_gff_escape(n) for n in motifs] if gff else [],
                           [_gff_escape(n) for n in alts] if gff else [])
        return self._names

    def format_python(self, rows: np.ndarray) -> str:
        """The lines of ``rows``, formatted one by one in Python (the reference for the engine)."""
        seqs, motifs, out = self.sequences, self.motifs, []
        n = self.n
        for h in rows:
            seq, motif, strand = seqs[h["sequence"]], motifs[h["motif"]], h["strand"].decode()
            if self.fmt == "bed":
                out.append(f"{seq}\t{h['start']}\t{h['end']}\t{motif}\t{_num(h['score'])}\t{strand}\n")
                continue
            q = "" if np.isnan(h["qvalue"]) else f"{h['qvalue']:.3g}"
            if self.fmt in ("tsv", "fimo"):
                score = f"{h['score']:g}" if self.fmt == "fimo" else _num(h["score"])
                out.append(f"{motif}\t{self.alts[h['motif']]}\t{seq}\t{h['start'] + 1}\t{h['end']}\t{strand}\t"
                           f"{score}\t{h['pvalue']:.3g}\t{q}\t{h['matched'].decode()}\n")
            else:
                n += 1
                alias = f";Alias={_gff_escape(self.alts[h['motif']])}" if self.alts[h["motif"]] else ""
                qv = f";qvalue={q}" if q else ""
                out.append(f"{seq}\texactpwm\tnucleotide_motif\t{h['start'] + 1}\t{h['end']}\t{_num(h['score'])}\t"
                           f"{strand}\t.\tID={_gff_escape(motif)}-{n}-{_gff_escape(seq)};"
                           f"Name={_gff_escape(motif)}{alias};pvalue={h['pvalue']:.3g}{qv};"
                           f"sequence={h['matched'].decode()}\n")
        return "".join(out)

    def close(self) -> None:
        """Write the closing comment lines (tsv: the program and command, as FIMO does)."""
        if self.fmt == "tsv":
            self.f.write("\n# exactpwm scan\n")
            if self.note:
                self.f.write(f"# command: {self.note}\n")
        elif self.fmt == "gff" and self.note:
            self.f.write(f"# command: {self.note}\n")


def _num(x: float) -> str:
    """Scores in full: they are exact multiples of the grid step, so the shortest repr is exact."""
    return repr(float(x))


def _gff_escape(s: str) -> str:
    return "".join(c if c.isalnum() or c in "._-:|+" else f"%{ord(c):02X}" for c in s)


def write_maxima(f, best, alt_names, widths, note: str) -> None:
    """Write :class:`exactpwm.SequenceMaxima` as a TSV: per (sequence, motif) the best window,
    1-based inclusive like the hit TSV ('.' where a sequence has no N-free window).

    best : SequenceMaxima; alt_names, widths : one per motif; note : the command line (a
    closing comment line)."""
    f.write("sequence_name\tmotif_id\tmotif_alt_id\tstart\tstop\tstrand\tscore\tp-value\n")
    for s, seq in enumerate(best.sequence_names):
        for k, (name, alt, width) in enumerate(zip(best.motif_names, alt_names, widths)):
            if best.start[s, k] < 0:
                f.write(f"{seq}\t{name}\t{alt}\t.\t.\t.\t.\t1\n")
                continue
            st = int(best.start[s, k])
            f.write(f"{seq}\t{name}\t{alt}\t{st + 1}\t{st + width}\t"
                    f"{'+' if best.strand[s, k] > 0 else '-'}\t{float(best.score[s, k])!r}\t{best.pvalue[s, k]:.3g}\n")
    f.write(f"\n# exactpwm scan --format maxima\n# command: {note}\n")


def _sequence_codes(sequence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct sequence indices in ascending order, each row's place among them), as
    ``np.unique(sequence, return_inverse=True)`` gives them; in one pass when the rows are in
    sequence order (a scan's are), instead of a sort."""
    seq = np.asarray(sequence, dtype=np.int64).ravel()
    if seq.size and bool((seq[1:] >= seq[:-1]).all()):
        first = np.flatnonzero(np.concatenate([[True], seq[1:] != seq[:-1]]))
        return seq[first], np.repeat(np.arange(first.size), np.diff(np.append(first, seq.size)))
    return np.unique(seq, return_inverse=True)
