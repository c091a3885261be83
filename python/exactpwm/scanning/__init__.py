"""Scanning sequences with motifs: plans, batches, hits, maxima, tracks, regions, FIMO's reporting,
variant effects on motifs, scans in parts (workflows), and Dask. Never imports ``exactpwm.interpret``.
Its public modules are listed in ``__all__``."""

from exactpwm._lazy import submodules

__all__ = ["attribution_hits", "batches", "certified", "distributed", "fimo", "hits", "maxima", "parts", "plan",
           "regions", "scan", "tracks", "variants"]

__getattr__ = submodules(__name__, __all__)  # each public module loads on first use
