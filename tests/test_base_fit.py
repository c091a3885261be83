"""Maximum-likelihood base (Eq. 2) against a brute-force maximisation of the same objective."""

import math

import exactpwm
import numpy as np
import pytest
from exactpwm.app import synthetic
from exactpwm.interpret.base_fit import base_objective
from motifs import jaspar_pwm, log_odds_kernel


def brute_force_log_base(W, sums, n):
    """Fine log-spaced grid, then golden-section refinement, of q(ln b)."""
    grid = np.exp(np.linspace(np.log(1e-4), np.log(1e3), 4000))
    q = np.array([base_objective(g, W, sums, n) for g in grid])
    i = int(np.argmax(q))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(200):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if base_objective(a, W, sums, n) > base_objective(b, W, sums, n):
            hi = b
        else:
            lo = a
    return 0.5 * (lo + hi)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    P = jaspar_pwm()
    X = synthetic.random_codes(rng, 1000, 200)
    synthetic.plant_motif(rng, X, P, fraction=0.7)
    W = np.stack([log_odds_kernel(P), rng.normal(scale=0.8, size=P.shape)])
    return W, X


@pytest.mark.parametrize("strand", ["+", "both"])
def test_matches_brute_force(data, strand):
    W, X = data
    fit = exactpwm.fit_base(W, X, strand=strand)
    assert fit.n_sequences == len(X)
    expected = brute_force_log_base(W, fit.max_score_sum.sum(), fit.n_sequences)
    assert abs(fit.log_base - expected) < 1e-6
    assert fit.base == pytest.approx(math.exp(fit.log_base))
    np.testing.assert_allclose(fit.pwm, exactpwm.kernel_to_pwm(W, fit.base)[0])
    assert fit.objective == pytest.approx(base_objective(fit.log_base, W, fit.max_score_sum.sum(), len(X)))


def test_per_kernel(data):
    W, X = data
    fit = exactpwm.fit_base(W, X, per_kernel=True)
    assert fit.base.shape == (2,)
    for k in range(2):
        expected = brute_force_log_base(W[k:k + 1], fit.max_score_sum[k], fit.n_sequences)
        assert abs(fit.log_base[k] - expected) < 1e-6


def test_invariant_to_per_position_constants(data):
    W, X = data
    shifted = W + np.random.default_rng(0).normal(size=(2, 1, W.shape[2]))  # same constant on all 4 rows
    a = exactpwm.fit_base(W, X)
    b = exactpwm.fit_base(shifted, X)
    assert abs(a.log_base - b.log_base) < 1e-9
    np.testing.assert_allclose(a.pwm, b.pwm, atol=1e-9)


def test_ragged_sequences_and_short_ones(data):
    W, X = data
    seqs = [x[: 50 + i % 150] for i, x in enumerate(X)] + ["ACG"]
    fit = exactpwm.fit_base(W, seqs)
    assert fit.n_sequences == len(X)  # the 3-base sequence has no window


def test_no_finite_maximum_is_an_error():
    P = jaspar_pwm()
    W = log_odds_kernel(P)
    consensus = P.argmax(axis=0).astype(np.uint8)
    with pytest.raises(ValueError, match="b -> infinity"):
        exactpwm.fit_base(W, np.tile(consensus, (20, 1)))
    worst = W.argmin(axis=0).astype(np.uint8)
    with pytest.raises(ValueError, match="b -> 1"):
        exactpwm.fit_base(W, np.tile(worst, (20, 1)))
    with pytest.raises(ValueError, match="nothing to fit"):
        exactpwm.fit_base(W, ["ACGT"])


def test_solver_keeps_the_root_it_reached(data):
    """Regression: when a Newton step could not move off a root (|gradient| ~ 1e-12), the solver
    used to bisect away from it and return the midpoint. Nearby sums must give nearby bases."""
    from exactpwm.interpret.base_fit import _solve

    W, X = data
    A = exactpwm.fit_base(W, X, per_kernel=True).max_score_sum[0]
    W0 = W[0:1].astype(np.float64)
    expected = brute_force_log_base(W0, A, len(X))
    for a in np.nextafter(A, -np.inf), A, np.nextafter(A, np.inf), A * (1 + 1e-12), A * (1 - 1e-12):
        assert abs(_solve(W0, a, len(X), 1e4) - expected) < 1e-6
