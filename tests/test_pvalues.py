import itertools

import numpy as np
import pytest
from conftest import BACKENDS
from exactpwm.core import matrices
from exactpwm.core.pvalues import ScoreDistribution, benjamini_hochberg, quantize
from motifs import jaspar_pwm


def all_window_scores(S):
    L = S.shape[1]
    words = np.array(list(itertools.product(range(4), repeat=L)))
    return S[words, np.arange(L)].sum(axis=1), words


@pytest.mark.parametrize("L", [1, 2, 4, 6])
@pytest.mark.parametrize("background", [None, [0.3, 0.2, 0.2, 0.3]])
def test_dp_equals_exhaustive_enumeration(L, background):
    rng = np.random.default_rng(L)
    P = rng.dirichlet(np.ones(4), size=L).T
    S = quantize(matrices.log_odds(P, background))
    d = ScoreDistribution(S, background)
    scores, words = all_window_scores(S)
    bg = np.full(4, 0.25) if background is None else np.array(background)
    prob = bg[words].prod(axis=1)
    for t in np.unique(scores):
        assert d.pvalue(t) == pytest.approx(prob[scores >= t].sum(), rel=1e-12, abs=1e-300)
    assert d.pvalue(scores.max()) == pytest.approx(prob[scores == scores.max()].sum())
    assert d.pvalue(scores.min() - 1) == 1.0 and d.pvalue(scores.max() + 1) == 0.0


def test_pvalues_monotone_and_in_unit_interval():
    S = quantize(matrices.log_odds(jaspar_pwm()))
    d = ScoreDistribution(S)
    grid = np.linspace(d.min_score - 1, d.max_score + 1, 5000)
    p = d.pvalue(grid)
    assert ((p >= 0) & (p <= 1)).all()
    assert (np.diff(p) <= 0).all()


@pytest.mark.parametrize("p", [1e-2, 1e-4, 1e-6])
def test_threshold_and_pvalue_agree(p):
    S = quantize(matrices.log_odds(jaspar_pwm()))
    d = ScoreDistribution(S)
    t = d.threshold(p)
    assert d.pvalue(t + 1e-9) <= p
    assert d.pvalue(t - d.step) > p
    assert d.threshold(0.0) == np.inf or d.pvalue(d.threshold(0.0)) == 0


def test_benjamini_hochberg():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert (benjamini_hochberg(p, n_tests=1000) >= q).all()


