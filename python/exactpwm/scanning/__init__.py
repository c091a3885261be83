"""Scanning sequences with motifs: plans, batches, hits, maxima, tracks, regions, FIMO's reporting,
variant effects on motifs, and Dask. Never imports ``exactpwm.interpret``. Its public modules are
listed in ``__all__``."""

__all__ = ["attribution_hits", "batches", "certified", "distributed", "fimo", "hits", "maxima", "plan", "regions",
           "scan", "tracks", "variants"]
