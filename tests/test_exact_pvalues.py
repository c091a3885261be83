"""Exact p-values of real-valued matrices by meet in the middle: equal to enumerating every word
(ties included), to the grid DP on matrices already on the grid, and to the FIMO case the 2^-10
grid gets wrong (issue 31: MA0119.1, TCGCCGGAGGCCAG, exact p 9.99717e-05)."""

from __future__ import annotations

import numpy as np
import pytest
from exactpwm.core.exact_pvalues import MAX_WIDTH, exact_pvalues
from exactpwm.core.pvalues import ScoreDistribution, quantize


def enumerate_pvalues(M, scores, bg):
    """Every one of the 4^w words, its score summed left to right and its probability."""
    s, p = np.zeros(1), np.ones(1)
    for j in range(M.shape[1]):
        s = (s[:, None] + M[:, j]).reshape(-1)
        p = (p[:, None] * bg).reshape(-1)
    tol = 1e-9 * (1 + np.abs(M).max(axis=0).sum())
    return np.array([p[s >= q - tol].sum() for q in np.ravel(scores)])


@pytest.mark.parametrize("w", [1, 2, 5, 8, 9, 12])
def test_equal_to_enumerating_every_word(w):
    rng = np.random.default_rng(w)
    M = rng.normal(size=(4, w))
    M[:, 0] = np.round(M[:, 0] * 4) / 4  # some repeated values: ties between words
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    words = rng.integers(0, 4, (30, w))
    achieved = M[words, np.arange(w)].sum(axis=1)  # scores of real windows (ties with themselves)
    queries = np.concatenate([achieved, achieved + 1e-3, [-1e9, 1e9]])
    got = exact_pvalues(M, queries, bg)
    want = enumerate_pvalues(M, queries, bg)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    assert got[-2] == pytest.approx(1.0) and got[-1] == 0.0
    assert exact_pvalues(M, achieved.reshape(5, 6), bg).shape == (5, 6)


def test_equal_to_the_grid_on_a_matrix_on_the_grid():
    rng = np.random.default_rng(1)
    M = quantize(rng.normal(size=(4, 12)))
    d = ScoreDistribution(M)
    words = rng.integers(0, 4, (20, 12))
    s = M[words, np.arange(12)].sum(axis=1)
    np.testing.assert_allclose(exact_pvalues(M, s), d.pvalue(s), rtol=1e-9)


def test_the_fimo_window_the_grid_drops():
    pytest.importorskip("pyjaspar")
    from exactpwm.io.formats.jaspardb import load_jaspar
    from exactpwm.scanning.fimo import fimo_background
    from exactpwm.scanning.plan import score_matrices

    ms = load_jaspar(["MA0119.1"])
    bg = fimo_background(None, ms)
    bg = (bg + bg[::-1]) / 2  # FIMO's background on both strands: NRDB averaged with its complement
    M = score_matrices(ms, "logodds", background=bg, base=2.0, pseudocount=0.1, step=None)[0]
    s = M[["ACGT".index(c) for c in "TCGCCGGAGGCCAG"], np.arange(14)].sum()
    p = float(exact_pvalues(M, s, bg))
    assert p == pytest.approx(9.99717e-05, rel=1e-5) and p <= 1e-4
    grid = score_matrices(ms, "logodds", background=bg, base=2.0, pseudocount=0.1)[0]
    assert ScoreDistribution(grid, bg).pvalue(s) > 1e-4  # the grid's answer, off by 0.15%


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="up to width"):
        exact_pvalues(np.zeros((4, MAX_WIDTH + 1)), 0.0)
    with pytest.raises(ValueError, match="finite"):
        exact_pvalues(np.full((4, 3), np.nan), 0.0)
    with pytest.raises(ValueError, match="NaN"):
        exact_pvalues(np.zeros((4, 3)), np.nan)


@pytest.mark.parametrize("values", [1000, 7, 1])
def test_stable_argsort_is_numpys_stable_order(values):
    """The tail tables are summed in the stable order of the scores: the fast sort must give
    exactly that order (ties by index, -0.0 tied with 0.0), on every CPU."""
    from exactpwm.core.exact_pvalues import stable_argsort

    rng = np.random.default_rng(values)
    for n in (0, 1, 2, 17, 5000):
        x = rng.integers(-values, values + 1, size=n).astype(np.float64) / 8
        x[x == 0] = rng.choice([0.0, -0.0], size=int((x == 0).sum()))
        np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))
