"""Type stubs for the private compiled engine ``exactpwm._core`` (cpp/bindings)."""

from typing import Any, overload

import numpy as np
import numpy.typing as npt

# a parsed FASTA block: codes, heads, head_ends, cuts, bad, first_kept, nameless, names, newlines
_FastaBlock = tuple[
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    int,
    int,
    int,
    bytes | None,
    int,
]

def build_info() -> dict[str, Any]:
    """isa_compiled, isa_cpu, isa_best, openmp, compiler, sanitizers."""
@overload
def dense_scores(
    codes: npt.NDArray[np.uint8],
    table: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
    threads: int,
    isa: str,
) -> None: ...
@overload
def dense_scores(
    codes: npt.NDArray[np.uint8],
    table: npt.NDArray[np.float64],
    bias: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    threads: int,
    isa: str,
) -> None: ...
@overload
def max_scores(
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    table: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    out_max: npt.NDArray[np.float32],
    out_pos: npt.NDArray[np.int64],
    threads: int,
    isa: str,
    skip_n_windows: bool = ...,
) -> None: ...
@overload
def max_scores(
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    table: npt.NDArray[np.float64],
    bias: npt.NDArray[np.float64],
    out_max: npt.NDArray[np.float64],
    out_pos: npt.NDArray[np.int64],
    threads: int,
    isa: str,
    skip_n_windows: bool = ...,
) -> None: ...
@overload
def max_scores_pairs(
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    table: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    seqs: npt.NDArray[np.int64],
    kernels: npt.NDArray[np.int64],
    out_max: npt.NDArray[np.float32],
    out_pos: npt.NDArray[np.int64],
    threads: int,
    isa: str,
    skip_n_windows: bool = ...,
) -> None: ...
@overload
def max_scores_pairs(
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    table: npt.NDArray[np.float64],
    bias: npt.NDArray[np.float64],
    seqs: npt.NDArray[np.int64],
    kernels: npt.NDArray[np.int64],
    out_max: npt.NDArray[np.float64],
    out_pos: npt.NDArray[np.int64],
    threads: int,
    isa: str,
    skip_n_windows: bool = ...,
) -> None: ...
@overload
def threshold_hits(  # type: ignore[overload-overlap]
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    table: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    thresholds: npt.NDArray[np.float32],
    skip_n_windows: bool,
    threads: int,
    isa: str,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]: ...
@overload
def threshold_hits(
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    table: npt.NDArray[np.float64],
    bias: npt.NDArray[np.float64],
    thresholds: npt.NDArray[np.float64],
    skip_n_windows: bool,
    threads: int,
    isa: str,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float64]]: ...
def count_fragments(
    codes: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    kernels: npt.NDArray[np.int32],
    minus: npt.NDArray[np.int8],
    counts: npt.NDArray[np.int64],
    threads: int,
) -> None: ...
def window_letters(
    codes: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    minus: npt.NDArray[np.bool_],
    out: npt.NDArray[np.uint8],
    threads: int,
) -> None: ...
def hit_rows(
    motif: npt.NDArray[np.int32],
    pos: npt.NDArray[np.int64],
    minus: npt.NDArray[np.bool_],
    score: npt.NDArray[np.float64],
    pvalue: npt.NDArray[np.float64],
    piece_offsets: npt.NDArray[np.int64],
    piece_records: npt.NDArray[np.int64],
    piece_starts: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    codes: npt.NDArray[np.uint8],
    rna: bool,
    rows: npt.NDArray[np.void],
    threads: int,
) -> None: ...
def window_sums(
    codes: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    which: npt.NDArray[np.int64],
    tables: npt.NDArray[np.float64],
    table_start: npt.NDArray[np.int64],
    out: npt.NDArray[np.float64],
    threads: int,
) -> None: ...
def threshold_counts(
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    table: npt.NDArray[np.floating],
    bias: npt.NDArray[np.floating],
    thresholds: npt.NDArray[np.floating],
    target: npt.NDArray[np.int32],
    minus: npt.NDArray[np.int8],
    counts: npt.NDArray[np.int64],
    n_hits: npt.NDArray[np.int64],
    threads: int,
    isa: str,
) -> None: ...
def null_survival(
    shifts: npt.NDArray[np.int64],
    background: npt.NDArray[np.float64],
    floor: int,
    sf: npt.NDArray[np.float64],
    isa: str = ...,
) -> None:
    """Survival function of a window score's null distribution from grid index ``floor`` up, written into sf."""
