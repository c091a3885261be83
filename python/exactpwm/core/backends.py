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

from exactpwm.core._checks import available_cores

__all__ = ["BACKENDS", "backends", "resolve_backend"]

from exactpwm._engine import BACKENDS, core_info, engine


def backends() -> dict[str, Any]:
    """What was built, what this CPU supports, and what ``backend="auto"`` picks.

    Returns a dict with keys ``cpp`` (available, isa_compiled, isa_cpu, isa_best,
    openmp, compiler, sanitizers, error), ``numba`` (available, version), ``cores`` and ``auto``.
    """
    cpp = core_info()
    numba_ok = importlib.util.find_spec("numba") is not None
    nb: dict[str, Any] = {"available": numba_ok}
    if numba_ok:
        from importlib.metadata import version

        nb["version"] = version("numba")
    auto = "cpp" if cpp["available"] else ("numba" if numba_ok else None)
    return {"cpp": cpp, "numba": nb, "cores": available_cores(), "auto": auto}


def resolve_backend(backend: str) -> tuple[str, str]:
    """Map a ``backend=`` value to (engine name 'cpp' or 'numba', isa); errors name the reason."""
    eng = engine(backend)
    return eng.name, eng.isa
