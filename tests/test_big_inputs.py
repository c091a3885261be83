"""Sequences longer than 2**31 bases: 64-bit positions, bounded memory when streamed.

These run when the machine has the memory (about 6 GB available and 1 GB of temporary
disk); EXACTPWM_BIG_TESTS=0 skips them, =1 runs them regardless.
"""

import os

import exactpwm
import numpy as np
import pytest


def _available_gb() -> float:
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) / 2**20
    except (OSError, KeyError, ValueError):
        return 0.0


_WANT = os.environ.get("EXACTPWM_BIG_TESTS")
pytestmark = pytest.mark.skipif(_WANT == "0" or (_WANT != "1" and _available_gb() < 6),
                                reason="needs ~6 GB of free memory (EXACTPWM_BIG_TESTS=1 forces, =0 skips)")

SITE = "GATTACAGATTACAGG"


@pytest.fixture(scope="module")
def genome():
    n = 2**31 + 4096
    codes = np.full(n, 2, dtype=np.uint8)  # all G: scores low for the site's kernel
    codes[: 1 << 20] = np.random.default_rng(0).integers(0, 4, size=1 << 20, dtype=np.uint8)
    pos = 2**31 + 1000
    codes[pos:pos + len(SITE)] = exactpwm.encode(SITE)
    codes[-2000:-1900] = 4
    return codes, pos


def test_engine_positions_past_2_31(genome):
    codes, pos = genome
    W, _ = exactpwm.pwm_to_kernel(exactpwm.one_hot(SITE, np.float64) * 0.97 + 0.0075)
    W = W.astype(np.float32)
    best = exactpwm.max_scores([codes], W, skip_n=True)  # N scores 0: above every base of this kernel
    assert best.start[0, 0] == pos
    hits = exactpwm.threshold_hits([codes], W, float(best.score[0, 0]), skip_n=True)
    assert hits.start.tolist() == [pos]


def test_scan_positions_past_2_31(genome):
    codes, pos = genome
    pwm = exactpwm.one_hot(SITE, np.float64) * 0.97 + 0.0075
    table = exactpwm.scan([pwm], {"big": codes}, pvalue=1e-9)
    assert pos in table.rows["start"].tolist()
    assert table.rows["start"].max() < codes.size


SITE24 = "GATTACAGGCCTTAACGTTGCATG"


def test_streamed_gzip_record_past_2_31_at_bounded_memory(tmp_path):
    """The CLI scans a 2.2 Gbp record of a gzipped FASTA: every planted site found, the
    ones past 2**31 at their 64-bit positions, and peak memory far below the record size."""
    from bigfasta import bed_sites, scan_with_peak_rss, write_repeated_fasta, write_site_motif

    fa = tmp_path / "big.fa.gz"
    sites = write_repeated_fasta(fa, [("chr1", 35), ("chr2", 1)], site=SITE24)
    assert sites["chr1"][-1] > 2**31
    write_site_motif(tmp_path / "site.jaspar", SITE24)
    out = tmp_path / "hits.bed"
    run, peak_mb = scan_with_peak_rss(["scan", str(tmp_path / "site.jaspar"), str(fa), "--format", "bed",
                                       "--thresh", "1e-13", "-o", str(out), "-q", "--chunk-size", str(1 << 23)],
                                      timeout=900)
    assert run.returncode == 0, run.stderr
    assert bed_sites(out) == {(name, s, "+") for name, starts in sites.items() for s in starts}
    assert peak_mb < 512, f"peak RSS {peak_mb:.0f} MB while streaming a 2.2 Gbp record"
