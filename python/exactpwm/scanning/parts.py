"""A scan cut into parts: each part runs on its own (any machine, any order: a workflow's jobs)
and the parts merge into exactly the hits, statistics and q-values of one scan of the whole input.

- :func:`split_records` cuts a FASTA file's records into ``n`` contiguous parts of about equal
  size (whole records: a record is never cut, so a genome of a few chromosomes gives parts as
  large as its chromosomes).
- A part (:class:`ScanPart`) holds its hits (p-values unrounded), its window tests per motif, its
  p-value sample with each window's number in the whole input (see
  :class:`exactpwm.scanning.scan.PvalueSample`) and a fingerprint of the run: the motifs'
  matrices, thresholds and every option that changes a result, and the input's record lengths.
- :func:`merge_parts` checks that the parts are those of one run (one fingerprint, each part once,
  all present) and returns the whole scan's :class:`~exactpwm.scanning.scan.Collected`: hits in
  the whole scan's order (sequence, start, strand '+' first, motif), tests summed, and the sample
  the whole scan draws, so q-values come out the same, bit for bit.

Part files are ``.npz`` (numpy, no pickles) with a format version.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

from exactpwm.scanning.scan import Collected, PvalueSample

__all__ = ["PartError", "ScanPart", "PartRange", "block_range", "part_range", "split_records", "record_positions",
           "fingerprint", "write_part", "read_part", "check_parts", "merge_parts"]

PART_FORMAT = 1


class PartError(ValueError):
    """Part files that are not one run's complete set, or a file that is not a part."""


def split_records(lengths: np.ndarray, parts: int) -> np.ndarray:
    """(parts + 1,) int64 record bounds: part i holds records ``bounds[i] .. bounds[i + 1] - 1``.

    lengths : (R,) int64 record lengths, in file order. Each record goes to the part in which its
    first position falls when the input's positions (``len + 1`` per record) are cut into ``parts``
    equal spans, so parts are contiguous, in order, and about equally large; some are empty
    when there are fewer records than parts (or a record is longer than a span).
    """
    if parts < 1:
        raise ValueError(f"the number of parts must be >= 1, got {parts}")
    first = record_positions(lengths)[:-1]
    total = int(first[-1] + lengths[-1] + 1) if lengths.size else 0
    owner = first * parts // max(total, 1)
    return np.searchsorted(owner, np.arange(parts + 1), side="left").astype(np.int64)


def block_range(count: int, part: int, parts: int, block: int = 1) -> tuple[int, int]:
    """(first, stop) of part ``part`` (0-based) of ``parts`` over ``count`` items taken in whole
    blocks of ``block`` (the last block may be short): contiguous, about equal, in order."""
    blocks = -(-count // block)
    return min(count, part * blocks // parts * block), min(count, (part + 1) * blocks // parts * block)


def record_positions(lengths: np.ndarray) -> np.ndarray:
    """(R + 1,) int64: the number of record r's first position in the whole input (the sum of
    ``len + 1`` over the records before it), then the input's number of positions."""
    return np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64) + 1)]).astype(np.int64)


@dataclass
class PartRange:
    """Where part ``part`` of ``parts`` of a FASTA file lies.

    lengths : (R,) int64, every record's length; first, stop : its records (0-based, half-open);
    first_position : the number of its first window (:func:`record_positions`); positions : the
    whole input's number of positions; sample_stride : the whole scan's p-value sample stride.
    """

    part: int
    parts: int
    lengths: np.ndarray
    first: int
    stop: int
    first_position: int
    positions: int
    sample_stride: int


