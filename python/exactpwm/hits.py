"""The hit table: what a scan found, and how to write it.

Coordinates: ``start``/``end`` are 0-based, half-open, on the forward strand
of the sequence, for both strands (as in BED). FIMO-style TSV output converts
to 1-based inclusive (start + 1 .. end). ``matched`` is the window as read on
the hit's strand (reverse complemented for '-'), uppercase ACGTN.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ._io import atomic_output

__all__ = ["HitTable", "hit_dtype"]


def hit_dtype(max_width: int) -> np.dtype:
    """Structured dtype of one hit row; ``matched`` holds up to ``max_width`` letters."""
    return np.dtype([
        ("motif", np.int32), ("sequence", np.int64), ("start", np.int64), ("end", np.int64),
        ("strand", "S1"), ("score", np.float64), ("pvalue", np.float64), ("qvalue", np.float64),
        ("matched", f"S{max(1, max_width)}"),
    ])


class HitTable:
    """Hits as a numpy structured array plus the names its indices refer to.

    Attributes
    ----------
    rows : structured array with fields motif, sequence, start, end, strand,
        score, pvalue, qvalue (NaN unless asked for), matched
    motif_names : names of the motifs (``rows['motif']`` indexes them)
    sequence_names : names of the sequences (``rows['sequence']`` indexes them)
    thresholds : (K,) score threshold used for each motif
    """

    def __init__(self, rows: np.ndarray, motif_names: Sequence[str], sequence_names: Sequence[str],
                 thresholds: np.ndarray | None = None):
        self.rows = rows
        self.motif_names = list(motif_names)
        self.sequence_names = list(sequence_names)
        self.thresholds = thresholds

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key):
        return self.rows[key]

    def __repr__(self) -> str:
        return f"HitTable({len(self)} hits, {len(self.motif_names)} motifs, {len(self.sequence_names)} sequences)"

    def to_pandas(self):
        """A pandas DataFrame with names instead of indices and strand/matched as str."""
        import pandas as pd

        r = self.rows
        return pd.DataFrame({
            "motif": np.asarray(self.motif_names, dtype=object)[r["motif"]] if len(r) else [],
            "sequence": np.asarray(self.sequence_names, dtype=object)[r["sequence"]] if len(r) else [],
            "start": r["start"], "end": r["end"], "strand": r["strand"].astype(str),
            "score": r["score"], "pvalue": r["pvalue"], "qvalue": r["qvalue"],
            "matched": r["matched"].astype(str),
        })

    def write_bed(self, out, *, header: str | None = None) -> None:
        """BED6 (chrom, start, end, name, score, strand); 0-based half-open."""
        with atomic_output(out) as f:
            if header:
                for line in header.splitlines():
                    f.write(f"# {line}\n")
            for h in self.rows:
                f.write(f"{self.sequence_names[h['sequence']]}\t{h['start']}\t{h['end']}\t"
                        f"{self.motif_names[h['motif']]}\t{_num(h['score'])}\t{h['strand'].decode()}\n")

    def write_tsv(self, out, *, command: str | None = None) -> None:
        """FIMO-compatible TSV: motif_id, motif_alt_id, sequence_name, start, stop (1-based,
        inclusive), strand, score, p-value, q-value, matched_sequence; comment lines last."""
        with atomic_output(out) as f:
            f.write("motif_id\tmotif_alt_id\tsequence_name\tstart\tstop\tstrand\tscore\tp-value\tq-value\t"
                    "matched_sequence\n")
            for h in self.rows:
                q = "" if np.isnan(h["qvalue"]) else f"{h['qvalue']:.3g}"
                f.write(f"{self.motif_names[h['motif']]}\t\t{self.sequence_names[h['sequence']]}\t"
                        f"{h['start'] + 1}\t{h['end']}\t{h['strand'].decode()}\t{_num(h['score'])}\t"
                        f"{h['pvalue']:.3g}\t{q}\t{h['matched'].decode()}\n")
            f.write("\n# exactpwm scan\n")
            if command:
                f.write(f"# command: {command}\n")


def _num(x: float) -> str:
    return f"{x:.6g}"
