"""The shared core: sequences, the kernel <-> PWM transform, matrices, motifs, scoring, p-values.

Imports only the private engine layer (``exactpwm._engine``) and numpy. Its public modules are
listed in ``__all__``; each lists its public names in its own ``__all__``.
"""

from exactpwm._lazy import submodules

__all__ = ["alphabet", "backends", "errors", "exact_pvalues", "haplotypes", "layout", "matrices", "motif", "pvalues",
           "scoring", "sequence", "shuffle", "transform", "types"]

__getattr__ = submodules(__name__, __all__)  # each public module loads on first use
