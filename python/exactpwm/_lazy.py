"""Modules loaded on first use: a package's ``__getattr__`` (PEP 562) for its public modules, so
``exactpwm.interpret.heuristic`` works after ``import exactpwm`` without every module being
imported up front (the command line starts faster)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["submodules"]


def submodules(package: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` importing ``package.name`` for each of ``names`` when first asked."""
    known = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name in known:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
