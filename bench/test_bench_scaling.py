"""Exact transform vs heuristics: time against the number of sequences N.

The exact transform never looks at the sequences, so its time is flat in N; the
heuristics (and fit_base's one engine pass) score every sequence, so they grow
linearly. Baseline: the exact transform at the same K.

Run (about 30 minutes on 2 cores; the K=1024, N=1e6 cases take most of it):
    pytest bench/test_bench_scaling.py --benchmark-json=bench/results/scaling.json
    python bench/plot_scaling.py bench/results/scaling.png bench/results/scaling*.json
Set EXACTPWM_BENCH_MAX_N=10000 for a quick run; select cases with -k (e.g. -k "K1024-N1000000")
and pass every result file to plot_scaling.py.
"""

import os

import exactpwm
import numpy as np
import pytest
from scaling_data import kernels, sequences

MAX_N = int(float(os.environ.get("EXACTPWM_BENCH_MAX_N", "1e6")))
GRID = [(k, n) for k in (32, 1024) for n in (100, 1_000, 10_000, 100_000, 1_000_000)]
GRID = [(k, n) for k, n in GRID if n <= MAX_N]
METHODS = ["exact", "deepbind", "koo", "basset", "fit_base"]


def run(method, W, X):
    if method == "exact":
        return exactpwm.kernel_to_pwm(W, 2.0)  # X is not used: the transform needs no data
    if method == "fit_base":
        return exactpwm.fit_base(W, X, strand="both")
    return exactpwm.heuristic_pwm(W, X, method, strand="both")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("K,N", GRID, ids=[f"K{k}-N{n}" for k, n in GRID])
def test_scaling(benchmark, method, K, N):
    W, X = kernels(K), sequences(N)
    rounds = 5 if method == "exact" or N <= 10_000 else 1
    benchmark.group = f"K={K}"
    benchmark.extra_info.update(method=method, K=K, N=N, bases=int(X.size))
    result = benchmark.pedantic(run, args=(method, W, X), rounds=rounds, iterations=1, warmup_rounds=0)
    if method in ("deepbind", "koo", "basset"):
        benchmark.extra_info["mean_fragments"] = float(np.mean(result.n_fragments))
