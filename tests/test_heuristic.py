"""Heuristic baselines: recover planted motifs, handle strands, independent of batching and threads."""

import exactpwm
import numpy as np
import pytest
from conftest import BACKENDS
from exactpwm.app import synthetic
from motifs import jaspar_pwm, log_odds_kernel


def corr(a, b):
    return np.corrcoef(np.ravel(a), np.ravel(b))[0, 1]


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(5)
    P = jaspar_pwm()
    X = synthetic.random_codes(rng, 3000, 200)
    synthetic.plant_motif(rng, X, P, fraction=0.5, strand="both")
    X[rng.random(X.shape) < 0.002] = 4  # a few N
    return P, X


@pytest.mark.parametrize("method", exactpwm.interpret.heuristic.METHODS)
def test_recovers_planted_motif(planted, method):
    P, X = planted
    W = log_odds_kernel(P)
    r = exactpwm.heuristic_pwm(W, X, method, strand="both")
    assert r.pwm.shape == (1, 4, P.shape[1])
    np.testing.assert_allclose(r.pwm.sum(axis=1), 1.0)
    assert r.n_fragments[0] > 500
    assert corr(r.pwm[0], P) > 0.95
    # counts are the evidence: each column holds at most n_fragments bases (N not counted)
    assert (r.counts.sum(axis=1) <= r.n_fragments[:, None]).all()


def test_deepbind_minus_strand_fragments_are_reverse_complemented():
    rng = np.random.default_rng(6)
    P = jaspar_pwm()
    X = synthetic.random_codes(rng, 2000, 150)
    rows = np.arange(2000)
    sites = synthetic.sample_sites(rng, P, 2000)
    X[rows[:, None], 40 + np.arange(P.shape[1])] = exactpwm.reverse_complement(sites)  # minus strand only
    W = log_odds_kernel(P)
    both = exactpwm.heuristic_pwm(W, X, "deepbind", strand="both")
    assert corr(both.pwm[0], P) > 0.97
    best = exactpwm.max_scores(X, W, strand="both")
    assert (best.strand == -1).mean() > 0.95
    plus_only = exactpwm.heuristic_pwm(W, X, "deepbind", strand="+")
    assert corr(plus_only.pwm[0], P) < corr(both.pwm[0], P)


def test_deepbind_threshold_and_koo_eddy_variant(planted):
    P, X = planted
    W = log_odds_kernel(P)
    all_seqs = exactpwm.heuristic_pwm(W, X, "deepbind", threshold=-np.inf)
    assert all_seqs.n_fragments[0] == len(X)
    strict = exactpwm.heuristic_pwm(W, X, "deepbind", threshold=0.7 * exactpwm.max_possible_score(W))
    assert 0 < strict.n_fragments[0] < all_seqs.n_fragments[0]


@pytest.mark.slow
@pytest.mark.parametrize("method", exactpwm.interpret.heuristic.METHODS)
def test_independent_of_batch_size_threads_and_backend(planted, method):
    P, X = planted
    rng = np.random.default_rng(2)
    W = np.concatenate([log_odds_kernel(P)[None], rng.normal(size=(3, 4, P.shape[1]))]).astype(np.float32)
    seqs = [x[: 120 + (i % 80)] for i, x in enumerate(X[:1500])]  # unequal lengths
    ref = exactpwm.heuristic_pwm(W, seqs, method, strand="both", threads=1)
    runs = [(1000, 1, "auto"), (5000, 2, "auto"), (10**9, 0, "auto"), (199, 2, "auto")]
    runs += [(3000, 2, backend) for backend in BACKENDS]
    for batch_bases, threads, backend in runs:
        got = exactpwm.heuristic_pwm(W, seqs, method, strand="both", batch_bases=batch_bases, threads=threads,
                                     backend=backend)
        np.testing.assert_array_equal(got.counts, ref.counts)
        np.testing.assert_array_equal(got.n_fragments, ref.n_fragments)
        np.testing.assert_array_equal(got.threshold, ref.threshold)


def test_basset_mean_is_the_mean_window_score(planted):
    P, X = planted
    W = np.random.default_rng(3).normal(size=(2, 4, 7))
    r = exactpwm.heuristic_pwm(W, X[:50], "basset", fraction=0.0)
    mean = exactpwm.conv1d(X[:50], W).mean(axis=(0, 2))
    np.testing.assert_allclose(r.threshold, mean, rtol=1e-10)


def test_dead_kernels_get_uniform_pwms():
    W = -np.ones((1, 4, 5))  # every score is -5: never passes the ReLU
    r = exactpwm.heuristic_pwm(W, ["ACGTACGTAC"], "deepbind")
    assert r.n_fragments[0] == 0
    np.testing.assert_allclose(r.pwm, 0.25)


def test_bad_arguments():
    W = np.zeros((4, 3))
    with pytest.raises(ValueError, match="unknown method"):
        exactpwm.heuristic_pwm(W, ["ACGT"], "meme")
    with pytest.raises(ValueError, match="fraction applies"):
        exactpwm.heuristic_pwm(W, ["ACGT"], "deepbind", fraction=0.5)
    with pytest.raises(ValueError, match="threshold applies"):
        exactpwm.heuristic_pwm(W, ["ACGT"], "koo", threshold=0.5)
    with pytest.raises(ValueError, match="strand must be"):
        exactpwm.heuristic_pwm(W, ["ACGT"], strand="-")
    with pytest.raises(ValueError, match="pseudocount"):
        exactpwm.heuristic_pwm(W, ["ACGT"], pseudocount=-1)


@pytest.mark.parametrize("method", ["koo", "basset"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_all_window_methods_match_a_numpy_stacking(method, backend):
    """Every window at or above the threshold, both strands, N not counted, minus reverse complemented."""
    rng = np.random.default_rng(9)
    W = rng.normal(size=(2, 4, 5))
    seqs = [rng.integers(0, 5, size=n).astype(np.uint8) for n in (3, 60, 200)]
    got = exactpwm.heuristic_pwm(W, seqs, method, strand="both", backend=backend)
    counts = np.zeros((2, 4, 5), dtype=np.int64)
    comp = np.array([3, 2, 1, 0, 4])
    for x in seqs:
        if x.size < 5:
            continue
        plus = exactpwm.conv1d(x, W, backend="numba")
        minus = exactpwm.conv1d(x, W, strand="-", backend="numba")
        for k in range(2):
            for scores, rc in ((plus, False), (minus, True)):
                for j in np.flatnonzero(scores[k] >= got.threshold[k]):
                    frag = comp[x[j:j + 5][::-1]] if rc else x[j:j + 5]
                    for l, c in enumerate(frag):
                        if c < 4:
                            counts[k, c, l] += 1
    np.testing.assert_array_equal(got.counts, counts)
