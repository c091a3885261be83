"""Huge gzipped FASTA files made cheaply, for tests and benchmarks of bounded memory.

A gzip file may hold several members, read back as one stream; compressing one random
block once and writing it many times gives a file of any size in seconds. Each copy of
the block holds ``site`` at the same offset, so the true hits are known.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import numpy as np

__all__ = ["write_repeated_fasta", "write_site_motif", "scan_with_peak_rss", "bed_sites"]

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


def write_site_motif(path, site: str) -> None:
    """A JASPAR count matrix that strongly prefers ``site`` (97 + 1 counts for its bases, 1 otherwise)."""
    from exactpwm import one_hot

    counts = (one_hot(site) * 97 + 1).astype(int)
    with open(os.fspath(path), "w") as f:
        f.write(">site s\n" + "".join(f"{b} [ {' '.join(map(str, row))} ]\n" for b, row in zip("ACGT", counts)))


_PEAK = ("import sys\nfrom exactpwm.app.cli import main\nrc = main(sys.argv[1:])\n"
         "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\nsys.exit(rc)")


def scan_with_peak_rss(argv: list[str], timeout: float | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``exactpwm <argv>`` in a child process; (the finished process, its peak RSS in MB).

    The child reports its own VmHWM (Linux): a child's ``ru_maxrss`` would also count the
    parent's pages mapped at fork.
    """
    run = subprocess.run([sys.executable, "-c", _PEAK, *argv], capture_output=True, text=True, timeout=timeout)
    peak = int(run.stdout.split()[-1]) / 1024 if run.returncode == 0 else float("nan")
    return run, peak


def bed_sites(path) -> set[tuple[str, int, str]]:
    """(chromosome, start, strand) of every hit in a BED file written by ``exactpwm scan``."""
    with open(os.fspath(path)) as f:
        rows = [ln.rstrip("\n").split("\t") for ln in f if ln.strip() and not ln.startswith(("#", "track"))]
    return {(r[0], int(r[1]), r[5]) for r in rows}