def test_bad_inputs():
    with pytest.raises(ValueError, match="positive number"):
        ScoreDistribution(np.zeros((4, 3)), step=0)
    with pytest.raises(ValueError, match=r"\(4, L\)"):
        ScoreDistribution(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="background"):
        ScoreDistribution(np.zeros((4, 3)), background=[0.5, 0.5, 0, 0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ScoreDistribution(np.zeros((4, 3))).threshold(2)


def test_pvalue_table_matches_each_distribution():
    from exactpwm.core.pvalues import PvalueTable

    rng = np.random.default_rng(3)
    mats = [quantize(matrices.log_odds(rng.dirichlet(np.ones(4), size=L).T)) for L in (3, 7, 12)]
    dists = [ScoreDistribution(m) for m in mats]
    motif = rng.integers(0, 3, size=500)
    scores = rng.uniform(-30, 30, size=500)
    expected = np.array([dists[k].pvalue(sc) for k, sc in zip(motif, scores)])
    for floors in (None, [0.0, 2.5, np.inf], [-np.inf, 100.0, 3.0]):
        np.testing.assert_array_equal(PvalueTable(dists, floors).pvalue(motif, scores), expected)


def test_compiled_and_numpy_null_distributions_agree_bit_for_bit():
    """The engine's DP rounds every product and sum as the numpy fallback does: same p-values,
    hence the same score thresholds, with or without the compiled core."""
    from exactpwm.core.backends import backends
    from exactpwm.core.pvalues import _grid, _null_survival

    if not backends()["cpp"]["available"]:
        pytest.skip("the compiled core is not built")
    rng = np.random.default_rng(3)
    for L in (1, 2, 7, 15):
        M = quantize(matrices.log_odds(matrices.counts_to_pwm(rng.random((4, L)) + 0.01)))
        q = _grid(M, 2.0 ** -10).T
        cols = q - q.min(axis=1, keepdims=True)
        for bg in (np.full(4, 0.25), rng.dirichlet(np.ones(4))):
            ref = _null_survival(cols, bg, "numba")
            for name in BACKENDS:  # every instruction set's clone of the compiled loop
                np.testing.assert_array_equal(_null_survival(cols, bg, name), ref)
    with pytest.raises(ValueError, match=">= 0"):
        _null_survival(np.array([[0, 1, -1, 2]]), np.full(4, 0.25), "cpp")


def test_storey_pi0_estimates_the_null_fraction():
    from exactpwm.core.pvalues import storey_pi0

    rng = np.random.default_rng(0)
    null = rng.random(9000)
    signal = rng.random(1000) * 1e-4
    assert storey_pi0(null) == pytest.approx(1.0, abs=0.05)
    assert storey_pi0(np.concatenate([null, signal])) == pytest.approx(0.9, abs=0.05)
    assert storey_pi0(null[:100]) == 1.0  # too few values to estimate
    q = benjamini_hochberg([0.001, 0.01], 1000, pi0=0.5)
    np.testing.assert_allclose(q, [0.5, 1.0])  # 0.5 * 0.01 * 1000 / 2 = 2.5, capped at 1


def test_tail_from_a_floor_equals_the_whole_distribution_bit_for_bit():
    """A distribution asked only from a floor up (a scan's score thresholds) computes the partial
    sums that can reach it: the same numbers, on every engine, and the rest when asked below it."""
    from exactpwm.core.pvalues import _grid, _null_survival

    names = BACKENDS
    rng = np.random.default_rng(5)
    for L in (1, 3, 9, 16):
        M = matrices.log_odds(matrices.counts_to_pwm(rng.random((4, L)) + 0.01))
        q = _grid(M, 1e-3).T
        cols = q - q.min(axis=1, keepdims=True)
        size = int(cols.max(axis=1).sum()) + 1
        bg = rng.dirichlet(np.ones(4) * 5)
        whole = _null_survival(cols, bg, "numba")
        for floor in (0, 1, size // 3, size - 2, size - 1, size):
            for name in names:
                np.testing.assert_array_equal(_null_survival(cols, bg, name, floor=floor), whole[floor:])
        with pytest.raises(ValueError, match="floor"):
            _null_survival(cols, bg, names[-1], floor=size + 1)
        full = ScoreDistribution(M, bg, 1e-3)
        lo, hi = full.min_score, full.max_score
        scores = np.linspace(lo - 1, hi + 1, 301)
        for t in (-np.inf, lo, (lo + hi) / 2, hi - 0.5, hi, hi + 3, np.inf, np.nan):
            tail = ScoreDistribution(M, bg, 1e-3, floor=t)
            above = scores[scores >= t] if np.isfinite(t) else scores
            np.testing.assert_array_equal(tail.pvalue(above), full.pvalue(above))
            for p in (1e-1, 1e-3, 1e-6):  # may need the part below the floor
                assert ScoreDistribution(M, bg, 1e-3, floor=t).threshold(p) == full.threshold(p)
            np.testing.assert_array_equal(tail.pvalue(scores), full.pvalue(scores))  # computes the rest
            assert (tail.min_score, tail.max_score) == (lo, hi)


def test_many_distributions_in_one_call_equal_each_made_alone():
    """score_distributions makes every matrix's tail in one engine call (in parallel): the same
    numbers, bit for bit, as each ScoreDistribution alone, on every engine and for any floor; a bad
    matrix among them is named."""
    from exactpwm._engine import engine
    from exactpwm.core.pvalues import score_distributions

    rng = np.random.default_rng(8)
    mats = [matrices.log_odds(matrices.counts_to_pwm(rng.random((4, L)) + 0.01)) for L in (1, 2, 5, 9, 14, 3, 20)]
    bg = rng.dirichlet(np.ones(4) * 5)
    floors = [None, -np.inf, np.inf, np.nan, 0.0, 3.7, -2.5]
    for threads in (1, 3):
        made = score_distributions(mats, bg, 1e-3, threads, floors=floors)
        for M, f, d in zip(mats, floors, made):
            alone = ScoreDistribution(M, bg, 1e-3, floor=f)
            assert (d._low, d._size, d._tail[0]) == (alone._low, alone._size, alone._tail[0])
            np.testing.assert_array_equal(d._tail[1], alone._tail[1])
            np.testing.assert_array_equal(d._cols, alone._cols)
            s = np.linspace(d.min_score - 1, d.max_score + 1, 97)
            np.testing.assert_array_equal(d.pvalue(s), alone.pvalue(s))
            assert d.threshold(1e-3) == alone.threshold(1e-3)
    cols = [np.ascontiguousarray(ScoreDistribution(M, bg, 1e-3)._cols) for M in mats]
    start = np.concatenate([[0], np.cumsum([c.shape[0] for c in cols])]).astype(np.int64)
    lows = np.array([1, 0, 5, 40, 0, 2, 100], np.int64)
    names = BACKENDS
    results = [engine(n).null_survivals(np.concatenate(cols), start, bg, lows, 2) for n in names]
    for sf, sf_start in results:
        np.testing.assert_array_equal(sf, results[0][0])
        np.testing.assert_array_equal(sf_start, results[0][1])
    bad = [mats[0], np.full((4, 3), np.nan), mats[1]]
    with pytest.raises(ValueError, match="motif 1"):
        score_distributions(bad, bg, 1e-3)
    with pytest.raises(ValueError, match="'third'"):
        score_distributions([mats[0], mats[1], np.ones((3, 2))], bg, 1e-3, labels=["a", "b", "'third'"])
    assert score_distributions([], bg, 1e-3) == []


def test_distributions_for_a_pvalue_start_below_the_threshold_and_the_certified_band():
    """A plan at a p-value threshold computes each null distribution only from a proven lower bound
    of its threshold (less room for a certified scan's band): the same thresholds and tails, bit
    for bit, as whole distributions, with no tail recomputed, for sharp, flat, zero-count and
    one-column motifs and p-values from 1 down to beyond every word."""
    from exactpwm.core.pvalues import score_distributions
    from exactpwm.scanning.plan import plan_scan

    rng = np.random.default_rng(31)
    mats = [matrices.log_odds(matrices.counts_to_pwm(rng.random((4, L)) ** 3 + 0.001)) for L in (1, 2, 5, 9, 14, 20)]
    mats += [np.zeros((4, 6)), np.log2(np.maximum(jaspar_pwm("MA0139.1"), 1e-12) / 0.25)]  # flat; zero counts
    bg = rng.dirichlet(np.ones(4) * 5)
    for step in (2.0 ** -10, 1e-3):
        for p in (1.0, 0.3, 1e-4, 1e-9, 1e-30):
            whole = score_distributions(mats, bg, step)
            tails = score_distributions(mats, bg, step, 1, pvalue=p)
            for M, w, d in zip(mats, whole, tails):
                t = w.threshold(p)
                start, sf = d._tail
                np.testing.assert_array_equal(sf, w._tail[1][start:])
                assert d.threshold(p) == t
                assert d._tail[0] == start  # found in the tail: nothing recomputed
                if np.isfinite(t):  # the band a certified scan reads: (L + 1) steps below the threshold
                    assert start <= max(0.0, (t / step - d._low) - (M.shape[1] + 1) + 0.5)
    for name in ("MA0139.1", "MA0035.4"):
        plan = plan_scan([jaspar_pwm(name)], pvalue=1e-4, pseudocount=0.0)
        (d,) = plan.dists
        assert d._tail[0] > 0
        assert np.floor(plan.certified.scan_thresholds[0] / plan.step + 0.5) - d._low >= d._tail[0]
    short = jaspar_pwm("MA0139.1")[:, 8:12]  # four columns: no word reaches p <= 1e-4
    with pytest.warns(UserWarning, match="never reach"):
        plan = plan_scan([short], pvalue=1e-4)
    (d,) = plan.dists
    assert plan.thresholds[0] == np.inf and d._tail[0] > 0  # its p-value table holds nothing: no tail made
    top = np.array([d.max_score])
    whole = ScoreDistribution(plan.matrices[0], None, plan.step)
    np.testing.assert_array_equal(plan.pvalues.pvalue(np.array([0]), top), whole.pvalue(top))


def test_a_plans_pvalue_table_reads_the_distributions_in_place():
    """A scan plan's p-value table reads the survival functions score_distributions made (one array)
    without copying them, and answers as each distribution does, above and below its floors."""
    from exactpwm.scanning.plan import plan_scan

    rng = np.random.default_rng(12)
    pwms = [rng.dirichlet(np.ones(4) * 0.3, size=L).T for L in (7, 8, 11, 15, 9)]
    plan = plan_scan(pwms, pvalue=1e-3)
    assert all(np.shares_memory(plan.pvalues.sf, d._tail[1]) for d in plan.dists if d._tail[1].size)
    motif = rng.integers(0, len(pwms), size=400)
    scores = np.array([rng.uniform(plan.dists[k].min_score, plan.dists[k].max_score + 1) for k in motif])
    expected = np.array([plan.dists[k].pvalue(np.array([s]))[0] for k, s in zip(motif, scores)])
    np.testing.assert_array_equal(plan.pvalues.pvalue(motif, scores), expected)
