"""Type stubs for the private compiled engine ``exactpwm._core`` (cpp/bindings)."""

from typing import Any, overload

import numpy as np
import numpy.typing as npt

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
def threshold_hits(
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
