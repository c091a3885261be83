"""Which engines exist and which one runs a call.

Backends, chosen per call with ``backend=``:

* ``"auto"`` (default): the compiled core if it imported, else numba;
* ``"cpp"``: the compiled core with the best instruction set this CPU supports;
* ``"cpp-scalar"``, ``"cpp-avx2"``, ``"cpp-avx512"``: the compiled core forced to one
  instruction set (avx512 = AVX-512 F, BW and VBMI: the float32 block kernel and the
  threshold filter; AVX2 kernels for the rest);
* ``"numba"``: the numba-jitted fallback.

Every backend sums window scores in the same order, so they return the same
numbers (bit for bit in practice; tests allow float tolerance).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from ._checks import available_cores

__all__ = ["BACKENDS", "backends", "resolve_backend"]

BACKENDS = ("auto", "cpp", "cpp-scalar", "cpp-avx2", "cpp-avx512", "numba")

try:
    from . import _core  # type: ignore[attr-defined]

    _CORE_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - exercised where the build is missing
    _core = None
    _CORE_ERROR = str(exc)


def backends() -> dict[str, Any]:
    """What was built, what this CPU supports, and what ``backend="auto"`` picks.

    Returns a dict with keys ``cpp`` (available, isa_compiled, isa_cpu, isa_best,
    openmp, compiler, sanitizers, error), ``numba`` (available, version), ``cores`` and ``auto``.
    """
    cpp: dict[str, Any] = {"available": _core is not None, "error": _CORE_ERROR}
    if _core is not None:
        cpp.update(_core.build_info())
    numba_ok = importlib.util.find_spec("numba") is not None
    nb: dict[str, Any] = {"available": numba_ok}
    if numba_ok:
        from importlib.metadata import version

        nb["version"] = version("numba")
    auto = "cpp" if _core is not None else ("numba" if numba_ok else None)
    return {"cpp": cpp, "numba": nb, "cores": available_cores(), "auto": auto}


def resolve_backend(backend: str) -> tuple[str, str]:
    """Map a ``backend=`` value to (engine, isa): engine 'cpp' or 'numba', isa for cpp."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if backend == "numba":
        if importlib.util.find_spec("numba") is None:
            raise RuntimeError("backend='numba' needs the numba package (pip install numba)")
        return "numba", ""
    if _core is None:
        if backend == "auto":
            return resolve_backend("numba")
        raise RuntimeError(f"backend={backend!r}: the compiled core is not available ({_CORE_ERROR})")
    if backend in ("auto", "cpp"):
        return "cpp", "auto"
    isa = backend.split("-", 1)[1]
    info = _core.build_info()
    if isa not in info["isa_compiled"]:
        raise ValueError(f"backend={backend!r}: {isa} kernels were not compiled into this build")
    if isa not in info["isa_cpu"]:
        raise ValueError(f"backend={backend!r}: this CPU does not support {isa}")
    return "cpp", isa
