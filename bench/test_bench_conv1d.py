"""Dense kernel scores: exactpwm backends against torch.nn.functional.conv1d (the baseline).

Run:  pip install ".[bench,torch]" && pytest bench/test_bench_conv1d.py --benchmark-group-by=param:dtype
Compare each row's mean with the torch row of the same dtype; throughput is
K * n * strands / time (16 kernels of width 19, one strand, 1 Mbp, all cores).
"""

import exactpwm
import numpy as np
import pytest

K, L = 16, 19
BACKENDS = ["cpp-scalar", "cpp-avx2", "cpp-avx512", "numba"]


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.mark.parametrize("backend", BACKENDS)
def test_exactpwm_conv1d(benchmark, genome, dtype, backend):
    isa = backend.split("-", 1)[-1]
    if backend.startswith("cpp-") and isa not in exactpwm.backends()["cpp"].get("isa_cpu", []):
        pytest.skip(f"no {isa} here")
    W = np.random.default_rng(0).normal(size=(K, 4, L)).astype(dtype)
    out = np.empty((K, genome.size - L + 1), dtype=dtype)
    exactpwm.conv1d(genome, W, out=out, backend=backend)  # warm up (numba compiles)
    benchmark(exactpwm.conv1d, genome, W, out=out, backend=backend)
    benchmark.extra_info["G_scores_per_s"] = K * genome.size / benchmark.stats["mean"] / 1e9


def test_torch_conv1d_baseline(benchmark, genome, dtype):
    torch = pytest.importorskip("torch")
    W = torch.from_numpy(np.random.default_rng(0).normal(size=(K, 4, L)).astype(dtype))
    x = torch.from_numpy(exactpwm.one_hot(genome, dtype))[None]
    benchmark(torch.nn.functional.conv1d, x, W)
    benchmark.extra_info["G_scores_per_s"] = K * genome.size / benchmark.stats["mean"] / 1e9
