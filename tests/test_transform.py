"""Theorem 1, Algorithms 1 and 2, in both conventions."""

import math

import exactpwm
import numpy as np
import pytest
from conftest import random_codes
from reference import cross_correlation, log_likelihood, true_convolution


@pytest.mark.parametrize("L", [1, 2, 5, 19, 40])
@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])
@pytest.mark.parametrize("base", [1.01, 2.0, math.e, 10.0])
def test_theorem1_cross_correlation(rng, L, scale, base):
    W = rng.normal(scale=scale, size=(6, 4, L))
    bias = rng.normal(size=6)
    x = random_codes(rng, 300)
    pwm, offset = exactpwm.kernel_to_pwm(W, base, bias=bias)
    np.testing.assert_allclose(pwm.sum(axis=1), 1.0, atol=1e-12)
    conv = exactpwm.conv1d(x, W, bias)
    np.testing.assert_allclose(conv, cross_correlation(x, W, bias), rtol=0, atol=1e-9)
    np.testing.assert_allclose(conv, log_likelihood(x, pwm, base) + offset[:, None], rtol=0, atol=1e-9)


@pytest.mark.parametrize("L", [1, 3, 19])
@pytest.mark.parametrize("base", [1.5, 2.0, 7.0])
def test_theorem1_true_convolution(rng, L, base):
    """flip=True is the paper's convolution: the kernel is reversed along its length."""
    W = rng.normal(size=(4, 4, L))
    x = random_codes(rng, 200)
    pwm, offset = exactpwm.kernel_to_pwm(W, base, flip=True)
    conv = true_convolution(x, W)
    np.testing.assert_allclose(conv, log_likelihood(x, pwm, base) + offset[:, None], atol=1e-9)
    # the same scores through the engine, which cross-correlates: feed it the reversed kernel
    np.testing.assert_allclose(exactpwm.conv1d(x, W[:, :, ::-1]), conv, atol=1e-9)


def test_single_kernel_shapes(rng):
    W = rng.normal(size=(4, 7))
    pwm, offset = exactpwm.kernel_to_pwm(W, 2.0)
    assert pwm.shape == (4, 7) and isinstance(offset, float)
    kernel, off2 = exactpwm.pwm_to_kernel(pwm, 2.0)
    assert kernel.shape == (4, 7) and off2 == 0.0


def test_offset_formula(rng):
    W = rng.normal(size=(3, 4, 5))
    _, offset = exactpwm.kernel_to_pwm(W, 3.0, bias=0.5)
    expected = np.log(np.sum(3.0 ** W, axis=1)).sum(axis=1) / np.log(3.0) + 0.5
    np.testing.assert_allclose(offset, expected, atol=1e-12)


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("base", [1.2, 2.0, 10.0])
def test_pwm_kernel_pwm_round_trip(rng, flip, base):
    P = rng.dirichlet(np.ones(4), size=(5, 9)).transpose(0, 2, 1)  # (5, 4, 9)
    W, offset = exactpwm.pwm_to_kernel(P, base, flip=flip)
    np.testing.assert_allclose(offset, 0.0)
    P2, offset2 = exactpwm.kernel_to_pwm(W, base, flip=flip)
    np.testing.assert_allclose(P2, P, atol=1e-12)
    np.testing.assert_allclose(offset2, 0.0, atol=1e-12)


@pytest.mark.parametrize("flip", [False, True])
def test_kernel_pwm_kernel_round_trip(rng, flip):
    W = rng.normal(scale=2.0, size=(4, 4, 11))
    P, offset = exactpwm.kernel_to_pwm(W, 2.0, flip=flip)
    W2, _ = exactpwm.pwm_to_kernel(P, 2.0, flip=flip)
    diff = W - W2  # equal up to a constant per column
    np.testing.assert_allclose(diff, diff[:, :1, :].repeat(4, axis=1), atol=1e-10)
    np.testing.assert_allclose(diff[:, 0, :].sum(axis=1), offset, atol=1e-10)


def test_pwm_to_kernel_scores_log_likelihood(rng):
    P = rng.dirichlet(np.ones(4), size=(3, 8)).transpose(0, 2, 1)
    x = random_codes(rng, 100)
    W, offset = exactpwm.pwm_to_kernel(P, 2.0)
    np.testing.assert_allclose(exactpwm.conv1d(x, W), log_likelihood(x, P, 2.0), atol=1e-9)


def test_relu_shift(rng):
    P = rng.dirichlet(np.ones(4), size=(3, 8)).transpose(0, 2, 1)
    x = random_codes(rng, 100)
    W, offset = exactpwm.pwm_to_kernel(P, 2.0, relu_shift=True)
    assert (W >= 0).all()
    assert np.allclose(W.min(axis=1), 0.0)
    np.testing.assert_allclose(exactpwm.conv1d(x, W), log_likelihood(x, P, 2.0) + offset[:, None], atol=1e-9)