def null_survivals(
    shifts: npt.NDArray[np.int64],
    col_start: npt.NDArray[np.int64],
    background: npt.NDArray[np.float64],
    floors: npt.NDArray[np.int64],
    sf_start: npt.NDArray[np.int64],
    sf: npt.NDArray[np.float64],
    threads: int,
    isa: str = ...,
) -> None:
    """null_survival of many distributions (shift rows col_start[k]..col_start[k + 1]) into sf[sf_start[k]..]."""
def tail_tables(
    matrices: npt.NDArray[np.float64],
    col_start: npt.NDArray[np.int64],
    background: npt.NDArray[np.float64],
    cols_a: npt.NDArray[np.int64],
    rest_a: npt.NDArray[np.float64],
    a_start: npt.NDArray[np.int64],
    need_a: npt.NDArray[np.float64],
    cols_b: npt.NDArray[np.int64],
    rest_b: npt.NDArray[np.float64],
    b_start: npt.NDArray[np.int64],
    need_b: npt.NDArray[np.float64],
    lo: npt.NDArray[np.float64],
    tol: npt.NDArray[np.float64],
    ceilings: npt.NDArray[np.float64],
    max_words: npt.NDArray[np.int64],
    range_start: npt.NDArray[np.int64],
    threads: int,
) -> tuple[npt.NDArray[np.int64], list[npt.NDArray[np.float64]], list[npt.NDArray[np.float64]]]:
    """tail_table of every job (concatenated arguments with (n + 1,) offsets), on threads threads."""
def format_hits(
    rows: npt.NDArray[Any],
    sequence: npt.NDArray[np.int64],
    format: str,
    motif_names: list[str],
    alt_names: list[str],
    sequence_names: list[str],
    motif_gff: list[str],
    alt_gff: list[str],
    sequence_gff: list[str],
    first_id: int,
    threads: int = ...,
) -> list[bytes]:
    """Hit rows (hit_dtype) as TSV/BED/GFF lines, in parts (the text is their concatenation);
    sequence: each row's index into sequence_names."""
def pack_records(
    codes: list[npt.NDArray[np.uint8]], lengths: list[npt.NDArray[np.int64]], separator: int, out: npt.NDArray[np.uint8]
) -> None:
    """Records packed for a scan, each followed by the separator byte: run r's records are codes[r],
    their lengths lengths[r]; written to out, run after run."""
class FastaReadAhead:
    """A plain FASTA file read and parsed as one block on a thread of its own (see
    exactpwm._read_ahead and fasta_text.hpp)."""
    def __init__(self, path: str | bytes, table: bytes, letters: bool, limit: int) -> None: ...
    def result(self) -> tuple[_FastaBlock, tuple[int, int, int, int], bytes] | None:
        """((codes, heads, head_ends, cuts, bad, first_kept, nameless, names, newlines), (st_dev,
        st_ino, st_size, st_mtime_ns), the text's first 6 bytes); None when the file was not read."""

def parse_fasta_block(
    text: bytes, continues: bool, table: npt.NDArray[np.uint8], letters: bool
) -> _FastaBlock:
    """A block of whole FASTA lines -> (codes uint8, heads int64, head_ends int64, cuts int64, bad,
    first_kept, nameless, names bytes or None, newlines); see exactpwm.io.fasta and fasta_text.hpp."""
def format_tomtom(
    rows: npt.NDArray[Any],
    query_names: list[str],
    target_names: list[str],
    query_consensus: list[str],
    target_consensus: list[str],
    threads: int,
) -> bytes:
    """Tomtom's TSV lines (tomtom -text) of its table's rows."""
