"""Seqlet calling (TF-MoDISco's first step): planted bumps of importance are found where they were
put, with their sign; noise alone gives few; bad input is named."""

from __future__ import annotations

import numpy as np
import pytest
from exactpwm.interpret.seqlets import call_seqlets


def planted(seed=0, n=60, length=200):
    rng = np.random.default_rng(seed)
    x = rng.laplace(0, 0.02, size=(n, length))
    sites = []
    for s in range(0, n, 2):  # every other sequence: one site, positive or negative
        at = int(rng.integers(20, length - 30))
        sign = 1 if s % 4 == 0 else -1
        x[s, at:at + 8] += sign * 0.4
        sites.append((s, at, sign))
    return x, sites


def test_planted_sites_are_found_with_their_sign():
    x, sites = planted()
    found = call_seqlets(x, window=21, flank=10)
    assert found.thresholds[0] > 0 and found.thresholds[1] > 0
    for s, at, sign in sites:
        rows = np.flatnonzero((found.sequence == s) & (found.start <= at) & (found.end >= at + 8))
        assert rows.size >= 1, (s, at)
        assert found.sign[rows[0]] == sign
    unplanted = set(range(1, 60, 2))
    false = sum(1 for s in found.sequence if int(s) in unplanted)
    assert false <= 0.2 * len(found) + 1  # the FDR, roughly
    assert np.all(np.diff(found.sequence) >= 0)  # ordered by sequence, then start
    assert np.all((found.end - found.start) <= 21 + 2 * 10) and found.start.min() >= 0 and found.end.max() <= 200


def test_one_hot_contributions_and_per_base_importance_agree():
    x, _ = planted(seed=1)
    letters = np.random.default_rng(2).integers(0, 4, x.shape)
    four = np.zeros((x.shape[0], 4, x.shape[1]))
    np.put_along_axis(four, letters[:, None, :], x[:, None, :], axis=1)
    a, b = call_seqlets(x), call_seqlets(four)
    np.testing.assert_array_equal(a.sequence, b.sequence)
    np.testing.assert_array_equal(a.start, b.start)
    np.testing.assert_allclose(a.score, b.score)


def test_noise_alone_gives_few_and_seqlets_do_not_overlap():
    rng = np.random.default_rng(3)
    noise = rng.laplace(0, 0.02, size=(80, 150))
    found = call_seqlets(noise, target_fdr=0.05)
    assert len(found) <= 4, len(found)
    x, _ = planted(seed=4)
    many = call_seqlets(x, target_fdr=0.5)
    for s in np.unique(many.sequence):  # windows (not their flanks) never overlap
        assert np.all(np.diff(np.sort(many.window_start[many.sequence == s])) >= 21)
    again = call_seqlets(x, target_fdr=0.5)
    np.testing.assert_array_equal(many.start, again.start)  # deterministic
    assert len(call_seqlets(x, max_seqlets=3)) == 3


@pytest.mark.parametrize("bad, message", [
    (np.zeros((0, 50)), "N >= 1"),
    (np.zeros((3, 5, 50)), r"\(N, 4, L\)"),
    (np.full((2, 50), np.nan), "NaN"),
    (np.zeros((2, 10)), "shorter than the window"),
])
def test_bad_maps_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        call_seqlets(bad)


def test_flat_maps_give_no_seqlets_and_say_why():
    found = call_seqlets(np.zeros((4, 60)))
    assert len(found) == 0 and any("no window" in n for n in found.notes)
