"""Type stubs for the private compiled engine ``exactpwm._core`` (cpp/bindings)."""

from typing import Any, overload

import numpy as np
import numpy.typing as npt

def build_info() -> dict[str, Any]: ...
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