def join_columns(
    texts: list[npt.NDArray[np.uint8]], offsets: list[npt.NDArray[np.int64]], codes: list[npt.NDArray[np.int64]]
) -> bytes: ...
def format_repr(x: float) -> str:
    """repr(float(x)) as the engine writes it (for tests)."""
def format_g3(x: float) -> str:
    """format(x, '.3g') as the engine writes it (for tests)."""
def tomtom_compare(
    query_cols: npt.NDArray[np.float64],
    query_start: npt.NDArray[np.int64],
    query_nsites: npt.NDArray[np.float64],
    db_cols: npt.NDArray[np.float64],
    db_nsites: npt.NDArray[np.float64],
    entry_start: npt.NDArray[np.int64],
    width_index: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    distance: int,
    background: npt.NDArray[np.float64],
    orientations: int,
    min_overlap: int,
    pvalue: npt.NDArray[np.float64],
    offset: npt.NDArray[np.int64],
    overlap: npt.NDArray[np.int64],
    threads: int,
    isa: str,
) -> None: ...
def tomtom_compare_best(
    query_cols: npt.NDArray[np.float64],
    query_start: npt.NDArray[np.int64],
    query_nsites: npt.NDArray[np.float64],
    db_cols: npt.NDArray[np.float64],
    db_nsites: npt.NDArray[np.float64],
    entry_start: npt.NDArray[np.int64],
    width_index: npt.NDArray[np.int64],
    widths: npt.NDArray[np.int64],
    distance: int,
    background: npt.NDArray[np.float64],
    orientations: int,
    min_overlap: int,
    best_pvalue: npt.NDArray[np.float64],
    best_offset: npt.NDArray[np.int64],
    best_overlap: npt.NDArray[np.int64],
    strand: npt.NDArray[np.uint8],
    threads: int,
    isa: str,
) -> None:
    """tomtom_compare, keeping each target's better orientation in (Q, T) arrays (strand b'+' or b'-')."""
def tomtom_ed_grid(mode: int) -> int:
    """How the AVX-512 build puts ed's scores on the grid (same results): 0 auto, 1 sqrt, 2 estimates."""
def tomtom_release() -> None:
    """Free the scratch tomtom_compare keeps between calls."""
def tomtom_matrices(
    pvalue: npt.NDArray[np.float64],
    offset: npt.NDArray[np.int64],
    overlap: npt.NDArray[np.int64],
    orientations: int,
    best_pvalue: npt.NDArray[np.float64],
    best_offset: npt.NDArray[np.int64],
    best_overlap: npt.NDArray[np.int64],
    strand: npt.NDArray[np.uint8],
    threads: int,
) -> None:
    """Each target's better orientation into (Q, T) arrays (strand b'+' or b'-')."""
def tomtom_table(
    pvalue: npt.NDArray[np.float64],
    offset: npt.NDArray[np.int64],
    overlap: npt.NDArray[np.int64],
    orientations: int,
    name_rank: npt.NDArray[np.int64],
    rows: npt.NDArray[np.void],
    fields: list[int],
    first_query: int,
    threads: int,
) -> None:
    """Tomtom's table into rows (Q * T,) records; fields: byte offsets of query, target, offset,
    pvalue, evalue, qvalue, overlap and strand."""

def dinucleotide_shuffle(
    codes: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    n_shuffles: int,
    seed: int,
    out: npt.NDArray[np.uint8],
    threads: int,
) -> None: ...
def seqlet_jaccard(
    a_fwd: npt.NDArray[np.int16],
    a_rev: npt.NDArray[np.int16],
    b: npt.NDArray[np.int16],
    neighbors: npt.NDArray[np.int32],
    max_shift: int,
    best: npt.NDArray[np.float32],
    offset: npt.NDArray[np.int32],
    strand: npt.NDArray[np.uint8],
    threads: int,
    isa: str,
) -> None: ...
