"""Sequences longer than 2**31 bases (opt-in: EXACTPWM_BIG_TESTS=1; needs ~3 GB of memory)."""

import os

import numpy as np
import pytest

import exactpwm

pytestmark = pytest.mark.skipif(os.environ.get("EXACTPWM_BIG_TESTS") != "1",
                                reason="set EXACTPWM_BIG_TESTS=1 to run the >2**31-base tests")

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
    assert best.position[0, 0] == pos
    hits = exactpwm.threshold_hits([codes], W, float(best.score[0, 0]), skip_n=True)
    assert hits.start.tolist() == [pos]


def test_scan_positions_past_2_31(genome):
    codes, pos = genome
    pwm = exactpwm.one_hot(SITE, np.float64) * 0.97 + 0.0075
    table = exactpwm.scan([pwm], {"big": codes}, pvalue=1e-9)
    assert pos in table.rows["start"].tolist()
    assert table.rows["start"].max() < codes.size