def part_range(source, part: int, parts: int, lengths: np.ndarray | None = None) -> PartRange:
    """:class:`PartRange` of part ``part`` (0-based) of ``parts`` of a FASTA file (its ``.fai``, or
    one pass over it, for the record lengths), or of records of the given ``lengths`` (R,)."""
    from exactpwm.io.fasta import record_lengths

    if not (parts >= 1 and 0 <= part < parts):
        raise ValueError(f"a part is K/N with 1 <= K <= N, got {part + 1}/{parts}")
    lengths = record_lengths(source) if lengths is None else np.asarray(lengths, dtype=np.int64)
    bounds = split_records(lengths, parts)
    positions = record_positions(lengths)
    first, stop = int(bounds[part]), int(bounds[part + 1])
    return PartRange(part, parts, lengths, first, stop, int(positions[first]), int(positions[-1]),
                     PvalueSample.stride_for(int(positions[-1])))


def fingerprint(settings: dict, arrays: list) -> str:
    """A run's fingerprint: SHA-256 of its settings (JSON, sorted keys) and arrays (dtype, shape
    and bytes of each, in order)."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


@dataclass
class ScanPart:
    """Part ``part`` of ``parts`` of a scan.

    fingerprint : the run's (:func:`fingerprint`); positions : the whole input's number of
    positions (:func:`record_positions`); first_record, stop_record : the part's records in the
    input (0-based, half-open; FASTA records, or VCF records for ``exactpwm variants``); hits :
    (H,) structured hit rows, ``sequence`` indexing ``sequence_names`` (the part's records, in
    order); n_tests : (K,) int64 window tests per motif; samples : K pairs
    (window numbers int64, p-values float64); settings : what writing the merged result needs
    (JSON-able: motif names, output format, q-values, ...); cuts : {motif: p-value} where a cap on
    stored hits cut this part's (FIMO's ``--max-stored-scores``); text : rows already written as
    text (``exactpwm variants``: its TSV's lines, without the header), else empty; arrays : other
    named arrays of the part (``exactpwm attribute``: its maps), joined along their first axis.
    """

    fingerprint: str
    part: int
    parts: int
    positions: int
    first_record: int
    hits: np.ndarray
    sequence_names: list
    n_tests: np.ndarray
    samples: list
    settings: dict = field(default_factory=dict)
    cuts: dict = field(default_factory=dict)
    stop_record: int = -1
    text: bytes = b""
    arrays: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.stop_record < 0:
            self.stop_record = self.first_record + len(self.sequence_names)


def write_part(path: str, p: ScanPart) -> None:
    """Write a part file (atomically: a failed write leaves no file and an existing one as it was)."""
    from exactpwm.io.files import atomic_output

    K = len(p.samples)
    counts = np.array([s[0].size for s in p.samples], dtype=np.int64)
    header = {"format": PART_FORMAT, "fingerprint": p.fingerprint, "part": p.part, "parts": p.parts,
              "positions": p.positions, "first_record": p.first_record, "motifs": K, "settings": p.settings,
              "cuts": {str(k): float(v) for k, v in p.cuts.items()}, "stop_record": p.stop_record}
    with atomic_output(path, "wb") as f:
        np.savez(f, header=np.array(json.dumps(header)), hits=p.hits,
                 sequence_names=np.array(p.sequence_names, dtype=str), n_tests=p.n_tests.astype(np.int64),
                 sample_counts=counts,
                 sample_index=np.concatenate([s[0] for s in p.samples]) if K else np.zeros(0, np.int64),
                 sample_pvalue=np.concatenate([s[1] for s in p.samples]) if K else np.zeros(0),
                 text=np.frombuffer(p.text, dtype=np.uint8), **{f"array_{k}": v for k, v in p.arrays.items()})


def read_part(path: str) -> ScanPart:
    """Read a part file; :class:`PartError` naming the file when it is not one."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            if not isinstance(header, dict) or header.get("format") != PART_FORMAT:
                raise PartError(f"{path}: a part file of another format version "
                                f"({header.get('format') if isinstance(header, dict) else '?'}; this is "
                                f"{PART_FORMAT}): write the parts again with this version")
            counts = z["sample_counts"]
            bounds = np.concatenate([[0], np.cumsum(counts)])
            index, pvalue = z["sample_index"], z["sample_pvalue"]
            samples = [(index[a:b], pvalue[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
            return ScanPart(header["fingerprint"], int(header["part"]), int(header["parts"]),
                            int(header["positions"]), int(header["first_record"]), z["hits"],
                            z["sequence_names"].tolist(), z["n_tests"], samples, header["settings"],
                            {int(k): float(v) for k, v in header.get("cuts", {}).items()},
                            int(header["stop_record"]), z["text"].tobytes(),
                            {k[6:]: z[k] for k in z.files if k.startswith("array_")})
    except PartError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, TypeError) as exc:
        if isinstance(exc, OSError) and not os.path.exists(path):
            raise
        raise PartError(f"{path}: not a part file written by 'exactpwm scan --part' ({exc})") from None


def check_parts(parts: list[ScanPart], labels: list[str] | None = None) -> list[ScanPart]:
    """The parts in order, after checking that they are exactly one run's: one fingerprint, each
    part once, none missing, each starting where the one before it stops; else :class:`PartError`
    naming the files (``labels``)."""
    if not parts:
        raise PartError("no parts to merge")
    labels = labels or [f"part {i}" for i in range(len(parts))]
    ref = parts[0]
    for p, label in zip(parts, labels):
        if p.fingerprint != ref.fingerprint or p.parts != ref.parts:
            raise PartError(f"{label} and {labels[0]} are parts of different runs (their motifs, options or "
                            "input differ): merge the parts of one run")
    seen: dict[int, str] = {}
    for p, label in zip(parts, labels):
        if p.part in seen:
            raise PartError(f"{label} and {seen[p.part]} are both part {p.part + 1} of {p.parts}")
        seen[p.part] = label
    missing = [str(i + 1) for i in range(ref.parts) if i not in seen]
    if missing:
        raise PartError(f"part{'s' if len(missing) > 1 else ''} {', '.join(missing[:10])}"
                        f"{' ...' if len(missing) > 10 else ''} of {ref.parts} missing")
    ordered = sorted(parts, key=lambda p: p.part)
    stop = 0
    for p in ordered:
        if p.first_record != stop:
            raise PartError(f"part {p.part + 1} starts at record {p.first_record + 1}, not {stop + 1}: the parts "
                            "do not follow each other")
        stop = p.stop_record
    return ordered


def merge_parts(parts: list[ScanPart], labels: list[str] | None = None) -> tuple[Collected, dict]:
    """The whole scan's hits, tests and p-value sample from all its parts (any order), and the
    run's settings (with ``"cuts"``: each motif's lowest cut over the parts); :class:`PartError`
    naming the files (``labels``) when the parts are not exactly one run's (:func:`check_parts`)."""
    ordered = check_parts(parts, labels)
    ref = ordered[0]
    names: list = []
    rows = []
    by_name = bool(ref.settings.get("chromosome_names"))  # hits on chromosomes: one entry per name, as one run
    index: dict = {}
    for p in ordered:
        h = p.hits.copy()
        if by_name:
            local = np.array([index.setdefault(nm, len(index)) for nm in p.sequence_names], dtype=np.int64)
            if h.size:
                h["sequence"] = local[h["sequence"]]
        else:
            h["sequence"] += len(names)
            names.extend(p.sequence_names)
        rows.append(h)
    if by_name:
        names = list(index)
    hits = np.concatenate(rows) if rows else ref.hits[:0]
    n_tests = np.sum([p.n_tests for p in ordered], axis=0).astype(np.int64)
    samples = PvalueSample.merge([p.samples for p in ordered], ref.positions)
    cuts: dict[int, float] = {}
    for p in ordered:
        for k, c in p.cuts.items():
            cuts[k] = min(c, cuts.get(k, c))
    return Collected(hits, n_tests, samples, names), {**ref.settings, "cuts": cuts}
