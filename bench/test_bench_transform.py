"""The exact transform's cost: O(K * L), no data. Baseline: the same call for K = 1.

Run:  pytest bench/test_bench_transform.py
"""

import exactpwm
import numpy as np
import pytest


@pytest.mark.parametrize("K", [1, 32, 1024])
def test_kernel_to_pwm(benchmark, K):
    W = np.random.default_rng(0).normal(size=(K, 4, 19))
    benchmark(exactpwm.kernel_to_pwm, W, 2.0)
