"""Scanning sequences with motifs: plans, batches, hits, maxima, tracks, writers and Dask.
Never imports ``exactpwm.interpret``."""
