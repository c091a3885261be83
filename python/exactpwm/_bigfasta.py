"""Huge gzipped FASTA files made cheaply, for tests and benchmarks of bounded memory.

A gzip file may hold several members, read back as one stream; compressing one random
block once and writing it many times gives a file of any size in seconds. Each copy of
the block holds ``site`` at the same offset, so the true hits are known.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

__all__ = ["write_repeated_fasta"]

LINE = 60


def write_repeated_fasta(path, records: list[tuple[str, int]], *, site: str, block_lines: int = 1 << 20,
                         seed: int = 0) -> dict[str, list[int]]:
    """Write a gzipped FASTA whose record ``name`` is ``copies`` repeats of one random block.

    records : (name, copies) pairs; each record is copies * block_lines * 60 bases
    site : planted once per block, on the forward strand, 1000 bases before the block's end
    returns : name -> 0-based starts of the planted sites
    """
    rng = np.random.default_rng(seed)
    n = block_lines * LINE
    seq = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, n)]
    at = n - 1000
    seq[at:at + len(site)] = np.frombuffer(site.encode(), np.uint8)
    text = np.full((block_lines, LINE + 1), ord("\n"), np.uint8)
    text[:, :LINE] = seq.reshape(block_lines, LINE)
    block = gzip.compress(text.tobytes(), compresslevel=1)
    sites = {}
    with open(os.fspath(path), "wb") as f:
        for name, copies in records:
            f.write(gzip.compress(f">{name}\n".encode()))
            for _ in range(copies):
                f.write(block)
            sites[name] = [c * n + at for c in range(copies)]
    return sites