def test_pseudocount_handles_zeros(rng):
    P = np.array([[1.0, 0.5], [0.0, 0.5], [0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="zero probability"):
        exactpwm.pwm_to_kernel(P)
    W, _ = exactpwm.pwm_to_kernel(P, epsilon=0.01)
    assert np.isfinite(W).all()
    P2, _ = exactpwm.kernel_to_pwm(W)
    np.testing.assert_allclose(P2, (P + 0.01) / 1.04, atol=1e-12)


def test_pwm_columns_are_renormalised_within_tolerance():
    P = np.full((4, 3), 0.2502)
    W, _ = exactpwm.pwm_to_kernel(P)
    np.testing.assert_allclose(W, np.log(0.25))


@pytest.mark.parametrize("base", [1 + 1e-9, 1e300])
def test_extreme_bases_are_stable(rng, base):
    W = rng.normal(size=(2, 4, 6))
    pwm, offset = exactpwm.kernel_to_pwm(W, base)
    assert np.isfinite(pwm).all() and np.isfinite(offset).all()
    np.testing.assert_allclose(pwm.sum(axis=1), 1.0)


def test_large_weights_do_not_overflow(rng):
    W = rng.normal(scale=1e4, size=(2, 4, 6))
    pwm, offset = exactpwm.kernel_to_pwm(W, 10.0)
    assert np.isfinite(pwm).all() and np.isfinite(offset).all()
    # each column is (numerically) one-hot at the largest weight; offset = sum of column maxima
    np.testing.assert_array_equal(pwm.argmax(axis=1), W.argmax(axis=1))
    np.testing.assert_allclose(offset, W.max(axis=1).sum(axis=1), rtol=1e-12)


def test_float32_kernels(rng):
    W = rng.normal(size=(3, 4, 10)).astype(np.float32)
    pwm, offset = exactpwm.kernel_to_pwm(W)
    assert pwm.dtype == np.float64
    x = random_codes(rng, 64)
    np.testing.assert_allclose(exactpwm.conv1d(x, W), log_likelihood(x, pwm, math.e) + offset[:, None], atol=1e-4)


def test_reverse_complement_kernels_score_the_minus_strand(rng):
    W = rng.normal(size=(2, 4, 5))
    x = random_codes(rng, 50)
    rc = exactpwm.reverse_complement_kernels(W)
    minus = exactpwm.conv1d(exactpwm.reverse_complement(x), W)[:, ::-1]
    np.testing.assert_allclose(exactpwm.conv1d(x, rc), minus, atol=1e-12)


def test_layouts_round_trip(rng):
    W = rng.normal(size=(5, 4, 7))
    keras = exactpwm.from_torch_layout(W, "keras")
    assert keras.shape == (7, 4, 5)
    np.testing.assert_array_equal(exactpwm.to_torch_layout(keras, "keras"), W)
    paper = exactpwm.from_torch_layout(W[:1], "paper")
    np.testing.assert_array_equal(exactpwm.to_torch_layout(paper, "paper"), W[:1])
    with pytest.raises(ValueError, match="keras weights must have shape"):
        exactpwm.to_torch_layout(W.transpose(0, 2, 1), "keras")
    with pytest.raises(ValueError, match="one kernel"):
        exactpwm.from_torch_layout(W, "paper")


def test_similarity_pvalue_separates_a_planted_motif_from_noise():
    from exactpwm.interpret.compare import _best_scores, match_motifs, motif_similarity, similarity_pvalue

    rng = np.random.default_rng(3)
    target = rng.dirichlet(np.ones(4) * 0.3, size=12).T
    inside = np.concatenate([np.full((4, 3), 0.25), target[::-1, ::-1], np.full((4, 2), 0.25)], axis=1)
    match, p = similarity_pvalue(inside, target, n_shuffles=500, rng=1)
    assert match.strand == "-" and match.offset == 3 and p < 0.01
    _, p_noise = similarity_pvalue(rng.dirichlet(np.ones(4), size=14).T, target, n_shuffles=500, rng=1)
    assert p_noise > 0.01
    stack = np.stack([target, rng.dirichlet(np.ones(4), size=12).T])
    np.testing.assert_allclose(_best_scores(inside, stack), [motif_similarity(inside, t).score for t in stack])
    with pytest.warns(DeprecationWarning, match="compare_motifs"):
        best = match_motifs([inside], [stack[1], target], n_shuffles=200)
    assert best[0].target == 1 and best[0].evalue == pytest.approx(best[0].pvalue * 2)


def test_pseudocount_has_one_meaning():
    """The same PWM with pseudocount=0.1 scores the same as an array and as a MotifSet (it is
    counts added at the counts -> probabilities step, the probabilities read as 20 sites), and
    the per-probability smoothing of the later steps is called epsilon."""
    pwm = np.array([[0.9, 0.0, 0.5, 0.25, 0.1, 0.0], [0.0, 0.5, 0.5, 0.25, 0.2, 0.0],
                    [0.1, 0.5, 0.0, 0.25, 0.3, 0.0], [0.0, 0.0, 0.0, 0.25, 0.4, 1.0]])
    as_array = exactpwm.score_matrices([pwm], pseudocount=0.1, step=None)[0]
    as_set = exactpwm.score_matrices(exactpwm.MotifSet([exactpwm.Motif("m", pwm)]), pseudocount=0.1, step=None)[0]
    np.testing.assert_allclose(as_array, as_set)
    expected = np.log2((20 * pwm + 0.1 * 0.25) / 20.1 / 0.25)
    np.testing.assert_allclose(as_array, expected)
    hits = [exactpwm.scan(x, {"s": "ACGTACGTTTTTACGGAT"}, pvalue=0.5, pseudocount=0.1) for x in
            ([pwm], exactpwm.MotifSet([exactpwm.Motif("motif0", pwm)]))]
    fields = ["motif", "start", "strand", "score", "pvalue", "matched"]
    assert len(hits[0]) > 5 and hits[0].rows[fields].tolist() == hits[1].rows[fields].tolist()
    # epsilon: per probability; pseudocount= there is its deprecated old name, same numbers
    W, _ = exactpwm.pwm_to_kernel(pwm, epsilon=0.01)
    with pytest.warns(DeprecationWarning, match="epsilon"):
        W_old, _ = exactpwm.pwm_to_kernel(pwm, pseudocount=0.01)
    np.testing.assert_array_equal(W, W_old)
    np.testing.assert_allclose(W, np.log((pwm + 0.01) / 1.04))
