import os
import re

# The models the tests train (tests/trained_models.py) must be the same on every machine: torch picks
# its CPU kernels by instruction set, and an AVX-512 machine trained a different DeepResolve logic
# model (its AND channel no longer additive) than the AVX2 machines. Pin torch to its AVX2 kernels
# before torch is imported; a user's own environment is not touched.
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")

import exactpwm
import numpy as np
import pytest


def engine_backends() -> list[str]:
    """Every backend that can run here: each compiled instruction set, and numba."""
    info = exactpwm.backends()
    names = []
    if info["cpp"]["available"]:
        names += [f"cpp-{isa}" for isa in info["cpp"]["isa_compiled"] if isa in info["cpp"]["isa_cpu"]]
    if info["numba"]["available"]:
        names.append("numba")
    return names


BACKENDS = engine_backends()


@pytest.fixture
def rng():
    return np.random.default_rng(20261121)


def assert_memory_error_under_limit(setup: str, call: str, headroom_mb: int) -> None:
    """Runs ``setup`` in a fresh interpreter, limits its address space to what it uses plus
    ``headroom_mb``, then ``call``: which must raise MemoryError, not abort the process (no exception
    may leave an OpenMP region). Skipped without the compiled core or under the sanitizers (their
    runtime reserves address space)."""
    import subprocess
    import sys

    if not exactpwm.backends()["cpp"]["available"]:
        pytest.skip("the compiled core is not built")
    if exactpwm.backends()["cpp"].get("sanitizers"):
        pytest.skip("the sanitizer runtime reserves address space: no address-space limit under it")
    code = (f"import resource\n{setup}\n"
            "size = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
            f"resource.setrlimit(resource.RLIMIT_AS, (size + ({headroom_mb} << 20), resource.RLIM_INFINITY))\n"
            f"try:\n    {call}\n    print('no error')\nexcept MemoryError:\n    print('MemoryError')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "MemoryError"


def random_codes(rng, n, n_frac=0.0):
    codes = rng.integers(0, 4, size=n).astype(np.uint8)
    if n_frac:
        codes[rng.random(n) < n_frac] = 4
    return codes


# What the `test` extra installs: under CI (CI set), a test skipped because one of these is missing
# fails instead, so a check cannot pass by being skipped (pytest.importorskip anywhere in the suite).
REQUIRED_IN_CI = {"importlinter", "ruff", "mypy", "sphinx", "myst_parser", "hypothesis", "pandas", "torch",
                  "pyjaspar", "matplotlib", "h5py", "pyBigWig", "dask", "pysam", "Bio",
                  *filter(None, os.environ.get("EXACTPWM_REQUIRED_IN_CI", "").split(","))}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not os.environ.get("CI") or call.excinfo is None:
        return
    reason = str(call.excinfo.value)
    missing = re.match(r"could not import '([\w.]+)'", reason)
    if missing and missing.group(1).split(".")[0] in REQUIRED_IN_CI:
        report.outcome = "failed"
        report.longrepr = f"{missing.group(1)} is in the test extra and must be installed in CI: {reason}"
